"""A pids cgroup per worker: the process cap that binds root, and a list of every descendant."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from autograder.sandbox.proctable import KILL_PATIENCE_S, signal_all


@dataclass
class PidsCgroup:
    """A cgroup of its own for one worker: caps its processes and lists them all for the kill.

    Root ignores RLIMIT_NPROC, so at the `namespace` level (bubblewrap runs as root) and the
    `process` level (as root) this is the only bound on a fork storm. Membership is inherited by
    every descendant and cannot be left without write access to the cgroup filesystem, which the
    worker never has (not mounted in the namespace; root-owned at the `uid` level).
    """

    path: Path
    version: int

    def join(self) -> None:
        """Move the calling process in. Runs in the child between fork and exec."""
        with open(self.path / "cgroup.procs", "w") as procs:
            procs.write(str(os.getpid()))

    def pids(self) -> list[int]:
        try:
            text = (self.path / "cgroup.procs").read_text()
        except OSError:
            return []
        return [int(line) for line in text.split()]

    def kill(self) -> None:
        """SIGKILL every member until none is left (new forks fail once pids.max is reached)."""
        killer = self.path / "cgroup.kill"
        if self.version == 2 and killer.exists():
            with contextlib.suppress(OSError):
                killer.write_text("1")
        deadline = time.monotonic() + KILL_PATIENCE_S
        while (pids := self.pids()) and time.monotonic() < deadline:
            signal_all(pids, signal.SIGSTOP)
            signal_all(pids, signal.SIGKILL)
            time.sleep(0.002)

    def remove(self) -> None:
        deadline = time.monotonic() + KILL_PATIENCE_S
        while True:
            try:
                self.path.rmdir()
                return
            except FileNotFoundError:
                return
            except OSError:
                if time.monotonic() > deadline:
                    return
                self.kill()  # a straggler, or zombies waiting to be reaped
                time.sleep(0.01)


def _own_cgroup_dirs() -> list[tuple[Path, int]]:
    """(this process's cgroup directory, version) for each hierarchy with a pids controller."""
    mounts: list[tuple[str, str, int, str]] = []  # (mount root, mount point, version, options)
    try:
        for line in Path("/proc/self/mountinfo").read_text().splitlines():
            left, _, right = line.partition(" - ")
            fields, tail = left.split(), right.split()
            if len(fields) >= 5 and len(tail) >= 3 and tail[0] in ("cgroup", "cgroup2"):
                mounts.append((fields[3], fields[4], 2 if tail[0] == "cgroup2" else 1, tail[2]))
        memberships = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return []
    found = []
    for line in memberships:
        hierarchy, _, rest = line.partition(":")
        controllers, _, own = rest.partition(":")
        v2 = hierarchy == "0" and controllers == ""
        for root, point, version, options in mounts:
            if (version == 2) != v2 or (version == 1 and "pids" not in options.split(",")):
                continue
            if version == 1 and "pids" not in controllers.split(","):
                continue
            relative = own[len(root):] if root != "/" and own.startswith(root) else own
            found.append((Path(point + "/" + relative.lstrip("/")), version))
    return found


def create_pids_cgroup(limit: int) -> PidsCgroup | None:
    """A fresh pids cgroup with pids.max = `limit`, or None where none can be made."""
    for parent, version in _own_cgroup_dirs():
        path = parent / f"mgrade-{os.getpid()}-{os.urandom(4).hex()}"
        try:
            path.mkdir()
        except OSError:
            continue
        try:
            (path / "pids.max").write_text(str(limit))
        except OSError:
            with contextlib.suppress(OSError):
                path.rmdir()
            continue
        _remove_stale_cgroups(parent)
        return PidsCgroup(path, version)
    return None


def _remove_stale_cgroups(parent: Path) -> None:
    """Remove empty cgroups left by graders that were killed before they could clean up."""
    for entry in parent.glob("mgrade-*-*"):
        owner = entry.name.split("-")[1]
        if owner.isdigit() and int(owner) != os.getpid() and not os.path.exists(f"/proc/{owner}"):
            with contextlib.suppress(OSError):
                entry.rmdir()


@cache
def pids_cgroup_available() -> tuple[bool, str]:
    cgroup = create_pids_cgroup(4)
    if cgroup is None:
        return False, "no writable cgroup hierarchy with a pids controller"
    cgroup.remove()
    return True, ""
