"""The process table, read from /proc: who is whose child, which uid runs what, and signalling.

Where there is no /proc (macOS, Windows) the table is empty: the `process` level then kills the
worker's process group only.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

KILL_PATIENCE_S = 5.0  # how long a kill sweep keeps looking for stragglers


@dataclass(frozen=True)
class ProcInfo:
    ppid: int
    sid: int
    state: str


def _pid_entries() -> list[str]:
    try:
        return [entry for entry in os.listdir("/proc") if entry.isdigit()]
    except OSError:
        return []


def process_table() -> dict[int, ProcInfo]:
    """Every visible process: parent, session and state, from /proc/<pid>/stat."""
    table = {}
    for entry in _pid_entries():
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
            table[int(entry)] = ProcInfo(int(fields[1]), int(fields[3]), fields[0].decode())
        except (OSError, IndexError, ValueError):
            continue
    return table


def children(pid: int, table: dict[int, ProcInfo] | None = None) -> list[int]:
    """`pid`'s children (zombies included): from its own /proc entry where the kernel lists
    them, else from a scan of every process (or from `table`, when given)."""
    if table is None:
        listed = _listed_children(pid)
        if listed is not None:
            return listed
        table = process_table()
    return [p for p, info in table.items() if info.ppid == pid]


@cache
def _children_files() -> bool:
    """Whether this kernel lists a task's children in /proc/<pid>/task/<tid>/children."""
    me = os.getpid()
    return os.path.exists(f"/proc/{me}/task/{me}/children")


def _listed_children(pid: int) -> list[int] | None:
    """Children from /proc/<pid>/task/*/children (one file per thread: a child belongs to the
    thread that forked it); [] when `pid` is gone; None without those files."""
    if not _children_files():
        return None
    try:
        threads = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []
    found: list[int] = []
    for tid in threads:
        try:
            with open(f"/proc/{pid}/task/{tid}/children", "rb") as f:
                found += [int(child) for child in f.read().split()]
        except (OSError, ValueError):
            continue  # the thread exited meanwhile
    return found


def state(pid: int) -> str | None:
    """`pid`'s state letter (R, S, Z, ...), or None once it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0].decode()
    except (OSError, IndexError):
        return None


def descendants(roots: Iterable[int], table: dict[int, ProcInfo]) -> set[int]:
    """`roots` and every process below them in `table`."""
    kids: dict[int, list[int]] = {}
    for pid, info in table.items():
        kids.setdefault(info.ppid, []).append(pid)
    found: set[int] = set()
    stack = [p for p in roots if p in table]
    while stack:
        pid = stack.pop()
        if pid not in found:
            found.add(pid)
            stack.extend(kids.get(pid, ()))
    return found


def pids_of_uid(uid: int) -> list[int]:
    """Processes whose real, effective or saved uid is `uid` (read from status: a process that
    made itself non-dumpable shows /proc/<pid> as root's, but not its status)."""
    pids = []
    for entry in _pid_entries():
        try:
            with open(f"/proc/{entry}/status", "rb") as f:
                for line in f:
                    if line.startswith(b"State:") and line.split()[1] in (b"Z", b"X"):
                        break  # dead already, waiting to be reaped
                    if line.startswith(b"Uid:"):
                        if uid in (int(x) for x in line.split()[1:4]):
                            pids.append(int(entry))
                        break
        except (OSError, ValueError, IndexError):
            continue
    return pids


def signal_all(pids: Iterable[int], sig: int) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)


def wait_gone(pids: list[int]) -> None:
    """Wait until each pid has exited (gone, or a zombie): the first process of a pid namespace
    becomes a zombie only after the kernel has killed and reaped every other one in it."""
    deadline = time.monotonic() + KILL_PATIENCE_S
    for pid in pids:
        while time.monotonic() < deadline and state(pid) not in (None, "Z", "X"):
            time.sleep(0.005)
