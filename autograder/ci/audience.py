"""Grade for students: the report without its withheld checks.

`python -m autograder.ci.audience SUBMISSION [-a ID] [--json F] [--junit F] [--md F]
[--fail-under PCT]` is what the student workflow runs. Checks whose visibility is not "visible"
(hidden, after_due_date, after_published) are left out of every file, results.json included, and
out of the total, so a CI log, a job summary or an artifact never shows a withheld check's id,
verdict or points. Exit codes follow `mgrade grade`: 0 when grading completed, 1 below
--fail-under.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

from autograder.model import GradeReport

SHOWN_TO_STUDENTS = "visible"


def student_view(report: GradeReport) -> GradeReport:
    """`report` with only the checks students may see now."""
    return replace(report, results=[r for r in report.results
                                    if r.visibility == SHOWN_TO_STUDENTS])


def main(argv: list[str] | None = None) -> int:
    from autograder.fallback import not_graded_report
    from autograder.grading import GradeOptions, grade
    from autograder.manifest import available_assignments, default_assignment_dirs
    from autograder.reporters import text_summary, write_reports

    parser = argparse.ArgumentParser(prog="python -m autograder.ci.audience",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("submission", type=Path)
    parser.add_argument("-a", "--assignment", dest="assignments", action="append", default=[])
    parser.add_argument("--json", type=Path)
    parser.add_argument("--junit", type=Path)
    parser.add_argument("--md", type=Path)
    parser.add_argument("--fail-under", type=float, default=None)
    args = parser.parse_args(argv)
    dirs = default_assignment_dirs()
    ids = args.assignments or available_assignments(dirs)
    try:
        report = grade(args.submission, GradeOptions(assignments=ids, assignment_dirs=dirs))
    except Exception as exc:  # noqa: BLE001 - the files are written whatever happens
        report = not_graded_report(str(args.submission), ids, None,
                                   f"{type(exc).__name__}: {exc}")
    shown = student_view(report)
    write_reports(shown, json_path=args.json, junit_path=args.junit, md_path=args.md,
                  include_hidden=False)
    print(text_summary(shown, include_hidden=False))
    if args.fail_under is not None and (report.internal_error or
                                        shown.percent < args.fail_under):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
