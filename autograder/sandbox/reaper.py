"""The grader's own children: its live workers, and the orphans it adopts as a subreaper.

One `Reaper` serves every worker of a grading run (the isolation level chosen for the run owns
it): a sweep for one worker's strays must not take another worker that is still running, such as
the next group's worker that starts early.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time

from autograder.sandbox.proctable import (
    KILL_PATIENCE_S,
    children,
    descendants,
    process_table,
    signal_all,
    state,
)


class Reaper:
    """Live worker pids, and the sweeps that kill and reap what they left behind."""

    def __init__(self) -> None:
        self.live: set[int] = set()  # pids of this run's running workers
        self.subreaper = False

    def started(self, pid: int) -> None:
        self.live.add(pid)

    def finished(self, pid: int, keep: frozenset[int]) -> None:
        """Forget worker `pid` and reap the dead orphans the kernel handed to the grader since.

        The grader is a subreaper once any worker ran at the `process` level, so they would pile
        up as zombies; children it had before (`keep`) are left to whoever started them.
        """
        self.live.discard(pid)
        for child in children(os.getpid()):
            if child not in keep and child not in self.live and state(child) == "Z":
                with contextlib.suppress(ChildProcessError, OSError):
                    os.waitpid(child, os.WNOHANG)

    def become_subreaper(self) -> bool:
        """Adopt orphaned descendants (double-fork + setsid daemons) so the `process` level can
        kill them. Linux only; harmless elsewhere."""
        if self.subreaper or not sys.platform.startswith("linux"):
            return self.subreaper
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            pr_set_child_subreaper = 36
            self.subreaper = libc.prctl(pr_set_child_subreaper, 1, 0, 0, 0) == 0
        except (OSError, AttributeError):
            self.subreaper = False
        return self.subreaper

    def sweep_strays(self, worker: int, children_before: frozenset[int]) -> None:
        """Stop, then kill, the worker's descendants and every orphan that was re-parented to the
        grader since the worker started; repeat until none is left."""
        me = os.getpid()
        deadline = time.monotonic() + KILL_PATIENCE_S
        while True:
            table = process_table()
            orphans = {p for p, info in table.items() if info.ppid == me
                       and p not in children_before and p != worker and p not in self.live}
            targets = descendants({worker} | orphans, table) - {me}
            alive = [p for p in targets if table[p].state not in ("Z", "X")]
            if alive:  # never without /proc (macOS, Windows: no SIGSTOP there either)
                signal_all(alive, signal.SIGSTOP)
                signal_all(alive, signal.SIGKILL)
            for pid in orphans:  # reap what the kernel handed to us; the worker is its Popen's
                with contextlib.suppress(ChildProcessError, OSError):
                    os.waitpid(pid, os.WNOHANG)
            if not alive or time.monotonic() > deadline:
                return
            time.sleep(0.002)
