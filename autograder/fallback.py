"""The report for a submission that could not be graded at all.

Batch grading and the Gradescope runner still write every report file for it, so a student never
ends up with no result and an instructor always sees why.
"""

from __future__ import annotations

from autograder.model import GradeReport
from autograder.version import __version__


def not_graded_report(submission: str, assignments: list[str], seed: int | None,
                      error: str) -> GradeReport:
    """A report with no results whose internal error (and only message) is `error`."""
    return GradeReport(submission=submission, assignments=list(assignments), seed=seed or 0,
                       isolation="none", isolation_note="grading did not run", oracle="none",
                       grader_version=__version__, internal_error=error, messages=[error])
