"""The `uid` level: the grader runs as root without bubblewrap, so each worker runs under a fresh
unprivileged uid. It cannot write the grader's files, signal the grader, or exceed its process
limit (RLIMIT_NPROC binds a non-root uid). Unix only.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from functools import cache
from pathlib import Path

import autograder.sandbox.interpreter as interpreter
from autograder.sandbox.cgroups import PidsCgroup
from autograder.sandbox.levels.base import Isolation, IsolationLevel, Lease
from autograder.sandbox.limits import Limits, rlimits_missing
from autograder.sandbox.uids import (
    allocate_uid,
    closed_to_others,
    drop_privileges,
    kill_uid,
    release_uid,
)


class UidLease(Lease):
    """One worker's uid, reserved by its lock file until released."""

    def __init__(self, uid: int, lock: int | None) -> None:
        self.uid = uid
        self.lock = lock

    def release(self) -> None:
        release_uid(self.lock)
        self.lock = None


class UidLevel(IsolationLevel):
    kind = Isolation.UID

    def probe(self) -> tuple[bool, str]:
        return uid_available()

    def mention_when_skipped(self) -> bool:
        return interpreter.is_root()  # not being root is the ordinary case, not news

    def note(self) -> str:
        return ("separate unprivileged uid per worker with rlimits (RLIMIT_NPROC holds); the "
                "worker can read world-readable files and use the network.")

    def lease(self, tmp: Path) -> Lease:
        uid, lock = allocate_uid()
        lease = UidLease(uid, lock)
        try:
            os.chown(tmp, uid, uid)
        except BaseException:
            lease.release()
            raise
        return lease

    def child_setup(self, limits: Limits, cgroup: PidsCgroup | None,
                    lease: Lease) -> Callable[[], None] | None:
        """Join the cgroup and set limits while still privileged, then drop to the uid."""
        assert isinstance(lease, UidLease)
        privileged = super().child_setup(limits, cgroup, lease)

        def prepare() -> None:
            if privileged is not None:
                privileged()
            drop_privileges(lease.uid)

        return prepare

    def kill_lease(self, lease: Lease) -> None:
        """A forked helper takes the worker's uid and kills every process of it at once."""
        if isinstance(lease, UidLease):
            kill_uid(lease.uid)


@cache
def uid_available() -> tuple[bool, str]:
    """(True, "") when a worker can run under an unprivileged uid, else the reason.

    Needs root, and an interpreter, stdlib and harness that other users can read: a Python under
    /root (pyenv, conda) usually is not, because /root is mode 0700.
    """
    if not interpreter.is_root():
        return False, "the grader is not running as root, so it cannot switch the worker's uid"
    no_rlimits = rlimits_missing()
    if no_rlimits:
        return False, no_rlimits
    missing = interpreter.missing_modules("fcntl", "pwd")
    if missing:
        return False, f"this platform lacks {', '.join(missing)}, which the uid pool needs"
    python = interpreter.python_executable()
    for path in (python, str(interpreter.HARNESS)):
        closed = closed_to_others(path)
        if closed:
            return False, (f"{path} is not readable by other users ({closed}); install Python and "
                           "mgrade where every user can read them")
    try:
        uid, lock = allocate_uid()
    except (OSError, RuntimeError) as exc:
        return False, f"no worker uid could be reserved ({exc})"
    try:
        result = subprocess.run(
            [python, "-I", "-S", "-B", str(interpreter.HARNESS)], capture_output=True, timeout=20,
            stdin=subprocess.DEVNULL, env=dict(interpreter.WORKER_ENV), cwd="/",
            preexec_fn=lambda: drop_privileges(uid))
    except (OSError, subprocess.SubprocessError) as exc:
        return False, f"the interpreter could not start as uid {uid} ({exc})"
    finally:
        release_uid(lock)
    if result.returncode != 2 or b"usage" not in result.stderr:
        tail = result.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["?"]
        return False, f"the interpreter failed as uid {uid} ({tail[0][:120]})"
    return True, ""
