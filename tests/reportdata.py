"""Example submissions graded once per test process, for the report tests to render."""

from __future__ import annotations

import tempfile
from functools import cache
from pathlib import Path

from autograder.demo import discover, materialize
from autograder.grading import GradeOptions, grade
from autograder.manifest import default_assignment_dirs
from autograder.model import GradeReport

ENGINE = ["ops", "backprop"]


@cache
def _scratch() -> Path:
    return Path(tempfile.mkdtemp(prefix="mgrade-report-tests-"))


@cache
def graded(name: str) -> GradeReport:
    """The engine grade (ops + backprop) of examples/submissions/<name>, built as the demo does."""
    example = next(e for e in discover() if e.name == name)
    submission = materialize(example, _scratch())
    return grade(submission, GradeOptions(assignments=list(ENGINE),
                                          assignment_dirs=default_assignment_dirs()))


def result(report: GradeReport, check_id: str):  # noqa: ANN201 - CheckResult
    return next(r for r in report.results if r.check_id == check_id)
