"""Long-lived grading processes for a batch, each set up once, with a deadline per submission.

Each process is started once (`spawn`), imports the grader, hypothesis and torch once, then grades
one submission at a time with the public `grade()` and writes that student's reports itself. The
parent keeps one pipe per process: a process that overruns a submission's deadline, or dies, is
killed and replaced, and only that submission is recorded as not graded. (A
`concurrent.futures.ProcessPoolExecutor` can neither stop one overrunning task nor say which task
broke the pool, which is exactly what a batch of untrusted submissions needs.)

Student code never runs in these processes: `grade()` runs it in sandboxed workers of its own, with
per-call time limits. The deadline here only guards against the grader itself hanging.
"""

from __future__ import annotations

import multiprocessing
import shutil
import signal
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from multiprocessing.connection import wait
from pathlib import Path

from autograder.batch.discover import Submission
from autograder.batch.outputs import ERRORED, GRADED, Outputs, Settings

START_TIMEOUT_S = 180.0  # importing torch on a busy machine
STOP_GRACE_S = 5.0  # after SIGTERM, time to stop sandboxed workers before SIGKILL
MAX_SINGLE_FILE = 5 * 1024 * 1024


class BatchAborted(Exception):
    """Grading cannot go on for anyone (a bad manifest, no torch, no isolation): the caller's
    setup is at fault, not a submission."""


@dataclass(frozen=True)
class Task:
    submission: Submission
    fingerprint: str


@dataclass(frozen=True)
class Setup:
    """What every grading process needs; sent once, when it starts."""

    options: object  # autograder.grading.GradeOptions
    out: Path
    settings: Settings


@dataclass(frozen=True)
class Finished:
    key: str
    status: str  # GRADED or ERRORED
    score: float
    max_score: float
    failed_checks: int
    error: str | None
    seconds: float


# ---- in a grading process -----------------------------------------------------------------------


def _caller_mistakes() -> tuple[type[BaseException], ...]:
    from autograder.manifest import ManifestError
    from autograder.oracles import OracleUnavailable
    from autograder.sandbox import IsolationUnavailable

    return ManifestError, IsolationUnavailable, OracleUnavailable


def warm_up(options) -> None:
    """Import what every grade needs, once per process."""
    import hypothesis  # noqa: F401

    import autograder.grading  # noqa: F401

    if options.oracle != "python":
        from autograder.oracles import load_oracle

        load_oracle(options.oracle)  # imports torch, when it is installed


def _as_submission(path: Path, scratch: Path) -> Path:
    """A single .py file is that student's engine.py; everything else goes to the loader as is."""
    if path.suffix.lower() != ".py" or not path.is_file() or path.is_symlink():
        return path
    if path.stat().st_size > MAX_SINGLE_FILE:
        return path  # the loader refuses it with its own message
    folder = scratch / "submission"
    folder.mkdir()
    shutil.copyfile(path, folder / "engine.py")
    return folder


def fallback_report(submission: Submission, options, error: str):
    """A report for a submission that could not be graded: every file is still written."""
    from autograder.fallback import not_graded_report

    return not_graded_report(str(submission.path), options.assignments, options.seed, error)


def record(setup: Setup, task: Task, report, status: str, started: float) -> Finished:
    """Write one student's reports and marker; say how it went."""
    from autograder.reporters import ReportWriteError

    error = report.internal_error
    try:
        Outputs(setup.out).write(task.submission.key, report, setup.settings, task.fingerprint,
                                 status)
    except (ReportWriteError, OSError) as exc:
        status, error = ERRORED, f"could not write the reports: {exc}"
    if error:
        status = ERRORED
    return Finished(task.submission.key, status, report.score, report.max_score,
                    len(report.failed), error, round(time.monotonic() - started, 3))


def grade_task(setup: Setup, task: Task, cache=None) -> Finished:
    """Grade one submission with `grade()` and write its reports. Raises BatchAborted for setup
    mistakes; anything else becomes that student's internal error. `cache`: the process's
    `GradeCache`, shared by every grade it runs."""
    from autograder.grading import grade

    started = time.monotonic()
    options = replace(setup.options, progress=None, cache=cache)
    try:
        with tempfile.TemporaryDirectory(prefix="mgrade-batch-") as scratch:
            report = grade(_as_submission(task.submission.path, Path(scratch)), options)
        report.submission = str(task.submission.path)
        status = GRADED
    except _caller_mistakes() as exc:
        raise BatchAborted(str(exc)) from exc
    except Exception as exc:  # noqa: BLE001 - one student's failure must not stop the batch
        report = fallback_report(task.submission, options, f"{type(exc).__name__}: {exc}")
        status = ERRORED
    return record(setup, task, report, status, started)


def _serve(conn, setup: Setup) -> None:  # pragma: no cover - runs in the grading processes
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # unwinds grade(): workers stop
    try:
        warm_up(setup.options)
        from autograder.gradecache import GradeCache

        cache = GradeCache()  # examples, oracle answers and the isolation probe, for every grade
        conn.send(("ready", None))
        while True:
            try:
                task = conn.recv()
            except EOFError:
                return
            if task is None:
                signal.signal(signal.SIGTERM, signal.SIG_DFL)  # nothing left to unwind
                return
            conn.send(("done", grade_task(setup, task, cache)))
    except BatchAborted as exc:
        conn.send(("fatal", str(exc)))
    except Exception as exc:  # noqa: BLE001 - say why this process cannot grade
        conn.send(("fatal", f"a grading process could not start: {type(exc).__name__}: {exc}"))


# ---- in the parent ------------------------------------------------------------------------------


class _Slot:
    """One grading process and the submission it is working on."""

    def __init__(self, context, setup: Setup) -> None:
        parent, child = context.Pipe()
        self.conn = parent
        self.process = context.Process(target=_serve, args=(child, setup), daemon=True,
                                       name="mgrade-grade")
        self.process.start()
        child.close()
        self.ready = False
        self.task: Task | None = None
        self.started = time.monotonic()
        self.deadline = self.started + START_TIMEOUT_S

    def assign(self, task: Task, budget_s: float) -> None:
        self.conn.send(task)
        self.task = task
        self.started = time.monotonic()
        self.deadline = self.started + budget_s

    def stop(self, grace: float) -> None:
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(grace)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(grace)
        self.conn.close()


class Pool:
    """`jobs` grading processes working through a queue of tasks."""

    def __init__(self, jobs: int, setup: Setup, deadline_s: float) -> None:
        self.jobs = max(1, jobs)
        self.setup = setup
        self.deadline_s = deadline_s
        self.context = multiprocessing.get_context("spawn")

    def run(self, tasks: Iterable[Task], started: Callable[[Task], None],
            finished: Callable[[Task, Finished], None]) -> None:
        """Grade every task. `started`/`finished` are called in the parent, in that order, once
        per task. Raises BatchAborted, or KeyboardInterrupt; either way every process is gone."""
        pending = deque(tasks)
        slots: list[_Slot] = []
        try:
            slots = [_Slot(self.context, self.setup) for _ in range(min(self.jobs, len(pending)))]
            while pending or any(s.task for s in slots):
                for slot in slots:
                    if slot.ready and slot.task is None and pending:
                        task = pending.popleft()
                        started(task)
                        slot.assign(task, self.deadline_s)
                self._wait(slots)
                for index, slot in enumerate(slots):
                    if not self._poll(slot, finished) and (pending or slot.task):
                        slots[index] = _Slot(self.context, self.setup)
        finally:
            idle = [s for s in slots if s.ready and s.task is None and s.process.is_alive()]
            for slot in slots:
                if slot in idle:
                    try:
                        slot.conn.send(None)  # a clean exit
                    except OSError:
                        pass
                elif slot.process.is_alive():
                    slot.process.terminate()  # all at once: each unwinds its grade() in parallel
            for slot in slots:
                if slot in idle:
                    slot.process.join(STOP_GRACE_S)
                slot.stop(STOP_GRACE_S)

    def _wait(self, slots: list[_Slot]) -> None:
        """Sleep until a watched process speaks, exits or reaches its deadline."""
        watched = [s for s in slots if s.task is not None or not s.ready]
        if not watched or any(not s.process.is_alive() for s in watched):
            return
        timeout = max(0.0, min(s.deadline for s in watched) - time.monotonic())
        wait([s.conn for s in watched] + [s.process.sentinel for s in watched], timeout)

    def _poll(self, slot: _Slot, finished: Callable[[Task, Finished], None]) -> bool:
        """Handle what `slot` said or did; False when its process is gone and must be replaced."""
        try:
            while slot.conn.poll():
                kind, payload = slot.conn.recv()
                if kind == "fatal":
                    raise BatchAborted(payload)
                if kind == "ready":
                    slot.ready = True
                elif kind == "done" and slot.task is not None:
                    task, slot.task = slot.task, None
                    finished(task, payload)
        except (EOFError, OSError):
            pass
        alive = slot.process.is_alive()
        overdue = time.monotonic() > slot.deadline and (slot.task or not slot.ready)
        if alive and not overdue:
            return True
        if not slot.ready and slot.task is None:
            slot.stop(STOP_GRACE_S)
            raise BatchAborted(f"a grading process did not start within {START_TIMEOUT_S:g} s"
                               if alive else "a grading process died while starting (exit code "
                               f"{slot.process.exitcode})")
        task = slot.task
        slot.stop(STOP_GRACE_S)
        if task is not None:
            slot.task = None
            if overdue:
                why = (f"not graded: grading took longer than {self.deadline_s:g} s, so it was "
                       "stopped")
            else:
                why = f"not graded: the grading process died (exit code {slot.process.exitcode})"
            report = fallback_report(task.submission, self.setup.options, why)
            finished(task, record(self.setup, task, report, ERRORED, slot.started))
        return False
