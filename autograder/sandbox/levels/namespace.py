"""The `namespace` level: bubblewrap.

The worker sees only the system's shared libraries, the Python stdlib, the harness and the
submission, all read-only, plus a small private /tmp. No network, its own pid namespace (killing
its first process ends them all), an unprivileged uid, no capabilities. Linux only.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from functools import cache
from pathlib import Path

import autograder.sandbox.interpreter as interpreter
from autograder.sandbox.cgroups import pids_cgroup_available
from autograder.sandbox.levels.base import Isolation, IsolationLevel, WorkerProcess
from autograder.sandbox.limits import MIB, Limits, rlimits_missing
from autograder.sandbox.proctable import KILL_PATIENCE_S, children, signal_all, wait_gone

SANDBOX_WORKER = "/grader"  # where the worker's folder (harness.py, steps.py, ...) is mounted
SANDBOX_HARNESS = SANDBOX_WORKER + "/harness.py"
SANDBOX_SUBMISSION = "/submission"  # ... and the staged submission
NOBODY = 65534  # the uid/gid the worker has inside the namespace
SIGNAL_EXIT_BASE = 128  # bubblewrap exits with 128 + N when its child dies of signal N

_SYSTEM_PATHS = ("/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32",
                 "/etc/alternatives", "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d",
                 "/etc/localtime")
_PACKAGE_DIRS = ("lib/python3*/site-packages", "lib/python3*/dist-packages",
                 "lib/python3/dist-packages", "local/lib/python3*/site-packages",
                 "local/lib/python3*/dist-packages")


class NamespaceLevel(IsolationLevel):
    kind = Isolation.NAMESPACE

    def probe(self) -> tuple[bool, str]:
        return bwrap_available()

    def note(self) -> str:
        procs = ("processes capped by a pids cgroup" if pids_cgroup_available()[0] else
                 "no process cap (RLIMIT_NPROC does not bind root and no pids cgroup is "
                 "writable): forks are bounded only by time and memory")
        return ("bubblewrap namespaces: the worker sees only the stdlib, the harness and the "
                "submission (read-only), a private /tmp, no network, its own pid namespace; "
                f"{procs}.")

    def harness_path(self) -> str:
        return SANDBOX_HARNESS

    def submission_path(self, stage: Path) -> str:
        return SANDBOX_SUBMISSION

    def command(self, argv: list[str], stage: Path, tmp: Path,
                limits: Limits) -> tuple[list[str], dict[str, str]]:
        # bubblewrap's own environment; the worker's is set by --setenv
        return namespace_argv(stage, tmp, limits) + argv, dict(interpreter.WORKER_ENV)

    def kill_first(self, worker: WorkerProcess) -> list[int]:
        """Kill the namespace's first process (seen from outside, bubblewrap's child): the
        kernel then kills every other process in the pid namespace."""
        inner = children(worker.popen.pid)
        signal_all(inner, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            worker.popen.wait(timeout=KILL_PATIENCE_S)  # bubblewrap reaps it, then exits
        return inner

    def kill_last(self, worker: WorkerProcess, inner: list[int]) -> None:
        wait_gone(inner)

    def exit_signal(self, code: int) -> int | None:
        if SIGNAL_EXIT_BASE < code < SIGNAL_EXIT_BASE + 65:
            return code - SIGNAL_EXIT_BASE
        return super().exit_signal(code)


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
    if not sys.platform.startswith("linux"):
        return False, f"bubblewrap namespaces exist only on Linux (this is {sys.platform})"
    no_rlimits = rlimits_missing()
    if no_rlimits:
        return False, no_rlimits
    if shutil.which("bwrap") is None:
        return False, "bubblewrap (bwrap) is not installed"
    probe = Path(tempfile.mkdtemp(prefix="mgrade-probe-"))
    try:
        os.chmod(probe, 0o755)
        argv = namespace_argv(probe, probe, Limits()) + [
            interpreter.python_executable(), "-I", "-S", "-c", "pass"]
        try:
            result = subprocess.run(argv, capture_output=True, timeout=20,
                                    stdin=subprocess.DEVNULL, env=dict(interpreter.WORKER_ENV),
                                    cwd=probe)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return False, f"bubblewrap could not start ({exc})"
    finally:
        shutil.rmtree(probe, ignore_errors=True)
    if result.returncode != 0:
        reason = result.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["?"]
        return False, (f"bubblewrap cannot create namespaces here ({reason[0][:120]}); user "
                       "namespaces are probably blocked (e.g. Docker's default seccomp profile)")
    return True, ""


def package_dirs(prefix: str) -> list[str]:
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
    python = interpreter.python_executable()
    prefix = os.path.realpath(sys.base_prefix)
    if not python.startswith("/usr/"):
        argv += ["--ro-bind", python, python]
    if not prefix.startswith("/usr/") and os.path.isdir(os.path.join(prefix, "lib")):
        argv += ["--ro-bind", os.path.join(prefix, "lib"), os.path.join(prefix, "lib")]
    for packages in package_dirs(prefix):
        argv += ["--tmpfs", packages, "--remount-ro", packages]
    argv += ["--proc", "/proc", "--dev", "/dev"]
    if "--size" in features:
        argv += ["--size", str(limits.tmp_mb * MIB), "--tmpfs", "/tmp"]
    else:  # older bubblewrap: a host folder, bounded per file only (RLIMIT_FSIZE)
        argv += ["--bind", str(tmp), "/tmp"]
    argv += [
        "--ro-bind", str(interpreter.HARNESS.parent), SANDBOX_WORKER,
        "--ro-bind", str(stage), SANDBOX_SUBMISSION,
        "--remount-ro", "/dev", "--remount-ro", "/",
        "--chdir", "/tmp",
        "--clearenv", "--setenv", "PATH", interpreter.WORKER_ENV["PATH"],
        "--setenv", "LANG", interpreter.WORKER_ENV["LANG"], "--setenv", "HOME", "/tmp",
        "--setenv", "TMPDIR", "/tmp",
    ]
    return argv
