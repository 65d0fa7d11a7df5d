"""A real nbgrader course: generate, validate, autograde and export the ops notebook, and compare
the gradebook with `mgrade grade <notebook>` on the same notebooks."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.grading import GradeOptions, grade

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "assignments" / "ops" / "source" / "ops.ipynb"
TANH_BACKWARD = "self.grad += (1 - out.data * out.data) * out.grad"
WRONG_TANH_BACKWARD = "self.grad += (1 - out.data) * out.grad"

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


def _env() -> dict[str, str]:
    # nbgrader shells out to `alembic` and starts kernels with this interpreter; the venv's bin
    # goes first on PATH, and the checkout on PYTHONPATH so kernels import this autograder.
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("nbgrader", reason="nbgrader is not installed (pip install -e '.[dev]')")
    if shutil.which("alembic", path=_env()["PATH"]) is None:
        pytest.skip("nbgrader needs the `alembic` executable on PATH (the venv's bin)")
    root = tmp_path_factory.mktemp("course")
    (root / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        "c.CourseDirectory.course_id = 'backprop-course'\n"
        "c.CourseDirectory.db_url = 'sqlite:///gradebook.db'\n"
        "c.ExecutePreprocessor.timeout = 600\n"
    )
    (root / "source" / "ops").mkdir(parents=True)
    shutil.copy(SOURCE, root / "source" / "ops" / "ops.ipynb")
    return root


def nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=_env(),
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{result.stderr[-4000:]}"
    return result


def _submit(course: Path, student: str, notebook: str) -> Path:
    folder = course / "submitted" / student / "ops"
    folder.mkdir(parents=True)
    (folder / "ops.ipynb").write_text(notebook, encoding="utf-8")
    return folder / "ops.ipynb"


def _mgrade_total(notebook: Path) -> float:
    report = grade(notebook, GradeOptions(assignments=["ops"], oracle="auto"))
    assert report.internal_error is None
    return report.score


def test_nbgrader_round_trip(course: Path) -> None:
    # The instructor's notebook passes its own tests.
    validated = nbgrader(course, "validate", str(course / "source" / "ops" / "ops.ipynb"))
    assert "Success! Your notebook passes all the tests." in validated.stdout

    # The release holds no solution code and no hidden tests, and fails every test.
    nbgrader(course, "generate_assignment", "ops", "--force")
    release = course / "release" / "ops" / "ops.ipynb"
    released = release.read_text(encoding="utf-8")
    assert "BEGIN SOLUTION" not in released and "HIDDEN TESTS" not in released
    assert "official=True" not in released
    assert json.dumps(TANH_BACKWARD)[1:-1] not in released
    assert "math.tanh(self.data)" not in released
    inverted = nbgrader(course, "validate", "--invert", str(release))
    assert "Success! The notebook does not pass any tests." in inverted.stdout

    # Three students: the source itself, the release unchanged, one wrong tanh derivative.
    source = SOURCE.read_text(encoding="utf-8")
    assert json.dumps(TANH_BACKWARD)[1:-1] in source
    buggy = source.replace(json.dumps(TANH_BACKWARD)[1:-1], json.dumps(WRONG_TANH_BACKWARD)[1:-1])
    submitted = {
        "full": _submit(course, "full", source),
        "blank": _submit(course, "blank", released),
        "tanhbug": _submit(course, "tanhbug", buggy),
    }
    nbgrader(course, "autograde", "ops", "--force")
    nbgrader(course, "export")
    with open(course / "grades.csv", newline="") as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    scores = {student: float(rows[student]["score"]) for student in submitted}
    max_score = float(rows["full"]["max_score"])

    assert max_score == 38.0  # the sum of assignments/ops/assignment.toml's points
    assert scores["full"] == max_score
    assert scores["blank"] == 0.0
    assert scores["tanhbug"] == max_score - 2.0  # engine.tanh.backward is worth 2 points
    for student, notebook in submitted.items():
        assert _mgrade_total(notebook) == pytest.approx(scores[student]), student

    # The whole class at once, straight from the course's submitted/ folder.
    out = course / "mgrade-graded"
    batch = subprocess.run([sys.executable, "-m", "autograder", "grade-all", str(course), "--out",
                            str(out), "-a", "ops"], env=_env(), capture_output=True, text=True,
                           timeout=900)
    assert batch.returncode == 0, batch.stdout[-2000:] + batch.stderr[-2000:]
    with open(out / "grades.csv", newline="") as handle:
        totals = {row["student"]: float(row["total"]) for row in csv.DictReader(handle)}
    assert totals == pytest.approx(scores)
