"""The `process` level: rlimits (where the platform has them) and timeouts only, same user as the
grader. Weak, and reported as such; the level of every platform, and of a student's self-check.
On Windows its workers talk over stdin/stdout (the transport the level holds: `transport/`).
"""

from __future__ import annotations

from pathlib import Path

from autograder.sandbox.cgroups import pids_cgroup_available
from autograder.sandbox.interpreter import is_root
from autograder.sandbox.levels.base import Isolation, IsolationLevel, Lease, WorkerProcess
from autograder.sandbox.limits import rlimits_missing


class ProcessLevel(IsolationLevel):
    kind = Isolation.PROCESS

    def probe(self) -> tuple[bool, str]:
        return True, ""

    def note(self) -> str:
        no_rlimits = rlimits_missing()
        if pids_cgroup_available()[0]:
            procs = "processes capped by a pids cgroup"
        elif no_rlimits:
            procs = "no process cap"
        elif is_root():
            procs = "no process cap for root"
        else:
            procs = "RLIMIT_NPROC counts all your processes"
        limits = f"timeouts only ({no_rlimits})" if no_rlimits else "rlimits and timeouts only"
        return (f"WEAK: {limits}; the worker runs as the grader's own user and could read or "
                f"write the grader's files, use the network and signal the grader; {procs}.")

    def lease(self, tmp: Path) -> Lease:
        """Become a subreaper first, so the worker's double-forked daemons are ours to kill."""
        self.reaper.become_subreaper()
        return Lease()

    def kill_first(self, worker: WorkerProcess) -> list[int]:
        """Stop and kill the worker's descendants and the orphans re-parented to the grader."""
        self.reaper.sweep_strays(worker.popen.pid, worker.children_before)
        return []

    def kill_last(self, worker: WorkerProcess, inner: list[int]) -> None:
        self.reaper.sweep_strays(worker.popen.pid, worker.children_before)
