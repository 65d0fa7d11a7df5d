"""The grader on a platform without Unix-only modules (Windows): everything imports, and grading
falls back to the `process` level and says why.

A subprocess hides `fcntl`, `pwd`, `grp`, `resource`, `termios`, `tty` and `pty` behind an
import hook that raises ImportError, as Windows would, then imports every `autograder` module,
asks for the isolation level, runs `mgrade doctor`, and starts a real worker at that level.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from util import REPO

HIDDEN = ("fcntl", "pwd", "grp", "resource", "termios", "tty", "pty")

SCRIPT = textwrap.dedent('''
    import importlib, json, pkgutil, sys
    from pathlib import Path

    HIDDEN = set(@HIDDEN@)

    class Hide:
        """Behave as a platform that has none of HIDDEN."""
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in HIDDEN:
                raise ImportError(f"No module named {name!r}", name=name)
            return None

    for name in HIDDEN:
        sys.modules.pop(name, None)
    sys.meta_path.insert(0, Hide())

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
''').replace("@HIDDEN@", repr(HIDDEN))


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
