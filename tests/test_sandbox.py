"""The sandbox: which isolation level is chosen, what a worker can see and do at each level, and
that killing a worker leaves nothing behind.

Probes run real workers: a tiny submission reports, from inside, what it sees (limits, fds,
environment, files, network) by writing JSON to stdout, which the session captures.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from util import REPO

from autograder import sandbox
from autograder.loader import load_submission
from autograder.model import Outcome
from autograder.sandbox import (
    Isolation,
    IsolationUnavailable,
    Limits,
    bwrap_available,
    cgroups,
    detect_isolation,
    interpreter,
    namespace_argv,
    pids_cgroup_available,
    proctable,
    uid_available,
    uids,
)
from autograder.sandbox.levels import NamespaceLevel, ProcessLevel
from autograder.sandbox.levels import namespace as namespace_level
from autograder.sandbox.levels import uid as uid_level
from autograder.sandbox.reaper import Reaper
from autograder.session import SessionConfig, WorkerDied, WorkerSession


def _readable_interpreter() -> str | None:
    """An interpreter of this Python version that other users can run, for the `uid` level.

    The grader's own may be private (pyenv under /root, mode 0700), which rules the `uid` level
    out for grading; the harness needs only the standard library, so a system interpreter of the
    same version exercises the level's machinery just as well in these tests.
    """
    if uid_available()[0]:
        return sandbox.python_executable()
    if os.geteuid() != 0:
        return None
    candidate = f"/usr/bin/python{sys.version_info.major}.{sys.version_info.minor}"
    if os.path.exists(candidate) and not uids.closed_to_others(candidate) \
            and not uids.closed_to_others(str(sandbox.HARNESS)):
        return candidate
    return None


UID_PYTHON = _readable_interpreter()
AVAILABLE = [level.value for level in sandbox.ISOLATION_ORDER
             if level is Isolation.PROCESS
             or (level is Isolation.NAMESPACE and bwrap_available()[0])
             or (level is Isolation.UID and UID_PYTHON is not None)]


@pytest.fixture(autouse=True)
def _uid_interpreter(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[
        None]:
    """Run `uid`-level tests with an interpreter other users can read (see above)."""
    level = request.node.callspec.params.get("level") if hasattr(request.node, "callspec") \
        else None
    if level != "uid" or UID_PYTHON == sandbox.python_executable():
        yield
        return
    monkeypatch.setattr(interpreter, "python_executable", lambda: UID_PYTHON)
    uid_available.cache_clear()
    try:
        yield
    finally:
        uid_available.cache_clear()

PROBE = r'''
import json, os, resource, socket, stat, sys, tempfile

def _can_signal(pid):
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False

def _probe():
    limits = {name: resource.getrlimit(getattr(resource, name)) for name in
              ("RLIMIT_CPU", "RLIMIT_AS", "RLIMIT_FSIZE", "RLIMIT_NPROC", "RLIMIT_NOFILE",
               "RLIMIT_CORE")}
    null, stdin = os.stat("/dev/null"), os.fstat(0)
    try:
        socket.create_connection(("127.0.0.1", @PORT@), timeout=1).close()
        network = True
    except OSError:
        network = False
    def writable(path):
        try:
            with open(os.path.join(path, ".probe"), "w"):
                pass
            os.unlink(os.path.join(path, ".probe"))
            return True
        except OSError:
            return False
    try:
        __import__("nu" + "mpy")
        numpy = True
    except ImportError:
        numpy = False
    return {
        "limits": limits, "fds": sorted(int(fd) for fd in os.listdir("/proc/self/fd")),
        "stdin_is_null": (stdin.st_rdev, stat.S_ISCHR(stdin.st_mode)) == (null.st_rdev, True),
        "env": dict(os.environ), "argv": sys.argv[1:], "uid": os.getuid(), "gid": os.getgid(),
        "groups": os.getgroups(), "ppid": os.getppid(), "network": network, "numpy": numpy,
        "repo_visible": os.path.exists("@REPO@"), "tmp_writable": writable(tempfile.gettempdir()),
        "submission_writable": writable(os.path.dirname(os.path.abspath(__file__))),
        "root_writable": writable("/"), "repo_writable": writable("@REPO@"),
        "can_signal_parent": _can_signal(os.getppid()),
        "pids": len([p for p in os.listdir("/proc") if p.isdigit()]),
    }

os.write(1, ("PROBE" + json.dumps(_probe()) + "\n").encode())

class Value:
    pass
'''


@pytest.fixture
def tmp_path() -> Iterator[Path]:
    """A folder every user can reach (pytest's own lives under a 0700 folder), so a worker at the
    `uid` level can read the staged submission."""
    path = Path(tempfile.mkdtemp(prefix="mgrade-sandbox-test-", dir="/tmp"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _submission(tmp_path: Path, source: str) -> Path:
    package = tmp_path / "src" / "micrograd"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "engine.py").write_text(source)
    return tmp_path / "src"


def _session(tmp_path: Path, level: str, source: str, limits: Limits | None = None,
             **config: object) -> WorkerSession:
    staged = load_submission(_submission(tmp_path, source), tmp_path / "stage")
    settings = SessionConfig(limits=limits or Limits(), **config)  # type: ignore[arg-type]
    return WorkerSession(staged, detect_isolation(level), settings)


def _probe(tmp_path: Path, level: str, limits: Limits | None = None, port: int = 9) -> dict:
    source = PROBE.replace("@REPO@", str(REPO)).replace("@PORT@", str(port))
    with _session(tmp_path, level, source, limits) as session:
        assert session.start().ok
    line = next(x for x in session.student_output().splitlines() if x.startswith("PROBE"))
    return json.loads(line[len("PROBE"):])


# ---- detection ----------------------------------------------------------------------------------


def test_the_strongest_available_level_is_chosen() -> None:
    info = detect_isolation()
    assert info.level.value == AVAILABLE[0]
    assert info.note


def test_forcing_an_unavailable_level_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(namespace_level, "bwrap_available", lambda: (False, "bwrap is broken here"))
    monkeypatch.setattr(uid_level, "uid_available", lambda: (False, "no root"))
    with pytest.raises(IsolationUnavailable, match="bwrap is broken here"):
        detect_isolation("namespace")
    with pytest.raises(IsolationUnavailable, match="no root"):
        detect_isolation("uid")
    assert detect_isolation("process").level is Isolation.PROCESS


def test_fallback_explains_itself_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(namespace_level, "bwrap_available",
                        lambda: (False, "user namespaces are blocked"))
    monkeypatch.setattr(uid_level, "uid_available", lambda: (False, "python is unreadable"))
    info = detect_isolation()
    assert info.level is Isolation.PROCESS
    assert "WEAK" in info.note and "user namespaces are blocked" in info.note
    assert "\n" not in info.note
    if os.geteuid() == 0:
        assert "Not uid: python is unreadable" in info.note
    monkeypatch.setattr(uid_level, "uid_available", lambda: (True, ""))
    assert detect_isolation().level is Isolation.UID


def test_uid_level_needs_an_interpreter_other_users_can_read(tmp_path: Path) -> None:
    private = tmp_path / "private"
    (private / "bin").mkdir(parents=True)
    (private / "bin" / "python").write_text("")
    private.chmod(0o700)
    assert "is mode 0700" in uids.closed_to_others(str(private / "bin" / "python"))
    private.chmod(0o755)
    (private / "bin" / "python").chmod(0o644)
    assert uids.closed_to_others(str(private / "bin" / "python")) == ""
    ok, why = uid_available()
    if not ok and os.geteuid() == 0:
        assert "not readable by other users" in why or "failed as uid" in why


def test_namespace_view_is_read_only_and_minimal() -> None:
    argv = namespace_argv(Path("/stage"), Path("/host-tmp"), Limits(tmp_mb=8))
    pairs = list(zip(argv, argv[1:], strict=False))
    worker = sandbox.HARNESS.parent  # harness.py and the stdlib-only modules it loads
    assert ("--ro-bind", "/stage") in pairs and ("--ro-bind", str(worker)) in pairs
    assert {p.name for p in worker.glob("*.py")} == {
        "__init__.py", "harness.py", "steps.py", "execute.py", "standins.py"}
    assert "--unshare-all" in argv and "--die-with-parent" in argv and "--clearenv" in argv
    assert ("--remount-ro", "/") in pairs and ("--remount-ro", "/dev") in pairs
    assert ("--size", str(8 * 1024 * 1024)) in pairs or ("--bind", "/host-tmp") in pairs
    assert str(REPO) not in " ".join(argv).replace(str(worker), "")
    for site in namespace_level.package_dirs(os.path.realpath(sys.base_prefix)):
        assert ("--tmpfs", site) in pairs


# ---- what a worker sees -------------------------------------------------------------------------


@pytest.mark.parametrize("level", AVAILABLE)
def test_limits_are_hard_and_applied(tmp_path: Path, level: str) -> None:
    limits = Limits(cpu_s=33, memory_mb=700, file_mb=3, nproc=40, open_files=50)
    seen = _probe(tmp_path, level, limits)
    mib = 1024 * 1024
    expected = {"RLIMIT_CPU": 33, "RLIMIT_AS": 700 * mib, "RLIMIT_FSIZE": 3 * mib,
                "RLIMIT_NPROC": 40, "RLIMIT_NOFILE": 50, "RLIMIT_CORE": 0}
    for name, value in expected.items():
        assert seen["limits"][name] == [value, value], name  # soft = hard


@pytest.mark.parametrize("level", AVAILABLE)
def test_only_the_two_pipes_stdin_null_and_a_fixed_environment(tmp_path: Path,
                                                               level: str) -> None:
    os.environ["MGRADE_TEST_SECRET"] = "hunter2"
    try:
        seen = _probe(tmp_path, level)
    finally:
        del os.environ["MGRADE_TEST_SECRET"]
    rfd, wfd = int(seen["argv"][1]), int(seen["argv"][3])
    assert seen["argv"] == ["--rfd", str(rfd), "--wfd", str(wfd)]
    listing_fd = set(seen["fds"]) - {0, 1, 2, rfd, wfd}
    assert len(listing_fd) <= 1  # the descriptor os.listdir itself had open
    assert seen["stdin_is_null"]
    assert set(seen["env"]) - {"PWD"} == {"PATH", "LANG", "HOME", "TMPDIR"}
    assert seen["env"]["HOME"] == seen["env"]["TMPDIR"]
    assert "hunter2" not in json.dumps(seen)


@pytest.mark.parametrize("level", AVAILABLE)
def test_third_party_packages_are_out_of_reach(tmp_path: Path, level: str) -> None:
    assert not _probe(tmp_path, level)["numpy"]


@pytest.mark.skipif("namespace" not in AVAILABLE, reason="bubblewrap is not usable here")
def test_namespace_worker_sees_no_grader_no_network_and_no_writable_tree(tmp_path: Path) -> None:
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    try:
        seen = _probe(tmp_path, "namespace", port=listener.getsockname()[1])
    finally:
        listener.close()
    assert not seen["network"]
    assert not seen["repo_visible"]
    assert seen["tmp_writable"] and not seen["submission_writable"] and not seen["root_writable"]
    assert seen["uid"] == seen["gid"] == sandbox.NOBODY and seen["uid"] != os.getuid()
    assert seen["ppid"] == 1 and seen["pids"] <= 3  # its own pid namespace
    assert not seen["repo_writable"]


@pytest.mark.skipif("uid" not in AVAILABLE, reason="the uid level needs root and an "
                    "interpreter other users can read")
@pytest.mark.parametrize("level", ["uid"])
def test_uid_worker_cannot_signal_the_grader_or_write_its_files(tmp_path: Path,
                                                                 level: str) -> None:
    seen = _probe(tmp_path, level)
    assert seen["uid"] == seen["gid"] != 0 and seen["groups"] == []
    assert not seen["can_signal_parent"] and not seen["repo_writable"]
    assert seen["tmp_writable"] and not seen["submission_writable"]


# ---- limits at work -----------------------------------------------------------------------------


@pytest.mark.parametrize("level", AVAILABLE)
def test_cpu_limit_kills_even_when_sigxcpu_is_ignored(tmp_path: Path, level: str) -> None:
    source = ("import signal\nsignal.signal(signal.SIGXCPU, signal.SIG_IGN)\n"
              "while True:\n    pass\n")
    started = time.monotonic()
    with _session(tmp_path, level, source, Limits(cpu_s=1), start_timeout_s=30) as session:
        with pytest.raises(WorkerDied) as died:
            session.start()
    assert died.value.outcome is Outcome.CRASHED and "SIGKILL" in died.value.reason
    assert time.monotonic() - started < 15


@pytest.mark.parametrize("level", AVAILABLE)
def test_memory_and_file_size_are_capped(tmp_path: Path, level: str) -> None:
    source = ("import os, tempfile\nlog = []\n"
              "try:\n    block = bytearray(600 * 1024 * 1024)\nexcept MemoryError:\n"
              "    log.append('memory')\n"
              "try:\n    open(os.path.join(tempfile.gettempdir(), 'big'), 'wb')"
              ".write(b'0' * (3 * 1024 * 1024))\nexcept OSError as exc:\n"
              "    log.append('file:' + exc.strerror)\n"
              "os.write(1, ('LOG' + ','.join(log) + '\\n').encode())\nclass Value:\n    pass\n")
    with _session(tmp_path, level, source, Limits(memory_mb=300, file_mb=1)) as session:
        assert session.start().ok
    assert "LOGmemory,file:File too large" in session.student_output()


@pytest.mark.parametrize("level", AVAILABLE)
def test_output_is_capped_and_a_flood_still_times_out(tmp_path: Path, level: str) -> None:
    source = "import os\nwhile True:\n    os.write(1, b'x' * 65536)\n"
    started = time.monotonic()
    with _session(tmp_path, level, source, output_cap_bytes=1000,
                  start_timeout_s=2.0) as session:
        with pytest.raises(WorkerDied) as died:
            session.start()
    assert died.value.outcome is Outcome.TIMEOUT
    assert time.monotonic() - started < 10
    assert len(session.output) == 1000 and session.output_dropped > 0
    assert "more bytes of output discarded" in session.student_output()


@pytest.mark.skipif(not pids_cgroup_available()[0], reason="no writable pids cgroup here "
                    "(docs/SECURITY.md: forks are then bounded by RLIMIT_NPROC only for non-root)")
@pytest.mark.parametrize("level", AVAILABLE)
def test_pids_cgroup_caps_forks(tmp_path: Path, level: str) -> None:
    source = ("import os, time\nforked = 0\nfor _ in range(100):\n    try:\n"
              "        pid = os.fork()\n    except OSError:\n        break\n"
              "    if pid == 0:\n        time.sleep(30)\n        os._exit(0)\n    forked += 1\n"
              "os.write(1, b'FORKED%d\\n' % forked)\nclass Value:\n    pass\n")
    with _session(tmp_path, level, source, Limits(nproc=12)) as session:
        assert session.start().ok
    forked = int(session.student_output().split("FORKED")[1].split()[0])
    assert 0 < forked < 12


# ---- killing ------------------------------------------------------------------------------------

DAEMONS = '''
import os, sys, time
for _ in range(20):
    if os.fork() == 0:
        time.sleep(60)
        os._exit(0)
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(60)", "@MARK@"])
    os._exit(0)
time.sleep(0.2)
class Value:
    pass
'''


def _leftovers(marker: str, tmp_path: Path) -> list[int]:
    """Processes naming the marker (argv) or the test's folder (environment, mount table)."""
    needles = [marker.encode(), str(tmp_path).encode()]
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            if Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
                continue
            blobs = [Path(f"/proc/{entry}/{name}").read_bytes()
                     for name in ("cmdline", "environ", "mountinfo")]
        except OSError:
            continue
        if any(n in b for n in needles for b in blobs):
            found.append(int(entry))
    return found


@pytest.mark.parametrize("cgroup", [True, False], ids=["with-cgroup", "without-cgroup"])
@pytest.mark.parametrize("level", AVAILABLE)
def test_kill_tree_leaves_nothing(tmp_path: Path, level: str, cgroup: bool,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Forked children and a double-forked daemon in its own session: all gone once the session
    closes, by the level's own means alone (without the cgroup) and with it."""
    if cgroup and not pids_cgroup_available()[0]:
        pytest.skip("no writable pids cgroup here")
    if not cgroup:
        monkeypatch.setattr(cgroups, "create_pids_cgroup", lambda limit: None)
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    marker = f"mgrade-kill-test-{os.getpid()}-{level}-{cgroup}"
    with _session(tmp_path, level, DAEMONS.replace("@MARK@", marker),
                  Limits(nproc=64)) as session:
        assert session.start().ok
        assert _leftovers(marker, tmp_path), "the probe's processes should be running now"
    try:
        assert _leftovers(marker, tmp_path) == []
    finally:
        for pid in _leftovers(marker, tmp_path):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize("level", AVAILABLE)
def test_no_zombies_pile_up_in_the_grader(tmp_path: Path, level: str) -> None:
    """Once the grader is a subreaper, the processes it adopts must also be reaped by it."""
    Reaper().become_subreaper()
    me = os.getpid()
    before = {p for p, info in sandbox.process_table().items() if info.ppid == me}
    for run in range(3):
        folder = tmp_path / f"run-{run}"
        folder.mkdir()
        with _session(folder, level, DAEMONS.replace("@MARK@", "mgrade-zombie-test")) as s:
            assert s.start().ok
    after = {p for p, info in sandbox.process_table().items() if info.ppid == me}
    assert after - before == set()


@pytest.mark.skipif(os.geteuid() != 0, reason="switching uids needs root")
def test_uid_sweep_kills_every_process_of_the_worker_uid() -> None:
    """The `uid` level's kill, exercised with a program every user can run (this test does not
    need a Python that other users can read)."""
    uid, lock = uids.allocate_uid()
    try:
        other, other_lock = uids.allocate_uid()
        assert other != uid  # the lock keeps a uid to one worker
        uids.release_uid(other_lock)
        sleepers = [subprocess.Popen(["sleep", "60"], start_new_session=True,
                                     preexec_fn=lambda: uids.drop_privileges(uid))
                    for _ in range(3)]
        assert len(proctable.pids_of_uid(uid)) == 3
        uids.kill_uid(uid)
        for sleeper in sleepers:
            assert sleeper.wait(timeout=5) == -signal.SIGKILL
        assert proctable.pids_of_uid(uid) == []
    finally:
        uids.release_uid(lock)


def test_a_sweep_spares_the_runs_other_live_workers(tmp_path: Path) -> None:
    """Sessions of one run share their level's `Reaper`: closing one at the `process` level
    sweeps orphans re-parented to the grader, but not the next session's worker, already
    started (grading starts the next group's worker early)."""
    info = detect_isolation("process")
    staged = load_submission(_submission(tmp_path, "class Value:\n    pass\n"), tmp_path / "stage")
    first, second = WorkerSession(staged, info), WorkerSession(staged, info)
    try:
        assert first.start().ok
        second.launch()
        first.close()
        assert second.start().ok
    finally:
        first.close()
        second.close()


# ---- what each level says about itself ----------------------------------------------------------


def test_each_level_explains_exit_statuses_and_paths_its_own_way() -> None:
    reaper = Reaper()
    namespace, process = NamespaceLevel(reaper), ProcessLevel(reaper)
    # bubblewrap exits with 128 + N when the worker dies of signal N
    assert namespace.explain_exit(139).startswith("crashed (signal 11, SIGSEGV) (a segmentation")
    assert process.explain_exit(139).startswith("the worker exited with code 139 without")
    assert process.explain_exit(-9) == ("crashed (signal 9, SIGKILL) (it may have hit the "
                                        "CPU-time limit)")
    assert namespace.explain_exit(-25).startswith("crashed (signal 25, SIGXFSZ) (it wrote")
    stage = Path("/somewhere/stage")
    assert namespace.submission_path(stage) == "/submission"
    assert namespace.harness_path() == "/grader/harness.py"
    assert process.submission_path(stage) == str(stage)
    assert process.harness_path() == str(sandbox.HARNESS)
