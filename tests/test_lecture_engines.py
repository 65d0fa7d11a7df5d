"""Engines written the way learners write them after the micrograd lecture are graded fairly.

The lecture's formulas (tanh through exponentials, sigmoid as 1 / (1 + e**-x)), its `label`
attribute and the notebook's leftover `import numpy as np` must earn full marks. A forbidden module
that is really used costs exactly the checks of the op that uses it, and an assignment can ask for
the strict rule instead.
"""

from __future__ import annotations

import math
import re
import shutil
from pathlib import Path

import pytest
from util import REPO

from autograder.compare import FORWARD_RTOL, close
from autograder.grading import GradeOptions, grade
from autograder.model import Outcome
from autograder.ops import OPS_BY_NAME

LECTURE = Path(__file__).parent / "fixtures" / "lecture_engine"
ASSIGNMENTS = ["ops", "backprop"]


def lecture_copy(tmp_path: Path, edit: tuple[str, str] | None = None) -> Path:
    target = tmp_path / "submission"
    shutil.copytree(LECTURE, target)
    if edit is not None:
        engine = target / "micrograd" / "engine.py"
        text = engine.read_text(encoding="utf-8")
        assert edit[0] in text, f"edit target not in the lecture engine: {edit[0]!r}"
        engine.write_text(text.replace(edit[0], edit[1]), encoding="utf-8")
    return target


def manifests(tmp_path: Path, strict: bool) -> Path:
    """The real ops and backprop manifests, with `policy.strict_imports` set as asked."""
    root = tmp_path / "assignments"
    for assignment in ASSIGNMENTS:
        text = (REPO / "assignments" / assignment / "assignment.toml").read_text(encoding="utf-8")
        line = f"strict_imports = {str(strict).lower()}\n"
        if re.search(r"(?m)^\[policy\]", text):
            text = re.sub(r"(?m)^\[policy\]\n", "[policy]\n" + line, text)
        else:
            text += "\n[policy]\n" + line
        (root / assignment).mkdir(parents=True)
        (root / assignment / "assignment.toml").write_text(text, encoding="utf-8")
    return root


def failures(report) -> dict[str, Outcome]:
    return {r.check_id: r.verdict.outcome for r in report.results if not r.passed}


@pytest.mark.slow
def test_lecture_engine_gets_full_marks(tmp_path: Path) -> None:
    report = grade(lecture_copy(tmp_path), GradeOptions(assignments=ASSIGNMENTS))
    assert failures(report) == {}
    assert report.score == report.max_score > 0
    notes = [m for m in report.messages if "imports numpy" in m]
    assert len(notes) == 1 and "costs no points" in notes[0] and "remove it" in notes[0]


@pytest.mark.slow
def test_numpy_used_in_one_op_costs_exactly_that_op(tmp_path: Path) -> None:
    submission = lecture_copy(tmp_path, (
        "        t = (math.exp(2*x) - 1)/(math.exp(2*x) + 1)\n",
        "        t = float(np.tanh(x))\n"))
    report = grade(submission, GradeOptions(assignments=ASSIGNMENTS))
    assert failures(report) == {"engine.tanh.forward": Outcome.POLICY,
                                "engine.tanh.backward": Outcome.POLICY}
    tanh = next(r for r in report.results if r.check_id == "engine.tanh.forward")
    assert "imports numpy" in tanh.verdict.feedback and "Value.tanh" in tanh.verdict.feedback


@pytest.mark.slow
def test_strict_imports_charges_every_check_for_an_unused_import(tmp_path: Path) -> None:
    report = grade(lecture_copy(tmp_path), GradeOptions(
        assignments=ASSIGNMENTS, assignment_dirs=[manifests(tmp_path, strict=True)]))
    assert report.score == 0
    assert set(failures(report).values()) == {Outcome.POLICY}


def test_lecture_tanh_rounding_near_zero_is_not_a_bug() -> None:
    """(e**2x - 1) / (e**2x + 1) is exactly 0.0 for |x| below ~1e-17 and off by ~1e-16 near 0."""
    tanh = OPS_BY_NAME["tanh"]

    def lecture(x: float) -> float:
        return (math.exp(2 * x) - 1) / (math.exp(2 * x) + 1)

    for x in (7.15e-263, 1e-17, 3e-9, 1e-5, 0.25, -4.0):
        assert close(lecture(x), math.tanh(x), FORWARD_RTOL, tanh.unit), x


@pytest.mark.parametrize("x", [1e-5, 0.01, 0.5, 3.0, -7.0])
def test_a_relative_error_of_1e_4_still_fails_at_ordinary_magnitudes(x: float) -> None:
    for name in ("tanh", "sigmoid", "exp", "log"):
        op = OPS_BY_NAME[name]
        fn = {"tanh": math.tanh, "sigmoid": lambda v: 1 / (1 + math.exp(-v)), "exp": math.exp,
              "log": lambda v: math.log(abs(v))}[name]
        want = fn(x)
        assert not close(want * (1 + 1e-4), want, FORWARD_RTOL, op.unit), (name, x)


@pytest.mark.slow
def test_an_op_that_rewrites_its_input_fails_its_forward_check(tmp_path: Path) -> None:
    """`a * b` that also sets `self.data` returns the right product but changes `a`."""
    submission = lecture_copy(tmp_path, (
        "        out = Value(self.data * other.data, (self, other), '*')\n",
        "        out = Value(self.data * other.data, (self, other), '*')\n"
        "        self.data = out.data\n"))
    report = grade(submission, GradeOptions(assignments=["ops"]))
    mul = next(r for r in report.results if r.check_id == "engine.mul.forward")
    assert mul.verdict.outcome is Outcome.WRONG and mul.score == 0
    assert "changed its input: a.data was" in mul.verdict.summary
    assert "(unchanged)" in (mul.verdict.repro or "")
    add = next(r for r in report.results if r.check_id == "engine.add.forward")
    assert add.passed


def _load_error(tmp_path: Path, edit: tuple[str, str]) -> str:
    report = grade(lecture_copy(tmp_path, edit), GradeOptions(assignments=["ops"]))
    outcomes = {r.verdict.outcome for r in report.results}
    assert outcomes == {Outcome.LOAD_ERROR}
    return report.results[0].verdict.feedback


def test_newer_python_syntax_names_the_graders_python(tmp_path: Path) -> None:
    """Nested same-kind quotes in an f-string: valid in 3.12, a SyntaxError in 3.11."""
    import platform
    import sys

    if sys.version_info >= (3, 12):
        pytest.skip("this Python accepts nested f-string quotes")
    feedback = _load_error(tmp_path, ('return f"Value(data={self.data})"',
                                      'return f"Value(data={"x"})"'))
    assert f"Python {platform.python_version()}" in feedback
    assert "same quotes inside an f-string" in feedback


def test_drawing_with_graphviz_in_engine_py_is_explained(tmp_path: Path) -> None:
    edit = ("import math\n", "import math\nfrom graphviz import Digraph\n")
    feedback = _load_error(tmp_path, edit)
    assert "No module named 'graphviz'" in feedback
    assert "graphviz is not there" in feedback and "out of engine.py" in feedback
