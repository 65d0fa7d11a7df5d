"""How checks depend on each other: which checks a grade runs, and which failure to fix first.

A check declares `needs` (checks it relies on: when one of them fails, that is the root cause to
name) and `uses` (checks whose verdicts it reads to choose what to test, e.g. which ops may appear
in a random graph). Both must run before it, in the same grade, whatever else is graded with it:
the plan is their transitive closure. Root causes follow `needs` only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from autograder.checks import CheckDef
from autograder.feedback import blocked_by, fix_first
from autograder.manifest import Assignment, CheckSpec
from autograder.model import Outcome, Verdict


@dataclass(frozen=True)
class Planned:
    """A check to run: its definition, its manifest entry (None: a prerequisite, not scored),
    the assignment whose limits it runs under and the seed its inputs are drawn from."""

    check: CheckDef
    spec: CheckSpec | None
    assignment: Assignment
    seed: int
    scored: bool = True  # False: run (its verdict informs others) but neither scored nor listed


def closure(ids: Iterable[str], every: Mapping[str, CheckDef], follow_uses: bool = True
            ) -> set[str]:
    """`ids` and every check they need (and use), transitively."""
    seen: set[str] = set()
    todo = list(ids)
    while todo:
        cid = todo.pop()
        if cid in seen or cid not in every:
            continue
        seen.add(cid)
        check = every[cid]
        todo.extend(check.needs)
        if follow_uses:
            todo.extend(check.uses)
    return seen


def plan(assignments: list[Assignment], every: Mapping[str, CheckDef], seed: int | None = None,
         homes: Mapping[str, Assignment] | None = None) -> list[Planned]:
    """Scored checks plus their prerequisites, in catalogue order (prerequisites first).

    A check runs under its own assignment's seed and limits unless `seed` overrides every seed. A
    prerequisite nobody scores in this grade runs as its home assignment (`homes`: the manifest
    that lists it) would run it, so its verdict, and every verdict that reads it, is the same
    whatever else is graded with it. Without a home it runs under the first assignment needing it.
    """
    scored: dict[str, Planned] = {}
    for assignment in assignments:
        for spec in assignment.checks:
            scored[spec.id] = Planned(every[spec.id], spec, assignment,
                                      assignment.seed if seed is None else seed)
    reach = {cid: closure([cid], every) for cid in scored}
    planned: list[Planned] = []
    for cid, check in every.items():
        if cid in scored:
            planned.append(scored[cid])
            continue
        owner = next((p.assignment for p in scored.values() if cid in reach[p.check.id]), None)
        if owner is None:
            continue
        home = (homes or {}).get(cid, owner)
        planned.append(Planned(check, None, home, home.seed if seed is None else seed))
    return planned


def root_causes(check_id: str, verdicts: Mapping[str, Verdict],
                every: Mapping[str, CheckDef]) -> list[str]:
    """The failed checks this one relies on (transitively) whose own needs did not fail."""
    if check_id not in every:
        return []
    reached = closure(every[check_id].needs, every, follow_uses=False)

    def failed(cid: str) -> bool:
        return cid in verdicts and not verdicts[cid].passed

    return [cid for cid in every if cid in reached and failed(cid)
            and not any(failed(n) for n in closure(every[cid].needs, every, False))]


def annotate_root_causes(verdicts: Mapping[str, Verdict],
                         every: Mapping[str, CheckDef]) -> dict[str, Verdict]:
    """The one root-cause pass: a blocked check says what blocked it; any other failure whose
    prerequisites failed too gets one hint naming the first ones to fix."""
    out = {}
    for cid, verdict in verdicts.items():
        if not verdict.passed:
            roots = root_causes(cid, verdicts, every)
            if verdict.outcome is Outcome.BLOCKED:
                verdict = blocked_by(verdict, roots)
            elif roots:
                verdict = replace(verdict, notes=(fix_first(roots),) + verdict.notes)
        out[cid] = verdict
    return out
