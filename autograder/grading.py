"""The grading pipeline: submission -> loader -> worker sessions -> checks -> verdicts -> points.

Each stage is a small function. Whatever goes wrong, `grade()` returns a complete `GradeReport`:
a submission that cannot be loaded fails every check with the reason, a dead worker fails the check
it was running, and a grader bug is reported as an internal error, never as the student's fault.
"""

from __future__ import annotations

import os
import tempfile
import time
import traceback
from dataclasses import dataclass, field, replace
from pathlib import Path

from autograder.checks import CheckContext, CheckDef
from autograder.feedback import load_error_hint
from autograder.gradecache import GradeCache
from autograder.graderun import GradeRun, Progress
from autograder.loader import StagedSubmission, SubmissionError, load_submission
from autograder.manifest import (
    Assignment,
)
from autograder.model import GradeReport, Outcome, Verdict
from autograder.ops import OPS_BY_NAME
from autograder.oracles import Oracle
from autograder.policy import (
    FORBIDDEN_IMPORTS,
    PolicyViolation,
    describe,
    describe_use,
    has_stand_in,
    scan_submission,
)
from autograder.prerequisites import Planned, load_assignments, plan_checks
from autograder.sandbox import IsolationInfo, Limits, remove_tree
from autograder.session import SessionConfig, WorkerDied, WorkerSession
from autograder.version import __version__

__all__ = ["GradeOptions", "GradeRun", "grade", "load_assignments", "plan_checks", "run_checks"]

OUTPUT_IN_FEEDBACK = 1500  # characters of captured student output shown with a failed check
CHECK_BUDGET_FACTOR = 6  # a check may take this many call timeouts in total



@dataclass
class GradeOptions:
    assignments: list[str]
    seed: int | None = None  # None: each assignment's own manifest seed
    isolation: str | None = None  # None: the strongest available
    transport: str | None = None  # how workers talk; None: what the platform supports
    oracle: str = "auto"
    assignment_dirs: list[Path] = field(default_factory=list)
    progress: Progress | None = None  # callable(check_id, index, total) for progress bars
    # Grade only these check ids of the manifests (None: all). The checks they rely on still run,
    # unscored and unlisted, exactly as in a full grade, so each verdict is the full grade's.
    only: tuple[str, ...] | None = None
    # Examples, oracle answers and the isolation probe shared by the grades of one process (None:
    # a fresh cache for this grade). `mgrade grade-all` keeps one per grading process.
    cache: GradeCache | None = None
    batch: bool = True  # send each check's examples to the worker in batches (same verdicts)


def _policy_verdicts(planned: list[Planned], violations: list[PolicyViolation],
                     staged: StagedSubmission) -> dict[str, Verdict]:
    """Checks whose code needs a forbidden import score 0 with a policy verdict.

    An import nothing uses costs nothing (the report asks the student to remove it), unless the
    assignment sets `policy.strict_imports`, where any forbidden import in a file costs every
    check that runs that file.
    """
    verdicts: dict[str, Verdict] = {}
    for item in planned:
        forbidden = item.assignment.forbidden_imports
        strict = item.assignment.strict_imports
        relevant = [v for v in violations
                    if v.module in forbidden and _touches(item.check, v, staged, strict)]
        if relevant:
            lines = [describe_use(v) if v.used else describe(v) for v in relevant]
            verdicts[item.check.id] = Verdict(
                item.check.id, Outcome.POLICY, lines[0],
                "Policy violation: " + "; ".join(lines) + ". This assignment asks you to build "
                "the engine yourself, so these libraries may not be used; this check scores 0.")
    return verdicts


def _touches(check: CheckDef, violation: PolicyViolation, staged: StagedSubmission,
             strict: bool) -> bool:
    """Whether `check` runs code that needs the forbidden import `violation` found."""
    engine_file = staged.engine_module.replace(".", "/") + ".py"
    in_engine = violation.file == engine_file or not staged.nn_module
    if strict or not in_engine:  # strict, or nn.py / a helper module: the file as a whole
        if not strict and not violation.used:
            return False
        return True if in_engine else check.wants_nn or check.id.startswith("nn.")
    if not violation.used:
        return False
    if violation.at_import_time or "Value.__init__" in violation.used_in:
        return True  # every check makes Values
    return bool(set(_code_run_by(check)) & set(violation.used_in))


def _code_run_by(check: CheckDef) -> tuple[str, ...]:
    """The engine methods a check calls directly: its op's method, or backward()."""
    parts = check.id.split(".")
    if len(parts) == 3 and parts[0] == "engine" and parts[1] in OPS_BY_NAME:
        return (f"Value.{OPS_BY_NAME[parts[1]].method}",)
    if check.id.startswith("engine.backward."):
        return ("Value.backward",)
    return ()


def _session_config(assignment: Assignment, planned: list[Planned],
                    seen: frozenset[str] = frozenset()) -> SessionConfig:
    """`seen`: forbidden modules the static scan found and attributed to the code that uses them;
    their import at load time is not charged to every check again."""
    limits = assignment.limits
    watch = tuple(name for name in assignment.forbidden_imports if name not in seen)
    return SessionConfig(
        call_timeout_s=limits.call_timeout_s,
        start_timeout_s=max(2 * limits.call_timeout_s, 5.0),
        output_cap_bytes=limits.output_cap_kb * 1024,
        watch_imports=watch,
        stand_ins=tuple(filter(has_stand_in, assignment.forbidden_imports)),
        want_nn=any(p.check.wants_nn for p in planned),
        limits=Limits(memory_mb=limits.memory_mb,
                      cpu_s=int(max(60, limits.call_timeout_s * 30))),
    )


def _groups(planned: list[Planned]) -> list[list[Planned]]:
    groups: dict[str, list[Planned]] = {}
    for item in planned:
        groups.setdefault(item.check.group, []).append(item)
    return list(groups.values())


def _load_failure(check_id: str, init_error: str) -> Verdict:
    return Verdict(check_id, Outcome.LOAD_ERROR, init_error,
                   init_error + "\nEvery check that needs this file fails until it imports "
                   "cleanly.")


def run_checks(staged: StagedSubmission, run: GradeRun, isolation: IsolationInfo,
               oracle: Oracle, seen: frozenset[str] = frozenset(),
               cache: GradeCache | None = None, batch: bool = True) -> GradeRun:
    """Run every planned check without a verdict yet, a fresh worker per group of checks.

    The next group's worker starts while the current group runs. Checks that already have a
    verdict in `run` (decided by policy) are counted, not run again. `seen`: forbidden modules the
    static scan already charged to the checks whose code uses them. `cache`: examples drawn by
    earlier grades of this process; `batch`: send each check's examples in batches first.
    """
    groups = _groups(run.planned)
    sessions = [WorkerSession(staged, isolation, _session_config(g[0].assignment, g, seen))
                for g in groups]
    try:
        for index, (group, session) in enumerate(zip(groups, sessions, strict=True)):
            if index + 1 < len(sessions) and not run.load_failures:
                sessions[index + 1].prestart()
            session.batching = batch
            _run_group(group, session, staged, oracle, run, cache)
    finally:
        for session in sessions:
            session.close()
    return run


def _run_group(group: list[Planned], session: WorkerSession, staged: StagedSubmission,
               oracle: Oracle, run: GradeRun, cache: GradeCache | None) -> None:
    want_nn = session.config.want_nn
    with session:
        init_problem = run.load_failures.get(want_nn) or _start(session, staged)
        if init_problem is not None:
            run.load_failures[want_nn] = init_problem
        for item in group:
            run.starting(item.check.id)
            if item.check.id not in run.verdicts:  # else decided by policy already
                started = time.monotonic()
                if init_problem is not None:
                    verdict = _load_failure(item.check.id, init_problem)
                else:
                    verdict = _check_in_session(item, session, oracle, run.verdicts, cache)
                run.record(item.check.id, verdict, time.monotonic() - started)
            run.finished()
    if session.tampered:
        _void_group(group, run.verdicts, session.tampered)


def _check_in_session(item: Planned, session: WorkerSession, oracle: Oracle,
                      verdicts: dict[str, Verdict], cache: GradeCache | None) -> Verdict:
    ctx = CheckContext(session, oracle, item.seed, item.assignment.limits.max_examples,
                       dict(item.spec.params) if item.spec else {}, verdicts,
                       cache.examples if cache is not None else None, session.batching)
    before = len(session.events)
    printed_before = session.output_mark()
    verdict = _run_check(item.check, ctx, session)
    # An import fires its event once, when the submission loads: it counts for every check that
    # worker runs, not only for the first.
    events = [*session.load_events, *session.events[before:]]
    if events:
        verdict = _runtime_policy(item.check.id, events, verdict)
    printed = session.student_output(since=printed_before)
    if not verdict.passed and printed:  # only what this check's calls printed
        verdict = replace(verdict, feedback=f"{verdict.feedback}\n\nYour code printed while this "
                          f"check ran:\n{printed[-OUTPUT_IN_FEEDBACK:]}")
    return verdict


def _void_group(group: list[Planned], verdicts: dict[str, Verdict], reason: str) -> None:
    """Student code wrote to the reply channel: no reply of this worker can be trusted, so every
    check it ran fails, including those whose (possibly forged) replies looked right."""
    for item in group:
        verdict = verdicts.get(item.check.id)
        if verdict is None or verdict.outcome in (Outcome.POLICY, Outcome.LOAD_ERROR):
            continue
        verdicts[item.check.id] = Verdict(
            item.check.id, Outcome.PROTOCOL, f"reply channel tampered with: {reason}",
            f"While this group of checks ran, {reason}. A reply written by student code could "
            "claim anything, so every check this worker ran scores 0."
            f"\n\n(Before that was found, the check said: {verdict.summary})")


def _start(session: WorkerSession, staged: StagedSubmission) -> str | None:
    """Start the worker; return a student-facing reason when the submission does not import."""
    try:
        init = session.start()
    except WorkerDied as died:
        return f"importing your submission failed: the worker {died.reason}"
    if init.ok:
        return None
    assert init.error is not None
    error = init.error
    file = "nn.py" if init.stage == "nn" else "engine.py"
    where = f" at {error.where}" if error.where else ""
    hint = load_error_hint(error.type, error.message)
    return (f"{file} could not be imported: {error.type}{where}: {error.message}"
            + (f".{hint}" if hint else ""))


def _run_check(check: CheckDef, ctx: CheckContext, session: WorkerSession) -> Verdict:
    try:
        return check.run(ctx)
    except WorkerDied as died:
        return Verdict(check.id, died.outcome, died.reason,
                       f"While running {check.id}, the worker {died.reason}. The check fails; "
                       "grading went on with a fresh worker.")
    except Exception as exc:  # noqa: BLE001 - a grader bug must not end grading
        detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        session.stop()
        return Verdict(check.id, Outcome.INTERNAL, "internal grader error (not your fault)",
                       f"The grader failed while running {check.id}: {detail}. Please report "
                       "this to your instructor; it is not a problem with your code.")


def _runtime_policy(check_id: str, events: list[str], verdict: Verdict) -> Verdict:
    described = ", ".join(sorted(set(events)))
    return Verdict(check_id, Outcome.POLICY, f"policy violation while running: {described}",
                   f"While this check ran, your code attempted: {described}. These libraries and "
                   "system calls are not allowed in this assignment, so the check scores 0.\n\n"
                   f"(Without the violation the check would have said: {verdict.summary})")


def grade(submission: Path, options: GradeOptions) -> GradeReport:
    """Grade one submission. Raises only for the caller's mistakes (bad manifest, bad option)."""
    started = time.monotonic()
    assignments = load_assignments(options.assignments, options.assignment_dirs)
    cache = options.cache or GradeCache()
    isolation = cache.isolation(options.isolation, options.transport)
    seeds = {a.id: a.seed if options.seed is None else options.seed for a in assignments}
    run = GradeRun(plan_checks(assignments, options.seed, options.assignment_dirs, options.only),
                   options.progress)
    oracle = cache.oracle(options.oracle)
    report = GradeReport(
        submission=str(submission), assignments=[a.id for a in assignments],
        seed=seeds[assignments[0].id], isolation=isolation.level.value,
        isolation_note=isolation.note, oracle=oracle.name, grader_version=__version__,
        assignment_titles={a.id: a.title for a in assignments}, seeds=seeds)
    workdir = Path(tempfile.mkdtemp(prefix="mgrade-"))
    os.chmod(workdir, 0o755)  # the worker may run as another uid and must reach the stage
    try:
        staged = load_submission(submission, workdir / "submission")
        report.messages.extend(staged.notes)
        violations = scan_submission(staged, FORBIDDEN_IMPORTS)
        run.verdicts.update(_policy_verdicts(run.planned, violations, staged))
        if violations:
            report.messages.extend(describe_use(v) for v in violations)
        run_checks(staged, run, isolation, oracle, frozenset(v.module for v in violations),
                   cache, options.batch)
    except SubmissionError as exc:
        problem = str(exc)
        report.messages.append(problem)
        run.fill(lambda cid: Verdict(cid, Outcome.LOAD_ERROR, problem, problem))
    except Exception as exc:  # noqa: BLE001 - results must be written whatever happens
        detail = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        report.internal_error = f"{type(exc).__name__}: {exc}"
        report.messages.append("internal grader error:\n" + detail[-3000:])
        run.fill(lambda cid: Verdict(
            cid, Outcome.INTERNAL, "not graded: internal grader error",
            "The grader failed before this check could run. This is not a problem with "
            "your code; please report it to your instructor."))
    finally:
        remove_tree(workdir)  # a worker may have nested folders in the stage past rmtree's reach
    report.results = run.results()
    report.execution_time = round(time.monotonic() - started, 3)
    return report
