"""The isolation-level interface, and what every level shares: spawning and the kill sequence.

A level is one class (`namespace.py`, `uid.py`, `process.py` beside this file). It says whether
the machine offers it and why not (`probe`), what it gives (`note`), how the worker is started
(`command`, `lease`, `child_setup`), where the worker finds the harness and the submission, how
the whole worker tree dies (the `kill_*` steps), and what an exit status means (`exit_signal`).
Callers never ask which level they hold.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import ClassVar

import autograder.sandbox.cgroups as cgroups
import autograder.sandbox.interpreter as interpreter
from autograder.sandbox.cgroups import PidsCgroup
from autograder.sandbox.limits import Limits, apply_rlimits, rlimits_missing
from autograder.sandbox.proctable import children, signal_all
from autograder.sandbox.reaper import Reaper
from autograder.sandbox.transport import Channel, OutputBuffer, Transport, choose_transport

CRASH_HINTS = {
    "SIGKILL": " (it may have hit the CPU-time limit)",
    "SIGSEGV": " (a segmentation fault: ctypes, or recursion past the C stack?)",
    "SIGXFSZ": " (it wrote a file larger than the limit)",
}


class Isolation(StrEnum):
    NAMESPACE = "namespace"
    UID = "uid"
    PROCESS = "process"


class IsolationUnavailable(RuntimeError):
    """A forced isolation level cannot be provided on this machine."""


class Lease:
    """What a level reserves for one worker (a uid, say), given back after the worker is dead."""

    def release(self) -> None:
        """Give the reservation back. Nothing to give back by default."""


@dataclass
class WorkerProcess:
    """A running worker and what is needed to kill everything it started."""

    popen: subprocess.Popen
    level: IsolationLevel
    channel: Channel  # requests, replies and output (the level's transport)
    tmp: Path
    lease: Lease = field(default_factory=Lease)
    cgroup: PidsCgroup | None = None
    children_before: frozenset[int] = field(default_factory=frozenset)

    def kill_tree(self) -> None:
        """SIGKILL the worker and every process it started; return once they are gone."""
        self.level.kill(self)

    def explain_exit(self, code: int) -> str:
        return self.level.explain_exit(code)

    def close(self) -> None:
        """Let go of the grader's ends of the channel and give the lease back (after
        `kill_tree`)."""
        self.channel.close()
        self.lease.release()


def signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


class IsolationLevel:
    """One isolation level. One instance serves a grading run and owns its `Reaper`."""

    kind: ClassVar[Isolation]

    def __init__(self, reaper: Reaper | None = None, transport: Transport | None = None) -> None:
        self.reaper = reaper or Reaper()
        self.transport = transport or choose_transport()

    # ---- availability -------------------------------------------------------------------------
    def probe(self) -> tuple[bool, str]:
        """(True, "") when this machine offers the level, else the reason, in one phrase."""
        raise NotImplementedError

    def note(self) -> str:
        """What the level gives the grader on this machine, and what it lacks, in one line."""
        raise NotImplementedError

    def mention_when_skipped(self) -> bool:
        """Whether a weaker level's note says why this one was not used."""
        return True

    # ---- what the worker sees -----------------------------------------------------------------
    def harness_path(self) -> str:
        """The harness, as the worker's file system shows it."""
        return str(interpreter.HARNESS)

    def submission_path(self, stage: Path) -> str:
        """The staged submission, as the worker's file system shows it."""
        return str(stage)

    def command(self, argv: list[str], stage: Path, tmp: Path,
                limits: Limits) -> tuple[list[str], dict[str, str]]:
        """The command line and environment that start the harness command `argv`."""
        return argv, interpreter.worker_env(str(tmp))

    # ---- starting -----------------------------------------------------------------------------
    def lease(self, tmp: Path) -> Lease:
        """Reserve what one worker needs before it starts (its private `tmp` exists already)."""
        return Lease()

    def child_setup(self, limits: Limits, cgroup: PidsCgroup | None,
                    lease: Lease) -> Callable[[], None] | None:
        """What runs in the child between fork and exec: join the cgroup and set the rlimits
        while still privileged. None where there is nothing to do (no fork on Windows)."""
        rlimits = not rlimits_missing()
        if cgroup is None and not rlimits:
            return None

        def prepare() -> None:
            if cgroup is not None:
                cgroup.join()
            if rlimits:
                apply_rlimits(limits)

        return prepare

    def spawn(self, stage: Path, tmp: Path, limits: Limits, output: OutputBuffer) -> WorkerProcess:
        """Start the harness, wired up by the level's transport; what it prints goes to `output`.

        The worker gets its three standard fds (stdin is the null device) and, with the `pipes`
        transport, its two pipe ends; every other fd of the grader is closed, and its
        environment is four fixed variables.
        """
        plan = self.transport.plan()
        harness = interpreter.harness_argv(interpreter.python_executable(), self.harness_path(),
                                           plan.args)
        argv, env = self.command(harness, stage, tmp, limits)
        lease: Lease | None = None
        cgroup = None
        try:
            lease = self.lease(tmp)
            cgroup = cgroups.create_pids_cgroup(limits.nproc)
            before = frozenset(children(os.getpid()))
            popen = subprocess.Popen(
                argv, close_fds=True, cwd=str(tmp), env=env, start_new_session=True,
                preexec_fn=self.child_setup(limits, cgroup, lease), **plan.popen_kwargs)
        except BaseException:
            plan.abort()
            if cgroup is not None:
                cgroup.remove()
            if lease is not None:
                lease.release()
            raise
        self.reaper.started(popen.pid)
        return WorkerProcess(popen, self, plan.connect(popen, output), tmp, lease, cgroup, before)

    # ---- killing ------------------------------------------------------------------------------
    def kill(self, worker: WorkerProcess) -> None:
        """SIGKILL the worker and every process it started; return once they are gone.

        Each level adds what it can in its `kill_*` steps (see the subclasses); the pids cgroup,
        where there is one, lists every descendant however it detached.
        """
        pid = worker.popen.pid
        inner = self.kill_first(worker)
        kill_group(worker.popen)
        self.kill_lease(worker.lease)
        if worker.cgroup is not None:
            worker.cgroup.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            worker.popen.wait(timeout=10)
        self.kill_last(worker, inner)
        if worker.cgroup is not None:
            worker.cgroup.remove()
        self.reaper.finished(pid, worker.children_before)

    def kill_first(self, worker: WorkerProcess) -> list[int]:
        """Before the worker's process group is killed; returns pids for `kill_last` to await."""
        return []

    def kill_lease(self, lease: Lease) -> None:
        """After the process group: kill whatever runs under the worker's reservation."""

    def kill_last(self, worker: WorkerProcess, inner: list[int]) -> None:
        """After the worker itself has been reaped: catch what is left."""

    # ---- exit status --------------------------------------------------------------------------
    def exit_signal(self, code: int) -> int | None:
        """The signal that ended the worker, if a signal did, from its exit status."""
        return -code if code < 0 else None

    def explain_exit(self, code: int) -> str:
        """Why the worker stopped without replying, from its exit status."""
        signum = self.exit_signal(code)
        if signum is not None:
            name = signal_name(signum)
            return f"crashed (signal {signum}, {name}){CRASH_HINTS.get(name, '')}"
        return (f"the worker exited with code {code} without replying: a missing reply is a "
                "failure (did the code call sys.exit() or os._exit()?)")


def kill_group(popen: subprocess.Popen) -> None:
    """SIGKILL the worker's process group and the worker. Where there are no process groups
    (Windows), `taskkill /T /F` ends the processes the worker started while the worker still
    anchors its tree, then the worker itself is terminated."""
    if not hasattr(os, "killpg"):
        taskkill = shutil.which("taskkill")
        if taskkill is not None:
            with contextlib.suppress(OSError, subprocess.SubprocessError):
                subprocess.run([taskkill, "/T", "/F", "/PID", str(popen.pid)],
                               stdin=subprocess.DEVNULL, capture_output=True, timeout=10)
        with contextlib.suppress(OSError):
            popen.kill()
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(popen.pid, signal.SIGKILL)
    signal_all([popen.pid], signal.SIGKILL)
