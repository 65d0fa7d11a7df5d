"""Who reads a report: `for_audience` is applied once, before any reporter runs.

The instructor's view (the default) is the whole report. The student's view keeps only the checks
students see while they work (`autograder.model.STUDENT_VISIBLE`): withheld checks (hidden,
after the due date, after publication) are removed from the report itself, so no reporter (text,
Markdown, HTML, JUnit, results.json) can list them, count them in a total or mention how many there
are. The seed, which picks the generated inputs, is left out of every format too.
"""

from __future__ import annotations

from dataclasses import replace

from autograder.model import STUDENT_VISIBLE, GradeReport

AUDIENCES = ("instructor", "student")


def for_audience(report: GradeReport, audience: str) -> GradeReport:
    """`report` as `audience` may read it: a new report; the given one is not changed."""
    if audience == "instructor":
        return report
    if audience != "student":
        raise ValueError(f"unknown audience {audience!r}: use {' or '.join(AUDIENCES)}")
    kept = [r for r in report.results if r.visibility in STUDENT_VISIBLE]
    # Each assignment's seed is for staff too: with it, hidden inputs can be regenerated.
    return replace(report, results=kept, messages=list(report.messages), audience="student",
                   seeds={})
