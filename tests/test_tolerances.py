"""The backward tolerance accepts every correct formula and rejects numerical estimates."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from util import REFERENCE

from autograder.grading import GradeOptions, grade

CHECKS = ("engine.tanh.backward", "engine.sigmoid.backward", "engine.pow.backward",
          "engine.exp.backward")

# Correct derivatives written differently from PyTorch's formulas.
EQUIVALENT = {
    "self.grad += (1 - out.data * out.data) * out.grad":
        "self.grad += out.grad / math.cosh(self.data) ** 2",
    "self.grad += out.grad * (1 - out.data) * out.data":
        "self.grad += out.grad * math.exp(-abs(self.data)) / (1 + math.exp(-abs(self.data))) ** 2",
    "self.grad += other * self.data ** (other - 1) * out.grad":
        "self.grad += out.grad * other * out.data / self.data",
    "self.grad += out.data * out.grad": "self.grad += math.exp(self.data) * out.grad",
}

FINITE_DIFFERENCES = '''
def _numerical(f, h=1e-6):
    def backward_of(self):
        x = self.data
        step = h * max(1.0, abs(x))
        out = f(self)
        def _backward(self=self, out=out):
            slope = (f(Value(x + step)).data - f(Value(x - step)).data) / (2 * step)
            self.grad += slope * out.grad
        out._backward = _backward
        return out
    return backward_of

for _name in ("tanh", "sigmoid", "exp"):
    setattr(Value, _name, _numerical(getattr(Value, _name)))
'''


def _manifest(folder: Path) -> Path:
    lines = ['[assignment]\nid = "tol"\ntitle = "tolerances"\nseed = 7\n',
             "[limits]\nmax_examples = 60\n"]
    lines += [f'[checks."{check}"]\npoints = 1\n' for check in CHECKS]
    (folder / "tol").mkdir(parents=True)
    (folder / "tol" / "assignment.toml").write_text("\n".join(lines))
    return folder


def _submission(tmp_path: Path, edit) -> Path:
    target = tmp_path / "submission" / "micrograd"
    shutil.copytree(REFERENCE, target, ignore=shutil.ignore_patterns("__pycache__"))
    engine = target / "engine.py"
    engine.write_text(edit(engine.read_text()))
    return target.parent


@pytest.mark.slow
def test_equivalent_formulas_pass(tmp_path: Path) -> None:
    def rewrite(text: str) -> str:
        for old, new in EQUIVALENT.items():
            assert text.count(old) == 1, old
            text = text.replace(old, new)
        return text

    report = grade(_submission(tmp_path, rewrite),
                   GradeOptions(["tol"], oracle="torch",
                                assignment_dirs=[_manifest(tmp_path / "a")]))
    assert {r.check_id: r.verdict.summary for r in report.results if not r.passed} == {}


@pytest.mark.slow
def test_finite_differences_fail_even_with_a_good_step(tmp_path: Path) -> None:
    report = grade(_submission(tmp_path, lambda text: text + FINITE_DIFFERENCES),
                   GradeOptions(["tol"], oracle="torch",
                                assignment_dirs=[_manifest(tmp_path / "a")]))
    failed = {r.check_id for r in report.results if not r.passed}
    assert failed == {"engine.tanh.backward", "engine.sigmoid.backward", "engine.exp.backward"}
