"""Every "Reproduce with:" snippet reproduces: run in a fresh interpreter against the submission.

For every bundled buggy example and a set of single-bug engines, each failed check's snippet is run
beside the submission (as a student would, from the folder that holds `micrograd/`). It must never
fail on its own text (a NameError, a missing file), and:
- where the check says a value was wrong, the snippet prints the value the feedback says it got;
- where the check says the code raised, the snippet raises the same exception type.
"""

from __future__ import annotations

import math
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from autograder.demo import EXAMPLES_DIR, assignments_for, discover, materialize
from autograder.grading import GradeOptions, grade
from autograder.manifest import default_assignment_dirs
from autograder.model import CheckResult, GradeReport, Outcome

EXAMPLES = {example.name: example for example in discover(EXAMPLES_DIR)}
BUGGY = sorted(name for name in EXAMPLES if name not in ("reference", "template"))

# Single-bug engines: (name, old text in the reference engine, new text).
SINGLE_BUGS = {
    "relu_grad_at_zero": ("            if out.data > 0:\n", "            if self.data >= 0:\n"),
    "pow_forgets_minus_one": ("other * self.data ** (other - 1)", "other * self.data ** other"),
    "log_grad_times": ("self.grad += out.grad / self.data", "self.grad += out.grad * self.data"),
    "exp_forward_off": ("out = Value(math.exp(self.data), (self,), \"exp\")",
                        "out = Value(math.exp(self.data) + 1e-3, (self,), \"exp\")"),
    "sigmoid_grad_drops_upstream": ("self.grad += out.grad * (1 - out.data) * out.data",
                                    "self.grad += (1 - out.data) * out.data"),
}
SNIPPET_TIMEOUT_S = 60
GOT = re.compile(r"#\s*expected .*?,\s*got (?P<got>.+?)\s*$")
TEXT_ERRORS = ("NameError", "FileNotFoundError", "ModuleNotFoundError", "SyntaxError",
               "IndentationError")


def _with_bug(reference: Path, target: Path, old: str, new: str) -> Path:
    import shutil

    shutil.copytree(reference, target)
    engine = target / "micrograd" / "engine.py"
    text = engine.read_text(encoding="utf-8")
    assert old in text, f"the reference no longer contains {old!r}"
    engine.write_text(text.replace(old, new, 1), encoding="utf-8")
    return target


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory
           ) -> Callable[[str], tuple[Path, GradeReport]]:
    scratch = tmp_path_factory.mktemp("snippets")
    dirs = default_assignment_dirs()
    cache: dict[str, tuple[Path, GradeReport]] = {}

    def get(name: str) -> tuple[Path, GradeReport]:
        if name not in cache:
            if name in SINGLE_BUGS:
                reference = scratch / "reference"
                if not reference.exists():
                    materialize(EXAMPLES["reference"], scratch)
                submission = _with_bug(reference, scratch / name, *SINGLE_BUGS[name])
                assignments = ["ops", "backprop"]
            else:
                submission = materialize(EXAMPLES[name], scratch)
                assignments = assignments_for(submission, dirs)
            report = grade(submission, GradeOptions(assignments=assignments,
                                                    assignment_dirs=dirs))
            cache[name] = (submission, report)
        return cache[name]

    return get


def _run(snippet: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", snippet], cwd=cwd, capture_output=True,
                          text=True, timeout=SNIPPET_TIMEOUT_S, stdin=subprocess.DEVNULL)


def _numbers(text: str) -> list[float]:
    return [float(t) for t in re.findall(r"-?(?:\d+\.?\d*(?:e[-+]?\d+)?|inf|nan)", text)]


def _same(printed: str, got: str) -> bool:
    """The printed line shows the value(s) the feedback says it got (numbers compared as floats)."""
    want, have = _numbers(got), _numbers(printed)
    if not want:
        return got.strip() in printed
    if len(have) < len(want):
        return False
    have = have[-len(want):]
    return all((math.isnan(w) and math.isnan(h)) or w == h for w, h in zip(want, have, strict=True))


def _check_snippet(result: CheckResult, cwd: Path) -> None:
    verdict = result.verdict
    snippet = verdict.repro
    assert snippet, f"{result.check_id}: a failed check without a snippet"
    run = _run(snippet, cwd)
    label = f"{result.check_id}\n--- snippet ---\n{snippet}\n--- stdout ---\n{run.stdout}" \
            f"\n--- stderr ---\n{run.stderr[-2000:]}"
    last_error = run.stderr.strip().splitlines()[-1] if run.stderr.strip() else ""
    assert not last_error.startswith(TEXT_ERRORS), f"the snippet fails on its own text: {label}"
    if verdict.outcome is Outcome.WRONG:
        commented = [line for line in snippet.splitlines() if GOT.search(line)]
        if commented:
            assert run.returncode == 0, f"the snippet raised where the value was wrong: {label}"
            got = GOT.search(commented[-1]).group("got")
            printed = run.stdout.strip().splitlines()
            assert printed and _same(printed[-1], got), f"it does not print {got!r}: {label}"
    elif verdict.outcome in (Outcome.RAISED, Outcome.NOT_IMPLEMENTED):
        assert run.returncode != 0, f"the check says it raised; the snippet did not: {label}"
        raised = last_error.split(":")[0].rsplit(".", 1)[-1]
        assert raised and raised in verdict.summary + verdict.feedback, \
            f"it raised {raised}, the feedback names another error: {label}"


def _snippet_failures(report: GradeReport) -> list[CheckResult]:
    return [r for r in report.failed if r.verdict.outcome in
            (Outcome.WRONG, Outcome.RAISED, Outcome.NOT_IMPLEMENTED) and r.verdict.repro]


@pytest.mark.slow
@pytest.mark.parametrize("name", BUGGY + sorted(SINGLE_BUGS))
def test_every_failed_checks_snippet_reproduces(
        name: str, graded: Callable[[str], tuple[Path, GradeReport]]) -> None:
    submission, report = graded(name)
    failed = _snippet_failures(report)
    assert failed, f"{name} has no failed check with a snippet: nothing was tested"
    for result in failed:
        _check_snippet(result, submission)
