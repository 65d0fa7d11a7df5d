"""How checks depend on each other: which checks a grade runs, and which failure to fix first.

A check declares `needs` (checks it relies on: when one of them fails, that is the root cause to
name) and `uses` (checks whose verdicts it reads to choose what to test, e.g. which ops may appear
in a random graph). Both must run before it, in the same grade, whatever else is graded with it:
the plan is their transitive closure. Root causes follow `needs` only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from autograder.checks import CheckDef, catalogue
from autograder.feedback import blocked_by, fix_first
from autograder.manifest import (
    Assignment,
    CheckSpec,
    ManifestError,
    available_assignments,
    default_assignment_dirs,
    find_assignment,
    load_assignment,
)
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


def load_assignments(ids: Iterable[str], dirs: list[Path]) -> list[Assignment]:
    """Load and validate manifests, including each check's params against what it accepts."""
    every = catalogue()
    search = dirs or default_assignment_dirs()
    assignments = [load_assignment(find_assignment(i, search), every.keys()) for i in ids]
    for assignment in assignments:
        for spec in assignment.checks:
            unknown = sorted(set(spec.params) - set(every[spec.id].params))
            if unknown:
                accepted = ", ".join(every[spec.id].params) or "none"
                raise ManifestError(f"{assignment.path}: checks.{spec.id}.params: unknown "
                                    f"{', '.join(unknown)} (accepted: {accepted})")
    return assignments


def home_assignments(graded: list[Assignment], dirs: list[Path]) -> dict[str, Assignment]:
    """For each check, the first manifest (graded ones first, then the others found in `dirs`,
    by id) that scores it: where an unscored prerequisite takes its seed and limits from."""
    search = dirs or default_assignment_dirs()
    others = [a for a in available_assignments(search) if a not in {g.id for g in graded}]
    homes: dict[str, Assignment] = {}
    for assignment in graded + _loadable(others, dirs):
        for spec in assignment.checks:
            homes.setdefault(spec.id, assignment)
    return homes


def _loadable(ids: list[str], dirs: list[Path]) -> list[Assignment]:
    """The manifests among `ids` that load (a broken one not being graded is not our concern)."""
    loaded = []
    for assignment_id in ids:
        try:
            loaded += load_assignments([assignment_id], dirs)
        except ManifestError:
            continue
    return loaded


def plan_checks(assignments: list[Assignment], seed: int | None = None,
                dirs: list[Path] | None = None, only: Iterable[str] | None = None
                ) -> list[Planned]:
    """The checks a grade of `assignments` runs, prerequisites included, in order.

    With `only`, the other checks are left out unless a kept one relies on them (the closure of
    its `needs` and `uses`); those stay in the plan, unscored and unlisted.
    """
    every = catalogue()
    planned = plan(assignments, every, seed, home_assignments(assignments, list(dirs or [])))
    if only is None:
        return planned
    kept = set(only) & {item.check.id for item in planned if item.spec is not None}
    relied_on = closure(kept, every)
    return [item if item.check.id in kept else replace(item, scored=False)
            for item in planned if item.check.id in relied_on]
