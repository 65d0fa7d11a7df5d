"""The grader on a platform without Unix-only modules (Windows): everything imports, and grading
falls back to the `process` level and says why.

A subprocess hides `fcntl`, `pwd`, `grp`, `resource`, `termios`, `tty` and `pty` behind an
import hook that raises ImportError, as Windows would, then imports every `autograder` module,
asks for the isolation level, runs `mgrade doctor`, and starts a real worker at that level.
A second one also takes away what the session would use on POSIX (pass_fds or select() on pipes,
process groups, /proc, SIGSTOP, cgroups) and runs a worker over the stdio transport.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from util import REPO

REFERENCE = REPO / "reference" / "micrograd"
ADD = [["value", 1.0], ["value", 2.0], ["apply", "a + b", {"a": 0, "b": 1}], ["read", 2, "data"]]
TANH = [["value", 0.5], ["apply", "a.tanh()", {"a": 0}], ["read", 1, "data"]]

HIDDEN = ("fcntl", "pwd", "grp", "resource", "termios", "tty", "pty")

# Pasted at the top of each subprocess script: behave as a platform that has none of HIDDEN.
HIDE = f"""HIDDEN = set({HIDDEN!r})

class Hide:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in HIDDEN:
            raise ImportError(f"No module named {{name!r}}", name=name)
        return None

for name in HIDDEN:
    sys.modules.pop(name, None)
sys.meta_path.insert(0, Hide())"""

SCRIPT = textwrap.dedent('''
    import importlib, json, pkgutil, sys
    from pathlib import Path

    @HIDE@

    import autograder
    imported = []
    for info in pkgutil.walk_packages(autograder.__path__, "autograder."):
        if info.name.endswith("__main__"):
            continue  # runs the command line
        importlib.import_module(info.name)
        imported.append(info.name)

    from click.testing import CliRunner
    from autograder.cli import main
    from autograder.loader import load_submission
    from autograder.sandbox import detect_isolation
    from autograder.session import WorkerSession

    info = detect_isolation()
    doctor = CliRunner().invoke(main, ["doctor"])
    work = Path(sys.argv[1])
    package = work / "src" / "micrograd"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "engine.py").write_text("class Value:\\n    pass\\n")
    staged = load_submission(work / "src", work / "stage")
    with WorkerSession(staged, info) as session:
        started = session.start().ok
    leaked = sorted(HIDDEN & set(sys.modules))
    print(json.dumps({"imported": imported, "level": info.level.value, "note": info.note,
                      "doctor": doctor.output, "doctor_exit": doctor.exit_code,
                      "started": started, "leaked": leaked}))
''').replace("@HIDE@", HIDE)


def test_without_unix_modules_everything_imports_and_the_process_level_says_why(
        tmp_path: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    result = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path)], capture_output=True,
                            text=True, timeout=300, cwd=REPO, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    modules = {p.relative_to(REPO).with_suffix("").as_posix().replace("/", ".")
               for p in (REPO / "autograder").rglob("*.py")}
    modules = {m.removesuffix(".__init__") for m in modules} - {"autograder", "autograder.__main__"}
    assert set(seen["imported"]) == modules
    assert seen["leaked"] == []  # nothing got hold of a hidden module
    assert seen["level"] == "process"
    note = seen["note"]
    assert note.startswith("WEAK: timeouts only (this platform has no rlimits")
    assert "Not namespace: this platform has no rlimits" in note
    assert "\n" not in note and "Traceback" not in note
    assert seen["doctor_exit"] == 0
    assert f"isolation: process ({note})" in seen["doctor"]
    assert seen["started"]  # a worker really runs at that level, without rlimits


WINDOWS = textwrap.dedent('''
    """Behave, as far as the session goes, like Windows: no fcntl/pwd/resource/..., no /proc,
    no killpg, no SIGSTOP, no cgroups, select() for sockets only, and a subprocess that refuses
    pass_fds and preexec_fn."""
    import json, os, select, signal, subprocess, sys, time
    from pathlib import Path

    @HIDE@
    del os.killpg
    del signal.SIGSTOP

    _select = select.select

    def socket_select(r, w, x, timeout=None):
        if any(isinstance(f, int) for f in [*r, *w, *x]):
            raise OSError(10038, "An operation was attempted on something that is not a socket")
        return _select(r, w, x, timeout)

    if sys.argv[3] == "select":
        select.select = socket_select
    _Popen = subprocess.Popen

    class WindowsPopen(_Popen):
        def __init__(self, *args, pass_fds=(), preexec_fn=None, **kwargs):
            assert not pass_fds, "pass_fds not supported on Windows."
            if preexec_fn is not None:
                raise ValueError("preexec_fn is not supported on Windows platforms")
            super().__init__(*args, **kwargs)

    subprocess.Popen = WindowsPopen

    import autograder.sandbox.cgroups as cgroups
    import autograder.sandbox.proctable as proctable
    cgroups._own_cgroup_dirs = lambda: []
    proctable._pid_entries = lambda: []

    from autograder.loader import load_submission
    from autograder.sandbox import detect_isolation
    from autograder.session import SessionConfig, WorkerDied, WorkerSession
    from autograder.worker.steps import decode

    info = detect_isolation()
    work = Path(sys.argv[1])
    package = work / "src" / "micrograd"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "engine.py").write_text(sys.argv[2])
    staged = load_submission(work / "src", work / "stage")
    seen = {"level": info.level.value, "note": info.note,
            "transport": info.backend.transport.name}
    with WorkerSession(staged, info, SessionConfig(call_timeout_s=1.5)) as session:
        seen["started"] = session.start().ok
        seen["add"] = session.run([decode(s) for s in @ADD@], 1).values[0]
        pid = session.worker.popen.pid
        try:
            session.run([decode(s) for s in @TANH@], 1)
        except WorkerDied as died:
            seen["hang"] = died.outcome.value
        seen["gone"] = not Path(f"/proc/{pid}").exists()
        seen["again"] = session.run([decode(s) for s in @ADD@], 1).values[0]
    seen["pid"] = pid
    seen["tampered"] = session.tampered
    seen["output"] = session.student_output()
    seen["leaked"] = sorted(HIDDEN & set(sys.modules))
    print(json.dumps(seen))
''').replace("@HIDE@", HIDE).replace("@ADD@", repr(ADD)).replace("@TANH@", repr(TANH))

SUBMISSION = (REFERENCE / "engine.py").read_text() + textwrap.dedent('''
    import os as _os
    _os.write(1, b"\\x00\\x00\\x00\\x10printed at import")

    def _hanging_tanh(self):
        while True:
            pass

    Value.tanh = _hanging_tanh
''')


@pytest.mark.parametrize(("missing", "reason"), [
    ("select", "select() does not work on pipes here"),
    ("pass_fds", "a worker cannot inherit extra pipes here (pass_fds not supported on Windows.)"),
])
def test_on_a_simulated_windows_the_stdio_transport_is_chosen_and_works(
        tmp_path: Path, missing: str, reason: str) -> None:
    tools = tmp_path / "bin"  # a stand-in for Windows' taskkill: it logs how it was called
    tools.mkdir()
    (tools / "taskkill").write_text(f'#!/bin/sh\necho "$@" >> {tools / "taskkill.log"}\n')
    (tools / "taskkill").chmod(0o755)
    env = dict(os.environ, PYTHONPATH=str(REPO), PATH=f"{tools}{os.pathsep}{os.environ['PATH']}")
    result = subprocess.run([sys.executable, "-c", WINDOWS, str(tmp_path / "work"), SUBMISSION,
                             missing],
                            capture_output=True, text=True, timeout=120, cwd=REPO, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["level"] == "process" and seen["transport"] == "stdio"
    note = seen["note"]
    assert note.startswith("WEAK: timeouts only (this platform has no rlimits")
    assert "travel on the worker's stdin and stdout" in note
    assert reason in note and "\n" not in note
    assert seen["started"] and seen["add"] == 3.0 and seen["again"] == 3.0
    assert seen["hang"] == "timeout" and seen["gone"]
    # without process groups the worker's tree is ended with taskkill, then the worker itself
    assert f"/T /F /PID {seen['pid']}" in (tools / "taskkill.log").read_text().splitlines()
    assert seen["tampered"] is None
    assert "printed at import" in seen["output"]
    assert seen["leaked"] == []
