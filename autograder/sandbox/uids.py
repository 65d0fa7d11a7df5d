"""The pool of unprivileged uids for the `uid` level: lock files, switching, and the uid sweep.

Unix only: `fcntl` and `pwd` are imported inside the functions that use them.
"""

from __future__ import annotations

import contextlib
import os
import signal
import stat
import tempfile
import time
from pathlib import Path

from autograder.sandbox.proctable import KILL_PATIENCE_S, pids_of_uid

UID_FIRST = 61_000  # fallback worker uids come from below UID_FIRST (see `_uid_candidates`)
UID_COUNT = 4_000


def _uid_candidates() -> range:
    """Worker uids: a high range nobody uses when it is mapped, else one below systemd's dynamic
    users (61184-65519) and above the usual human accounts."""
    high = range(2_100_000_000, 2_100_000_000 + UID_COUNT)
    try:
        for line in Path("/proc/self/uid_map").read_text().splitlines():
            inside, _, count = (int(x) for x in line.split())
            if inside <= high.start and high.stop <= inside + count:
                return high
    except (OSError, ValueError):
        return high
    return range(UID_FIRST - 2_000, UID_FIRST - 1_000)


def _uid_lock_dir() -> Path:
    for base in ("/run", tempfile.gettempdir()):
        directory = Path(base) / f"mgrade-uids-{os.geteuid()}"
        try:
            directory.mkdir(mode=0o700, exist_ok=True)
            info = os.lstat(directory)
        except OSError:
            continue
        if stat.S_ISDIR(info.st_mode) and info.st_uid == os.geteuid() and not info.st_mode & 0o077:
            return directory
    raise OSError("no private directory for worker uid locks")


def allocate_uid() -> tuple[int, int]:
    """A uid that no account owns and no process runs as, and the lock fd reserving it.

    The lock (flock on a file in a root-only directory) keeps two graders on one machine from
    picking the same uid, which would let one grader's kill sweep end the other's worker.
    """
    import fcntl
    import pwd

    directory = _uid_lock_dir()
    candidates = _uid_candidates()
    start = int.from_bytes(os.urandom(4), "big") % len(candidates)
    for i in range(len(candidates)):
        uid = candidates[(start + i) % len(candidates)]
        fd = os.open(directory / f"{uid}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue
        try:
            pwd.getpwuid(uid)
            taken = True
        except KeyError:
            taken = bool(pids_of_uid(uid))
        if taken:
            os.close(fd)
            continue
        return uid, fd
    raise RuntimeError("no free worker uid")


def release_uid(lock: int | None) -> None:
    if lock is not None:
        with contextlib.suppress(OSError):
            os.close(lock)


def drop_privileges(uid: int) -> None:
    """Become `uid`/`uid` with no supplementary groups. Runs in a forked child."""
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)


def kill_uid(uid: int) -> None:
    """Kill every process of a worker uid: a forked helper becomes that uid and sends kill(-1),
    which the kernel delivers to all of them in one pass (no fork can slip through it)."""
    deadline = time.monotonic() + KILL_PATIENCE_S
    while True:
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the forked child only
            try:
                drop_privileges(uid)
                os.kill(-1, signal.SIGKILL)
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
        if not pids_of_uid(uid) or time.monotonic() > deadline:
            return
        time.sleep(0.005)


def closed_to_others(path: str) -> str:
    """'' when other users can reach and read `path`, else the first component that stops them."""
    parts = Path(path).parts
    for i in range(1, len(parts)):
        directory = Path(*parts[:i])
        try:
            mode = directory.stat().st_mode
        except OSError:
            return f"{directory} cannot be read"
        if not mode & stat.S_IXOTH:
            return f"{directory} is mode {stat.S_IMODE(mode):04o}"
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return f"{path} cannot be read"
    return "" if mode & stat.S_IROTH else f"{path} is mode {stat.S_IMODE(mode):04o}"
