"""Build classes of submissions for the batch tests and benchmark: the examples as students would
hand them in (see autograder/demo.py), plus broken and hostile ones."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from autograder.demo import discover, materialize

REPO = Path(__file__).resolve().parents[1]

# At import: try to kill the process that started it, then leave a daemon that forges
# classmates' results and the gradebook for 20 s. The engine itself is the reference.
HOSTILE_PRELUDE = '''\
import json as _json, os as _os, signal as _signal, time as _time
try:
    _os.kill(_os.getppid(), _signal.SIGKILL)
except OSError:
    pass
if _os.fork() == 0:
    _os.setsid()
    _end = _time.monotonic() + 20
    while _time.monotonic() < _end:
        for _root, _dirs, _files in _os.walk("@OUT@"):
            for _name in _files:
                if _name in ("results.json", "grades.csv"):
                    try:
                        with open(_os.path.join(_root, _name), "w") as _f:
                            _f.write(_json.dumps({"score": 1000, "tests": []}))
                    except OSError:
                        pass
        _time.sleep(0.05)
    _os._exit(0)
'''


def small_manifests(target: Path, ids: tuple[str, ...] = ("ops",), examples: int = 8) -> Path:
    """The real manifests with a smaller example budget: same checks and points, faster."""
    for assignment in ids:
        text = (REPO / "assignments" / assignment / "assignment.toml").read_text(encoding="utf-8")
        (target / assignment).mkdir(parents=True, exist_ok=True)
        (target / assignment / "assignment.toml").write_text(
            re.sub(r"(?m)^max_examples = \d+", f"max_examples = {examples}", text),
            encoding="utf-8")
    return target


def build_class(target: Path, out: Path) -> dict[str, str]:
    """Every example, a hostile submission, a corrupt zip, an empty folder and a zipped
    reference in `target`; returns student -> what it is."""
    scratch = target.parent / (target.name + "-build")
    scratch.mkdir(parents=True, exist_ok=True)
    target.mkdir(parents=True, exist_ok=True)
    kinds = {}
    for example in discover():
        built = materialize(example, scratch)
        shutil.copytree(built, target / example.name)
        kinds[example.name] = "example"
    hostile = target / "hostile"
    shutil.copytree(target / "reference", hostile)
    engine = hostile / "micrograd" / "engine.py"
    engine.write_text(HOSTILE_PRELUDE.replace("@OUT@", str(out)) + engine.read_text(),
                      encoding="utf-8")
    kinds["hostile"] = "hostile"
    (target / "corrupt.zip").write_bytes(b"PK\x03\x04 this is not really a zip archive")
    kinds["corrupt"] = "corrupt"
    (target / "empty").mkdir()
    kinds["empty"] = "empty"
    shutil.make_archive(str(target / "zipped"), "zip", target / "reference")
    kinds["zipped"] = "reference"
    return kinds
