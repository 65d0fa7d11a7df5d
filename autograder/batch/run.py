"""One batch: find the submissions, skip the finished ones, grade the rest, write grades.csv.

Progress goes to the terminal as a rich progress bar (ETA, live passed / failed / errored counts),
or as one line per student when the output is a log. `DIR/batch.log` gets a line when a student's
grading starts and one when it ends, appended as they happen, so after a crash it says who was
being graded.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from autograder.batch.discover import Found
from autograder.batch.gradebook import write_gradebook
from autograder.batch.outputs import GRADED, Outputs, Settings, submission_fingerprint
from autograder.batch.pool import Finished, Pool, Setup, Task

LOG_NAME = "batch.log"


def default_jobs() -> int:
    """The cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


@dataclass
class Summary:
    found: int = 0
    skipped: int = 0  # finished by an earlier run
    counts: Counter = field(default_factory=Counter)  # passed / failed / errored
    errored: list[str] = field(default_factory=list)  # "key: why"
    gradebook: Path | None = None
    interrupted: bool = False


def kind(result: Finished) -> str:
    """passed: every check passed; failed: graded, some check failed; errored: not graded."""
    if result.status != GRADED:
        return "errored"
    return "passed" if result.failed_checks == 0 else "failed"


class _Log:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def line(self, *words: object) -> None:
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        os.write(self.fd, (" ".join([stamp, *map(str, words)]) + "\n").encode("utf-8"))

    def close(self) -> None:
        os.close(self.fd)


def run_batch(found: Found, out: Path, options, settings: Settings, *, jobs: int, force: bool,
              deadline_s: float, console: Console) -> Summary:
    """Grade every submission of `found` that is not finished yet; see the module docstring."""
    outputs = Outputs(out)
    summary = Summary(found=len(found.submissions))
    todo: list[Task] = []
    for submission in found.submissions:
        fingerprint = submission_fingerprint(submission.path)
        if not force and outputs.finished(submission.key, settings, fingerprint):
            summary.skipped += 1
        else:
            todo.append(Task(submission, fingerprint))
    if summary.skipped:
        console.print(f"{summary.skipped} of {summary.found} already graded (use --force to "
                      "grade them again)", highlight=False)
    log = _Log(out / LOG_NAME)
    log.line("batch", f"{len(todo)} to grade", f"jobs={jobs}")
    pool = Pool(jobs, Setup(options, out, settings), deadline_s)
    try:
        with _Progress(console, len(todo)) as progress:
            def started(task: Task) -> None:
                log.line("start", task.submission.key)

            def finished(task: Task, result: Finished) -> None:
                label = kind(result)
                summary.counts[label] += 1
                if result.error:
                    summary.errored.append(f"{result.key}: {result.error}")
                log.line("done", result.key, label, f"{result.score:g}/{result.max_score:g}",
                         f"{result.seconds:.1f}s")
                progress.advance(result, summary.counts)

            pool.run(todo, started, finished)
    except KeyboardInterrupt:
        summary.interrupted = True
        log.line("interrupted")
    finally:
        log.close()
        summary.gradebook = write_gradebook(outputs, found.submissions)
    return summary


class _Progress:
    """A rich progress bar on a terminal; one line per finished student elsewhere."""

    def __init__(self, console: Console, total: int) -> None:
        self.console = console
        self.total = total
        self.done = 0
        self.live = console.is_terminal
        self.bar = Progress(
            TextColumn("grading"), BarColumn(), MofNCompleteColumn(),
            TextColumn("[green]{task.fields[passed]} passed[/] [yellow]{task.fields[failed]} "
                       "failed[/] [red]{task.fields[errored]} errored[/]"),
            TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(), console=console)
        self.task = None
        self.started = time.monotonic()

    def __enter__(self) -> _Progress:
        if self.live:
            self.bar.start()
            self.task = self.bar.add_task("", total=self.total, passed=0, failed=0, errored=0)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live:
            self.bar.stop()

    def advance(self, result: Finished, counts: Counter) -> None:
        self.done += 1
        if self.live:
            self.bar.update(self.task, advance=1, passed=counts["passed"],
                            failed=counts["failed"], errored=counts["errored"])
            return
        elapsed = time.monotonic() - self.started
        eta = elapsed / self.done * (self.total - self.done)
        self.console.print(f"[{self.done}/{self.total}] {result.key}: {kind(result)} "
                           f"{result.score:g}/{result.max_score:g} ({result.seconds:.1f} s); "
                           f"{counts['passed']} passed, {counts['failed']} failed, "
                           f"{counts['errored']} errored; ETA {eta:.0f} s",
                           markup=False, highlight=False)

