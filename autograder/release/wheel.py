"""Build the checker's wheel for a kit, with the kit's manifests as its default assignments.

The wheel is built from a copy of just what the package needs (pyproject.toml, README.md,
autograder/ and the kit's own assignments/), never from the checkout in place: nothing else in the
course repository (the reference, the course's full manifests, an old build/ folder) can end up
inside it. pip builds it with build isolation, so setuptools comes from the package index.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from autograder.manifest import MANIFEST_NAME
from autograder.release.regions import ReleaseError

_PROJECT_FILES = ("pyproject.toml", "README.md")
_SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo", ".*")
BUILD_TIMEOUT_S = 600


def build_wheel(project_root: Path, manifests: dict[str, str], dest: Path) -> Path:
    """Build `mgrade-<version>-py3-none-any.whl` into `dest` and return its path.

    `manifests` maps assignment id -> manifest text; they become the wheel's
    autograder/assignments/<id>/assignment.toml.
    """
    missing = [n for n in (*_PROJECT_FILES, "autograder") if not (project_root / n).exists()]
    if missing:
        raise ReleaseError(f"{project_root}: not the mgrade project (no {', '.join(missing)}); "
                           "a kit's wheel is built from a checkout of the course repository")
    with tempfile.TemporaryDirectory(prefix="mgrade-wheel-") as scratch:
        stage = Path(scratch) / "src"
        stage.mkdir()
        for name in _PROJECT_FILES:
            shutil.copy2(project_root / name, stage / name)
        shutil.copytree(project_root / "autograder", stage / "autograder", ignore=_SKIP)
        for assignment_id, text in manifests.items():
            target = stage / "assignments" / assignment_id / MANIFEST_NAME
            target.parent.mkdir(parents=True)
            target.write_text(text, encoding="utf-8", newline="\n")
        out = Path(scratch) / "dist"
        command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet",
                   "--disable-pip-version-check", "--wheel-dir", str(out), str(stage)]
        try:
            done = subprocess.run(command, capture_output=True, text=True,
                                  timeout=BUILD_TIMEOUT_S, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ReleaseError(f"building the checker's wheel failed: {exc}") from None
        wheels = sorted(out.glob("mgrade-*-py3-none-any.whl"))
        if done.returncode != 0 or len(wheels) != 1:
            detail = (done.stderr or done.stdout).strip()[-2000:]
            raise ReleaseError(f"building the checker's wheel failed (pip wheel exited "
                               f"{done.returncode}):\n{detail}")
        dest.mkdir(parents=True, exist_ok=True)
        return Path(shutil.copy2(wheels[0], dest / wheels[0].name))
