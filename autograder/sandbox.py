"""Where student code runs: isolation levels, resource limits, and killing the whole worker tree.

Three levels, strongest first (see docs/SECURITY.md for what each one promises):

- `namespace`: bubblewrap. The worker sees only the Python stdlib, the harness and the submission,
  read-only, with a private /tmp, no network, its own pid namespace and an unprivileged uid.
- `uid`: the grader runs as root without bubblewrap. The worker runs under a fresh unprivileged uid,
  so it cannot write grader files, signal the grader, or exceed its process limit.
- `process`: rlimits and timeouts only, same uid as the grader. Weak: reported as such.

Limits are kernel-enforced (rlimits with soft = hard, so SIGXCPU cannot be caught and ignored).
Python-level hooks in the worker only log; nothing here trusts them.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
import sysconfig
import time
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path

HARNESS = Path(__file__).resolve().parent / "worker" / "harness.py"
UID_BASE = 61_000  # workers at the `uid` level run as UID_BASE + (grader pid + counter) % 4000


class Isolation(StrEnum):
    NAMESPACE = "namespace"
    UID = "uid"
    PROCESS = "process"


ISOLATION_ORDER = (Isolation.NAMESPACE, Isolation.UID, Isolation.PROCESS)


class IsolationUnavailable(RuntimeError):
    """A forced isolation level cannot be provided on this machine."""


@dataclass(frozen=True)
class IsolationInfo:
    level: Isolation
    note: str  # one line: why this level, what it lacks


@dataclass(frozen=True)
class Limits:
    """Per-worker resource limits. Every one is enforced by the kernel, not by Python."""

    cpu_s: int = 60  # CPU seconds over the worker's whole life (soft = hard)
    memory_mb: int = 1024  # address space
    file_mb: int = 16  # largest file the worker may write
    nproc: int = 64  # processes (effective for a non-root uid)
    open_files: int = 64


def python_executable() -> str:
    """The base interpreter (not a venv's), so site-packages with torch/numpy stays out of reach."""
    base = getattr(sys, "_base_executable", None) or sys.executable
    return os.path.realpath(base)


def _site_dirs() -> list[str]:
    """Directories holding third-party packages, masked inside the namespace."""
    dirs = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    base = sys.base_prefix
    dirs |= {os.path.join(base, "lib", f"python{sys.version_info.major}.{sys.version_info.minor}",
                          "site-packages")}
    dirs |= {"/usr/lib/python3/dist-packages", "/usr/local/lib/python3/dist-packages"}
    dirs |= {f"/usr/lib/python{sys.version_info.major}.{sys.version_info.minor}/site-packages",
             f"/usr/local/lib/python{sys.version_info.major}.{sys.version_info.minor}/dist-packages"}
    return sorted(d for d in dirs if os.path.isdir(d))


def _namespace_argv(stage: Path, tmp: Path) -> list[str]:
    """bubblewrap arguments: a read-only view of the system, the stdlib, the harness, the submission."""
    argv = ["bwrap", "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL"]
    if os.geteuid() == 0:
        argv += ["--unshare-user", "--uid", "65534", "--gid", "65534"]
    for path in ("/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin", "/etc/alternatives",
                 "/etc/ld.so.cache"):
        if os.path.exists(path):
            argv += ["--ro-bind", path, path]
    prefix = os.path.realpath(sys.base_prefix)
    if not prefix.startswith("/usr/"):
        parent = os.path.dirname(prefix)
        argv += ["--dir", parent, "--ro-bind", prefix, prefix]
    for site in _site_dirs():
        if os.path.realpath(site).startswith(("/usr/", prefix)):
            argv += ["--tmpfs", os.path.realpath(site)]
    argv += [
        "--proc", "/proc", "--dev", "/dev",
        "--bind", str(tmp), "/tmp",
        "--ro-bind", str(HARNESS), "/grader/harness.py",
        "--ro-bind", str(stage), "/submission",
        "--chdir", "/tmp",
        "--clearenv", "--setenv", "PATH", "/usr/bin:/bin", "--setenv", "HOME", "/tmp",
        "--setenv", "TMPDIR", "/tmp", "--setenv", "LANG", "C.UTF-8",
    ]
    return argv


@cache
def _bwrap_works() -> tuple[bool, str]:
    if shutil.which("bwrap") is None:
        return False, "bubblewrap (bwrap) is not installed"
    probe = Path(os.environ.get("TMPDIR", "/tmp"))
    argv = _namespace_argv(probe, probe) + [python_executable(), "-I", "-S", "-c", "pass"]
    try:
        result = subprocess.run(argv, capture_output=True, timeout=20, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, f"bubblewrap could not start ({exc})"
    if result.returncode != 0:
        reason = result.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["?"]
        return False, (f"bubblewrap cannot create namespaces here ({reason[0][:120]}); user "
                       "namespaces are probably blocked (e.g. Docker's default seccomp profile)")
    return True, ""


def detect_isolation(forced: str | None = None) -> IsolationInfo:
    """The strongest level this machine offers, or the forced one (or IsolationUnavailable)."""
    ok, why_not = _bwrap_works()
    root = os.geteuid() == 0
    if forced:
        level = Isolation(forced)
        if level is Isolation.NAMESPACE and not ok:
            raise IsolationUnavailable(f"isolation 'namespace' is not available: {why_not}")
        if level is Isolation.UID and not root:
            raise IsolationUnavailable("isolation 'uid' needs the grader to run as root "
                                       "(it switches the worker to an unprivileged uid)")
        return IsolationInfo(level, _NOTES[level])
    if ok:
        return IsolationInfo(Isolation.NAMESPACE, _NOTES[Isolation.NAMESPACE])
    if root:
        return IsolationInfo(Isolation.UID, f"{_NOTES[Isolation.UID]} Not namespace: {why_not}.")
    return IsolationInfo(Isolation.PROCESS, f"{_NOTES[Isolation.PROCESS]} Not namespace: {why_not}.")


_NOTES = {
    Isolation.NAMESPACE: "bubblewrap namespaces: read-only stdlib and submission, private /tmp, "
    "no network, own pid namespace.",
    Isolation.UID: "separate unprivileged uid with rlimits; the worker can read world-readable "
    "files and use the network.",
    Isolation.PROCESS: "WEAK: rlimits and timeouts only; the worker runs as the grader's own user "
    "and could read or write the grader's files.",
}


_uid_counter = 0


def _next_uid() -> int:
    global _uid_counter
    _uid_counter += 1
    return UID_BASE + (os.getpid() * 7 + _uid_counter) % 4000


def _set_limits(limits: Limits) -> None:
    """Runs in the child between fork and exec. Soft = hard: nothing can be raised or caught."""
    for which, value in (
        (resource.RLIMIT_CPU, limits.cpu_s),
        (resource.RLIMIT_AS, limits.memory_mb * 1024 * 1024),
        (resource.RLIMIT_FSIZE, limits.file_mb * 1024 * 1024),
        (resource.RLIMIT_NPROC, limits.nproc),
        (resource.RLIMIT_NOFILE, limits.open_files),
        (resource.RLIMIT_CORE, 0),
    ):
        resource.setrlimit(which, (value, value))


@dataclass
class WorkerProcess:
    """A running worker and what is needed to kill everything it started."""

    popen: subprocess.Popen
    level: Isolation
    uid: int | None
    request_w: int  # grader → worker
    reply_r: int  # worker → grader
    tmp: Path

    def kill_tree(self) -> None:
        """SIGKILL the worker and every process it started; wait until they are gone."""
        try:
            os.killpg(self.popen.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if self.uid is not None:
            _kill_uid(self.uid)
        try:
            self.popen.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        if self.level is Isolation.PROCESS:
            _kill_orphans()
        for fd in (self.request_w, self.reply_r):
            try:
                os.close(fd)
            except OSError:
                pass


def spawn_worker(level: Isolation, stage: Path, tmp: Path, limits: Limits,
                 stdout: int, stderr: int) -> WorkerProcess:
    """Start the harness at `level`. `stdout`/`stderr` are fds the grader drains with a cap."""
    req_r, req_w = os.pipe()
    rep_r, rep_w = os.pipe()
    uid: int | None = None
    python = python_executable()
    if level is Isolation.NAMESPACE:
        argv = _namespace_argv(stage, tmp) + [
            python, "-I", "-S", "-B", "/grader/harness.py", "--rfd", str(req_r), "--wfd", str(rep_w)]
    else:
        argv = [python, "-I", "-S", "-B", str(HARNESS), "--rfd", str(req_r), "--wfd", str(rep_w)]
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": str(tmp), "TMPDIR": str(tmp)}
    kwargs: dict = {}
    if level is Isolation.UID:
        uid = _next_uid()
        os.chown(tmp, uid, uid)
        kwargs = {"user": uid, "group": uid, "extra_groups": []}
    try:
        popen = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=stderr,
            pass_fds=(req_r, rep_w),
            close_fds=True,
            cwd=str(tmp),
            env=env,
            start_new_session=True,
            preexec_fn=lambda: _set_limits(limits),  # noqa: PLW0108
            **kwargs,
        )
    finally:
        os.close(req_r)
        os.close(rep_w)
    return WorkerProcess(popen, level, uid, req_w, rep_r, tmp)


def _kill_uid(uid: int) -> None:
    """Kill every process of a worker uid: a forked helper drops to that uid and sends kill(-1)."""
    for _ in range(3):
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the forked child only
            try:
                os.setgid(uid)
                os.setuid(uid)
                os.kill(-1, signal.SIGKILL)
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
        if not _pids_of_uid(uid):
            return
        time.sleep(0.01)


def _pids_of_uid(uid: int) -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if os.stat(f"/proc/{entry}").st_uid == uid:
                pids.append(int(entry))
        except OSError:
            continue
    return pids


_SUBREAPER = False


def become_subreaper() -> bool:
    """Adopt orphaned descendants (double-fork + setsid daemons) so the `process` level can kill
    them. Linux only; harmless elsewhere."""
    global _SUBREAPER
    if _SUBREAPER or not sys.platform.startswith("linux"):
        return _SUBREAPER
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_CHILD_SUBREAPER = 36
        _SUBREAPER = libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        _SUBREAPER = False
    return _SUBREAPER


def _kill_orphans() -> None:
    """Kill processes re-parented to the grader (it is a subreaper) and reap them."""
    me = os.getpid()
    my_session = os.getsid(0)
    for _ in range(5):
        orphans = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat", "rb") as f:
                    fields = f.read().rsplit(b")", 1)[1].split()
                # Only strays from a worker: our own helpers share our session id.
                if int(fields[1]) == me and int(fields[3]) != my_session:
                    orphans.append(int(entry))
            except (OSError, IndexError, ValueError):
                continue
        live = [p for p in orphans if p not in _tracked_children()]
        if not live:
            return
        for pid in live:
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except (ProcessLookupError, ChildProcessError, PermissionError):
                pass


_TRACKED: set[int] = set()


def _tracked_children() -> set[int]:
    return _TRACKED
