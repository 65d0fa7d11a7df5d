"""One grade per kit and pytest session, shared by the kit's items.

The first item of a kit to run grades every item of that kit that the session selected (after
`-k`, `-m` or node ids) in one `run_selfcheck(only=[...])` call, the code path of
`mgrade check --only`: the same sandboxed workers, grouped the same way, the pure-Python oracle.
The report is kept in the session's stash; each item then reads its own verdict from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from autograder.model import CheckResult, GradeReport
    from autograder.pytest_plugin.items import CheckItem


class CheckFailed(Exception):
    """A check did not pass. The message is the grader's feedback, shown as is."""


@dataclass(frozen=True)
class Graded:
    """A kit's grade in this session, or why there is none (a bad manifest, no sandbox)."""

    report: GradeReport | None
    error: str | None = None


GRADES = pytest.StashKey[dict[Path, Graded]]()


def judge(item: CheckItem) -> None:
    """Return when the check passed. Otherwise raise `CheckFailed` with what `mgrade check` says
    about it, or skip it when it is blocked (it could not test anything: a check it relies on
    failed), naming that cause."""
    graded = shared_grade(item)
    if graded.report is None:
        raise CheckFailed(f"mgrade could not check {item.kit}: {graded.error}")
    result = next((r for r in graded.report.results
                   if r.check_id == item.name and r.assignment == item.assignment), None)
    if result is None:
        raise CheckFailed(_missing(graded.report, item))
    if result.passed:
        return
    if result.verdict.outcome == "blocked":
        _skip(_blocked_reason(result))
    raise CheckFailed(failure_report(result))


def shared_grade(item: CheckItem) -> Graded:
    grades = item.config.stash.setdefault(GRADES, {})
    if item.kit not in grades:
        grades[item.kit] = grade_kit(item.kit, selected_checks(item))
    return grades[item.kit]


def selected_checks(item: CheckItem) -> list[str]:
    """The check ids of every item of `item`'s kit that this session runs."""
    ids = [other.name for other in item.session.items
           if isinstance(other, type(item)) and other.kit == item.kit]
    return list(dict.fromkeys([*ids, item.name]))


def grade_kit(kit: Path, check_ids: list[str]) -> Graded:
    """`mgrade check --only ID... KIT`, as a report."""
    from autograder.kitcheck import run_selfcheck
    from autograder.manifest import ManifestError
    from autograder.sandbox import IsolationUnavailable

    try:
        return Graded(run_selfcheck(kit, only=check_ids, assignment_dirs=[kit / "assignments"]))
    except (ManifestError, IsolationUnavailable) as exc:
        return Graded(None, str(exc))


def failure_report(result: CheckResult) -> str:
    """A failed check as `mgrade check` words it: heading, hints, inputs, expected, got,
    diagnosis and the "Reproduce with:" snippet."""
    from autograder.reporters.content import failure_heading, failure_text
    from autograder.reporters.sanitize import clean_text, truncate_utf8
    from autograder.reporters.text import DETAIL_LIMIT

    body = truncate_utf8(failure_text(result), DETAIL_LIMIT)
    return f"{clean_text(failure_heading(result))}\n\n{body}"


def summary_lines(config: pytest.Config) -> list[str]:
    """What the terminal summary says about each kit graded in this session."""
    from autograder.reporters.sanitize import clean_text

    lines = []
    for kit, graded in config.stash.get(GRADES, {}).items():
        report = graded.report
        if report is None:
            continue
        note = f" ({report.isolation_note})" if report.isolation_note else ""
        lines.append(f"{kit}: {len(report.results)} checks in {report.execution_time:.1f} s; "
                     f"oracle: {report.oracle}; isolation: {report.isolation}{note}")
        lines += [f"  - {clean_text(message).strip()}" for message in report.messages]
    return lines


def _missing(report: GradeReport, item: CheckItem) -> str:
    from autograder.reporters.content import INTERNAL_ERROR_EXPLANATION

    if report.internal_error:
        return f"{INTERNAL_ERROR_EXPLANATION}\n\n{report.internal_error.strip()}"
    return (f"{item.name}: the grade of {item.kit} has no result for this check of "
            f"{item.assignment!r}")


def _blocked_reason(result: CheckResult) -> str:
    from autograder.reporters.sanitize import clean_text, one_line

    verdict = result.verdict
    parts = [verdict.summary, *verdict.notes]
    return one_line("; ".join(clean_text(p).strip().rstrip(".") for p in parts if p.strip()), 500)


def _skip(reason: str) -> None:
    """Skip, reported at the check's own location (not at this line of the plugin)."""
    try:
        raise pytest.skip.Exception(reason, _use_item_location=True)
    except TypeError:  # a pytest without the keyword
        pytest.skip(reason)
