"""Where student code runs: isolation levels, resource limits, and killing the whole worker tree.

Three levels, strongest first (docs/SECURITY.md says what each one promises, and what it does not):

- `namespace`: bubblewrap. The worker sees only the system's shared libraries, the Python
  stdlib, the harness and the submission, all read-only, plus a small private /tmp. No network,
  its own pid namespace (killing its first process ends them all), an unprivileged uid, no
  capabilities.
- `uid`: the grader runs as root without bubblewrap. The worker runs under a fresh unprivileged uid,
  so it cannot write grader files, signal the grader, or exceed its process limit.
- `process`: rlimits and timeouts only, same uid as the grader. Weak, and reported as such.

Limits come from the kernel: rlimits with soft = hard (so SIGXCPU cannot be caught and the limit
raised), and, where the cgroup filesystem is writable, a pids cgroup per worker, because
RLIMIT_NPROC does not apply to root (and bubblewrap runs as root here). Python-level hooks in the
worker only log; nothing here trusts them.
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import os
import pwd
import resource
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from pathlib import Path

HARNESS = Path(__file__).resolve().parent / "worker" / "harness.py"
SANDBOX_HARNESS = "/grader/harness.py"  # where the namespace level mounts the harness
SANDBOX_SUBMISSION = "/submission"  # ... and the staged submission
UID_FIRST = 61_000  # workers at the `uid` level get a uid from [UID_FIRST, UID_FIRST + UID_COUNT)
UID_COUNT = 4_000
NOBODY = 65534  # the uid/gid the worker has inside the namespace
KILL_PATIENCE_S = 5.0  # how long a kill sweep keeps looking for stragglers
WORKER_ENV = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}  # plus HOME and TMPDIR


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
    note: str  # one line: what this level gives, what it lacks, why no stronger level


@dataclass(frozen=True)
class Limits:
    """Per-worker resource limits. Every one is enforced by the kernel, not by Python."""

    cpu_s: int = 60  # CPU seconds over the worker's whole life (soft = hard)
    memory_mb: int = 1024  # address space of each process
    file_mb: int = 16  # largest file the worker may write
    nproc: int = 64  # processes and threads (pids cgroup; RLIMIT_NPROC for a non-root uid)
    open_files: int = 64
    tmp_mb: int = 64  # size of the private /tmp at the `namespace` level


def python_executable() -> str:
    """The base interpreter (not a venv's), so site-packages with torch/numpy stays out of reach."""
    base = getattr(sys, "_base_executable", None) or sys.executable
    return os.path.realpath(base)


# ---- detection ----------------------------------------------------------------------------------


def detect_isolation(forced: str | None = None) -> IsolationInfo:
    """The strongest level this machine offers, or the forced one (or IsolationUnavailable).

    Every level is probed by actually starting the interpreter the way a worker would, so a level
    that is reported is a level that works.
    """
    if forced:
        level = Isolation(forced)
        usable, why_not = {Isolation.NAMESPACE: bwrap_available, Isolation.UID: uid_available,
                           Isolation.PROCESS: lambda: (True, "")}[level]()
        if not usable:
            raise IsolationUnavailable(f"isolation '{level.value}' is not available: {why_not}")
        return IsolationInfo(level, level_note(level))
    bwrap_ok, no_bwrap = bwrap_available()
    if bwrap_ok:
        return IsolationInfo(Isolation.NAMESPACE, level_note(Isolation.NAMESPACE))
    uid_ok, no_uid = uid_available()
    if uid_ok:
        return IsolationInfo(Isolation.UID, f"{level_note(Isolation.UID)} Not namespace: "
                             f"{no_bwrap}.")
    why = f"Not namespace: {no_bwrap}."
    if os.geteuid() == 0:
        why += f" Not uid: {no_uid}."
    return IsolationInfo(Isolation.PROCESS, f"{level_note(Isolation.PROCESS)} {why}")


def level_note(level: Isolation) -> str:
    """What a level gives the grader on this machine, including the process cap it can enforce."""
    cgroup, _ = pids_cgroup_available()
    if level is Isolation.NAMESPACE:
        procs = ("processes capped by a pids cgroup" if cgroup else
                 "no process cap (RLIMIT_NPROC does not bind root and no pids cgroup is "
                 "writable): forks are bounded only by time and memory")
        return ("bubblewrap namespaces: the worker sees only the stdlib, the harness and the "
                "submission (read-only), a private /tmp, no network, its own pid namespace; "
                f"{procs}.")
    if level is Isolation.UID:
        return ("separate unprivileged uid per worker with rlimits (RLIMIT_NPROC holds); the "
                "worker can read world-readable files and use the network.")
    procs = "processes capped by a pids cgroup" if cgroup else (
        "no process cap for root" if os.geteuid() == 0 else
        "RLIMIT_NPROC counts all your processes")
    return ("WEAK: rlimits and timeouts only; the worker runs as the grader's own user and could "
            f"read or write the grader's files, use the network and signal the grader; {procs}.")


@cache
def _bwrap_help() -> str:
    """bubblewrap's option list, to use newer options (--size, --disable-userns) where present."""
    if shutil.which("bwrap") is None:
        return ""
    try:
        result = subprocess.run(["bwrap", "--help"], capture_output=True, timeout=10,
                                stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return result.stdout.decode("utf-8", "replace")


@cache
def bwrap_available() -> tuple[bool, str]:
    """(True, "") when bubblewrap can start the interpreter in fresh namespaces, else the reason."""
    if shutil.which("bwrap") is None:
        return False, "bubblewrap (bwrap) is not installed"
    probe = Path(tempfile.mkdtemp(prefix="mgrade-probe-"))
    try:
        os.chmod(probe, 0o755)
        argv = namespace_argv(probe, probe, Limits()) + [python_executable(), "-I", "-S", "-c",
                                                          "pass"]
        try:
            result = subprocess.run(argv, capture_output=True, timeout=20,
                                    stdin=subprocess.DEVNULL, env=dict(WORKER_ENV), cwd=probe)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return False, f"bubblewrap could not start ({exc})"
    finally:
        shutil.rmtree(probe, ignore_errors=True)
    if result.returncode != 0:
        reason = result.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["?"]
        return False, (f"bubblewrap cannot create namespaces here ({reason[0][:120]}); user "
                       "namespaces are probably blocked (e.g. Docker's default seccomp profile)")
    return True, ""


@cache
def uid_available() -> tuple[bool, str]:
    """(True, "") when a worker can run under an unprivileged uid, else the reason.

    Needs root, and an interpreter, stdlib and harness that other users can read: a Python under
    /root (pyenv, conda) usually is not, because /root is mode 0700.
    """
    if os.geteuid() != 0:
        return False, "the grader is not running as root, so it cannot switch the worker's uid"
    python = python_executable()
    for path in (python, str(HARNESS)):
        closed = _closed_to_others(path)
        if closed:
            return False, (f"{path} is not readable by other users ({closed}); install Python and "
                           "mgrade where every user can read them")
    try:
        uid, lock = allocate_uid()
    except (OSError, RuntimeError) as exc:
        return False, f"no worker uid could be reserved ({exc})"
    try:
        result = subprocess.run(
            [python, "-I", "-S", "-B", str(HARNESS)], capture_output=True, timeout=20,
            stdin=subprocess.DEVNULL, env=dict(WORKER_ENV), cwd="/",
            preexec_fn=lambda: _drop_privileges(uid))
    except (OSError, subprocess.SubprocessError) as exc:
        return False, f"the interpreter could not start as uid {uid} ({exc})"
    finally:
        release_uid(lock)
    if result.returncode != 2 or b"usage" not in result.stderr:
        tail = result.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["?"]
        return False, f"the interpreter failed as uid {uid} ({tail[0][:120]})"
    return True, ""


def _closed_to_others(path: str) -> str:
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


# ---- the namespace view -------------------------------------------------------------------------

_SYSTEM_PATHS = ("/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32",
                 "/etc/alternatives", "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d",
                 "/etc/localtime")
_PACKAGE_DIRS = ("lib/python3*/site-packages", "lib/python3*/dist-packages",
                 "lib/python3/dist-packages", "local/lib/python3*/site-packages",
                 "local/lib/python3*/dist-packages")


def _package_dirs(prefix: str) -> list[str]:
    """Third-party package folders under the bound trees, hidden with an empty read-only tmpfs."""
    found: set[str] = set()
    for root in {"/usr", prefix}:
        for pattern in _PACKAGE_DIRS:
            found.update(os.path.realpath(p) for p in glob.glob(os.path.join(root, pattern)))
    return sorted(p for p in found if os.path.isdir(p))


def namespace_argv(stage: Path, tmp: Path, limits: Limits) -> list[str]:
    """bubblewrap arguments: system libraries, stdlib, harness and submission, all read-only.

    Everything else (the grader, the reference solution, site-packages with torch and numpy, home
    directories, the output directory, /etc) is simply absent. /tmp is a private tmpfs capped at
    `limits.tmp_mb`; the root and /dev are remounted read-only so nothing else can be filled.
    """
    features = _bwrap_help()
    argv = ["bwrap", "--unshare-all", "--unshare-user", "--uid", str(NOBODY), "--gid", str(NOBODY),
            "--die-with-parent", "--new-session", "--cap-drop", "ALL"]
    if "--disable-userns" in features:
        argv.append("--disable-userns")  # no nested user namespace: no capabilities, ever
    for path in _SYSTEM_PATHS:
        if os.path.islink(path):
            argv += ["--symlink", os.readlink(path), path]
        elif os.path.exists(path):
            argv += ["--ro-bind", path, path]
    python = python_executable()
    prefix = os.path.realpath(sys.base_prefix)
    if not python.startswith("/usr/"):
        argv += ["--ro-bind", python, python]
    if not prefix.startswith("/usr/") and os.path.isdir(os.path.join(prefix, "lib")):
        argv += ["--ro-bind", os.path.join(prefix, "lib"), os.path.join(prefix, "lib")]
    for packages in _package_dirs(prefix):
        argv += ["--tmpfs", packages, "--remount-ro", packages]
    argv += ["--proc", "/proc", "--dev", "/dev"]
    if "--size" in features:
        argv += ["--size", str(limits.tmp_mb * 1024 * 1024), "--tmpfs", "/tmp"]
    else:  # older bubblewrap: a host folder, bounded per file only (RLIMIT_FSIZE)
        argv += ["--bind", str(tmp), "/tmp"]
    argv += [
        "--ro-bind", str(HARNESS), SANDBOX_HARNESS,
        "--ro-bind", str(stage), SANDBOX_SUBMISSION,
        "--remount-ro", "/dev", "--remount-ro", "/",
        "--chdir", "/tmp",
        "--clearenv", "--setenv", "PATH", WORKER_ENV["PATH"],
        "--setenv", "LANG", WORKER_ENV["LANG"], "--setenv", "HOME", "/tmp",
        "--setenv", "TMPDIR", "/tmp",
    ]
    return argv


# ---- pids cgroup --------------------------------------------------------------------------------


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
            _signal_all(pids, signal.SIGSTOP)
            _signal_all(pids, signal.SIGKILL)
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


_cgroup_counter = 0


def create_pids_cgroup(limit: int) -> PidsCgroup | None:
    """A fresh pids cgroup with pids.max = `limit`, or None where none can be made."""
    global _cgroup_counter
    for parent, version in _own_cgroup_dirs():
        _cgroup_counter += 1
        path = parent / f"mgrade-{os.getpid()}-{_cgroup_counter}"
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


# ---- uids for the `uid` level -------------------------------------------------------------------


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


_uid_counter = 0


def allocate_uid() -> tuple[int, int]:
    """A uid that no account owns and no process runs as, and the lock fd reserving it.

    The lock (flock on a file in a root-only directory) keeps two graders on one machine from
    picking the same uid, which would let one grader's kill sweep end the other's worker.
    """
    global _uid_counter
    directory = _uid_lock_dir()
    candidates = _uid_candidates()
    _uid_counter += 1
    start = (os.getpid() * 7919 + _uid_counter * 131) % len(candidates)
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


def _drop_privileges(uid: int) -> None:
    """Become `uid`/`uid` with no supplementary groups. Runs in a forked child."""
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)


# ---- starting a worker --------------------------------------------------------------------------


def _set_limits(limits: Limits) -> None:
    """Soft = hard: nothing can be raised again, and catching SIGXCPU does not outlive the limit."""
    for which, value in (
        (resource.RLIMIT_CPU, limits.cpu_s),
        (resource.RLIMIT_AS, limits.memory_mb * 1024 * 1024),
        (resource.RLIMIT_FSIZE, limits.file_mb * 1024 * 1024),
        (resource.RLIMIT_NPROC, limits.nproc),
        (resource.RLIMIT_NOFILE, limits.open_files),
        (resource.RLIMIT_CORE, 0),
    ):
        resource.setrlimit(which, (value, value))


def _prepare_child(limits: Limits, cgroup: PidsCgroup | None, uid: int | None) -> None:
    """Between fork and exec: join the cgroup and set limits while still privileged, then drop."""
    if cgroup is not None:
        cgroup.join()
    _set_limits(limits)
    if uid is not None:
        _drop_privileges(uid)


_LIVE_WORKERS: set[int] = set()  # pids of this grader's running workers


@dataclass
class WorkerProcess:
    """A running worker and what is needed to kill everything it started."""

    popen: subprocess.Popen
    level: Isolation
    request_w: int  # grader -> worker
    reply_r: int  # worker -> grader
    tmp: Path
    uid: int | None = None
    uid_lock: int | None = None
    cgroup: PidsCgroup | None = None
    children_before: frozenset[int] = field(default_factory=frozenset)

    def kill_tree(self) -> None:
        """SIGKILL the worker and every process it started; return once they are gone.

        Each level adds what it can: the pid namespace dies with its first process; the cgroup
        lists every descendant, however it detached; a uid sweep kills everything running as the
        worker's uid; at the `process` level the grader is a child subreaper, so double-forked
        daemons are re-parented to it and swept from the process table.
        """
        pid = self.popen.pid
        inner: list[int] = []
        if self.level is Isolation.NAMESPACE:
            inner = _children(pid)  # the namespace's first process, as seen from outside
            _signal_all(inner, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout=KILL_PATIENCE_S)  # bubblewrap reaps it, then exits
        if self.level is Isolation.PROCESS:
            _sweep_strays(pid, self.children_before)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)
        _signal_all([pid], signal.SIGKILL)
        if self.uid is not None:
            _kill_uid(self.uid)
        if self.cgroup is not None:
            self.cgroup.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=10)
        _wait_gone(inner)
        if self.level is Isolation.PROCESS:
            _sweep_strays(pid, self.children_before)
        if self.cgroup is not None:
            self.cgroup.remove()
        _LIVE_WORKERS.discard(pid)
        _reap_adopted(self.children_before)

    def close(self) -> None:
        """Close the grader's ends of the pipes and give the uid back (after `kill_tree`)."""
        for fd in (self.request_w, self.reply_r):
            with contextlib.suppress(OSError):
                os.close(fd)
        release_uid(self.uid_lock)
        self.uid_lock = None


def spawn_worker(level: Isolation, stage: Path, tmp: Path, limits: Limits,
                 stdout: int, stderr: int) -> WorkerProcess:
    """Start the harness at `level`. `stdout`/`stderr` are fds the grader drains with a cap.

    The worker gets exactly three standard fds (stdin is /dev/null) and its two pipe ends; every
    other fd of the grader is closed, and its environment is four fixed variables.
    """
    req_r, req_w = os.pipe()
    rep_r, rep_w = os.pipe()
    python = python_executable()
    harness = SANDBOX_HARNESS if level is Isolation.NAMESPACE else str(HARNESS)
    argv = [python, "-I", "-S", "-B", harness, "--rfd", str(req_r), "--wfd", str(rep_w)]
    env = dict(WORKER_ENV, HOME=str(tmp), TMPDIR=str(tmp))
    if level is Isolation.NAMESPACE:
        argv = namespace_argv(stage, tmp, limits) + argv
        env = dict(WORKER_ENV)  # bubblewrap's own environment; the worker's is set by --setenv
    uid = lock = None
    cgroup = None
    try:
        if level is Isolation.UID:
            uid, lock = allocate_uid()
            os.chown(tmp, uid, uid)
        elif level is Isolation.PROCESS:
            become_subreaper()
        cgroup = create_pids_cgroup(limits.nproc)
        before = frozenset(_children(os.getpid()))
        popen = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr,
            pass_fds=(req_r, rep_w), close_fds=True, cwd=str(tmp), env=env,
            start_new_session=True,
            preexec_fn=lambda: _prepare_child(limits, cgroup, uid),
        )
    except BaseException:
        for fd in (req_w, rep_r):
            os.close(fd)
        if cgroup is not None:
            cgroup.remove()
        release_uid(lock)
        raise
    finally:
        os.close(req_r)
        os.close(rep_w)
    _LIVE_WORKERS.add(popen.pid)
    return WorkerProcess(popen, level, req_w, rep_r, tmp, uid, lock, cgroup, before)


def remove_tree(path: Path) -> None:
    """Remove a folder a worker wrote into (its private tmp), whatever it left there.

    `shutil.rmtree` recurses once per level and gives up on folders whose owner took away their
    own permissions; a worker can nest folders thousands deep, and make them mode 000. This walks
    down and back up holding one descriptor at a time (the worker is dead, so nothing moves), so
    neither depth nor permissions stop it.
    """
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
    try:
        fd = os.open(path, flags)
    except OSError:
        return
    below: list[str] = []  # folder names from `path` down to the one `fd` is open on
    try:
        while True:
            with contextlib.suppress(OSError):
                os.fchmod(fd, 0o700)
            deeper = None
            with os.scandir(fd) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        deeper = entry.name
                        break
                    with contextlib.suppress(OSError):
                        os.unlink(entry.name, dir_fd=fd)
            if deeper is not None:
                child = os.open(deeper, flags, dir_fd=fd)
                os.close(fd)
                fd = child
                below.append(deeper)
                continue
            if not below:
                break
            parent = os.open("..", flags, dir_fd=fd)
            os.close(fd)
            fd = parent
            os.rmdir(below.pop(), dir_fd=fd)  # fails (and ends the walk) if it is not empty
    except OSError:
        pass
    finally:
        os.close(fd)
    with contextlib.suppress(OSError):
        os.rmdir(path)


# ---- finding and killing processes --------------------------------------------------------------


@dataclass(frozen=True)
class ProcInfo:
    ppid: int
    sid: int
    state: str


def process_table() -> dict[int, ProcInfo]:
    """Every visible process: parent, session and state, from /proc/<pid>/stat."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
            table[int(entry)] = ProcInfo(int(fields[1]), int(fields[3]), fields[0].decode())
        except (OSError, IndexError, ValueError):
            continue
    return table


def _children(pid: int, table: dict[int, ProcInfo] | None = None) -> list[int]:
    table = process_table() if table is None else table
    return [p for p, info in table.items() if info.ppid == pid]


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
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
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


def _signal_all(pids: Iterable[int], sig: int) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)


def _wait_gone(pids: list[int]) -> None:
    """Wait until each pid has exited (gone, or a zombie): the first process of a pid namespace
    becomes a zombie only after the kernel has killed and reaped every other one in it."""
    deadline = time.monotonic() + KILL_PATIENCE_S
    for pid in pids:
        while time.monotonic() < deadline:
            try:
                with open(f"/proc/{pid}/stat", "rb") as f:
                    state = f.read().rsplit(b")", 1)[1].split()[0]
            except (OSError, IndexError):
                break
            if state in (b"Z", b"X"):
                break
            time.sleep(0.005)


def _kill_uid(uid: int) -> None:
    """Kill every process of a worker uid: a forked helper becomes that uid and sends kill(-1),
    which the kernel delivers to all of them in one pass (no fork can slip through it)."""
    deadline = time.monotonic() + KILL_PATIENCE_S
    while True:
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the forked child only
            try:
                _drop_privileges(uid)
                os.kill(-1, signal.SIGKILL)
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
        if not pids_of_uid(uid) or time.monotonic() > deadline:
            return
        time.sleep(0.005)


def _sweep_strays(worker: int, children_before: frozenset[int]) -> None:
    """The `process` level's kill: stop, then kill, the worker's descendants and every orphan that
    was re-parented to the grader since the worker started; repeat until none is left."""
    me = os.getpid()
    deadline = time.monotonic() + KILL_PATIENCE_S
    while True:
        table = process_table()
        orphans = {p for p, info in table.items() if info.ppid == me and p not in children_before
                   and p != worker and p not in _LIVE_WORKERS}
        targets = descendants({worker} | orphans, table) - {me}
        alive = [p for p in targets if table[p].state not in ("Z", "X")]
        _signal_all(alive, signal.SIGSTOP)
        _signal_all(alive, signal.SIGKILL)
        for pid in orphans:  # reap what the kernel handed to us; the worker is its Popen's
            with contextlib.suppress(ChildProcessError, OSError):
                os.waitpid(pid, os.WNOHANG)
        if not alive or time.monotonic() > deadline:
            return
        time.sleep(0.002)


def _reap_adopted(keep: frozenset[int]) -> None:
    """Reap dead processes the kernel handed to the grader (it is a subreaper once any worker ran
    at the `process` level), so they do not pile up as zombies; children it had before are left
    to whoever started them."""
    me = os.getpid()
    for pid, info in process_table().items():
        if info.ppid == me and info.state == "Z" and pid not in keep and pid not in _LIVE_WORKERS:
            with contextlib.suppress(ChildProcessError, OSError):
                os.waitpid(pid, os.WNOHANG)


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
        pr_set_child_subreaper = 36
        _SUBREAPER = libc.prctl(pr_set_child_subreaper, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        _SUBREAPER = False
    return _SUBREAPER


