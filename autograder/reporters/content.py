"""What every report says, independent of its format.

All reporters share these decisions so a check reads the same in the terminal, on Gradescope, in
CI and in the HTML page: how points are written, the status word, the visibility mark, the order
and numbering of checks, and the full failure text.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from autograder.model import STUDENT_VISIBLE, CheckResult, GradeReport, Outcome, Verdict
from autograder.reporters.sanitize import clean_text

# Outcomes where the check never reached a judgement of the student's values: the worker or the
# grader broke down. JUnit reports these as <error> rather than <failure>.
ERROR_OUTCOMES = frozenset({Outcome.TIMEOUT, Outcome.CRASHED, Outcome.PROTOCOL, Outcome.INTERNAL})

_VISIBILITY_MARKS = {
    "hidden": "(hidden)",
    "after_due_date": "(after due date)",
    "after_published": "(after published)",
}

INTERNAL_ERROR_EXPLANATION = (
    "The grader itself failed while grading this submission. This is not a problem with your "
    "code; please tell the course staff. Scores below may be incomplete."
)


def finite(x: float) -> float:
    """`x` as a float, or 0.0 when it is NaN or infinite (no report format can carry those)."""
    value = float(x)
    return value if math.isfinite(value) else 0.0


def format_points(x: float) -> str:
    """Points as people write them: 1 -> "1.0", 0.5 -> "0.5", 1/3 -> "0.33"."""
    value = round(finite(x), 2)
    return f"{value:.1f}" if value == int(value) else f"{value:g}"


def points_cell(result: CheckResult) -> str:
    """ "0.5/1.0": what a check earned out of what it is worth."""
    return f"{format_points(result.score)}/{format_points(result.max_score)}"


def status_label(result: CheckResult) -> str:
    """ "passed", "blocked", or "failed (timeout)" etc.: the outcome word says how it failed."""
    if result.passed:
        return "passed"
    if result.verdict.outcome is Outcome.BLOCKED:
        return "blocked"
    return f"failed ({result.verdict.outcome.value})"


def status_kind(result: CheckResult) -> str:
    """ "passed", "failed", "error" (no judgement: the worker or grader broke down) or "blocked"
    (not tested: a check it relies on failed). Every status but "passed" scores 0."""
    if result.passed:
        return "passed"
    if result.verdict.outcome is Outcome.BLOCKED:
        return "blocked"
    return "error" if result.verdict.outcome in ERROR_OUTCOMES else "failed"


def visibility_mark(result: CheckResult) -> str:
    """ "(hidden)" etc. for checks students do not see straight away; "" for visible ones."""
    if result.visibility == "visible":
        return ""
    return _VISIBILITY_MARKS.get(result.visibility, f"({clean_text(result.visibility)})")


def check_label(result: CheckResult) -> str:
    """The check id followed by its visibility mark, if any."""
    mark = visibility_mark(result)
    return f"{result.check_id} {mark}" if mark else result.check_id


def failure_heading(result: CheckResult) -> str:
    """ "engine.tanh.backward: failed (wrong), 0.0/2.0 (tanh: backward ...)": a failed check's
    first line in the terminal and in pytest."""
    heading = f"{check_label(result)}: {status_label(result)}, {points_cell(result)}"
    return f"{heading} ({result.title})" if result.title else heading


def assignment_heading(report: GradeReport, assignment: str) -> str:
    """ "ops: Engine ops: forward and backward of every operation"; the bare id without a title."""
    title = report.assignment_titles.get(assignment)
    return f"{assignment}: {clean_text(title)}" if title else clean_text(assignment)


def assignment_headings(report: GradeReport) -> list[str]:
    """One `assignment_heading` per assignment the report lists checks of (every assignment when
    it lists none), in report order."""
    listed = {r.assignment for r in report.results}
    return [assignment_heading(report, a) for a in assignment_order(report)
            if a in listed or not listed]


def total_line(score: float, max_score: float) -> str:
    """ "7.5/10.0 (75.0%)"."""
    percent = 100.0 * score / max_score if max_score else 0.0
    return f"{format_points(score)}/{format_points(max_score)} ({finite(percent):.1f}%)"


def assignment_order(report: GradeReport) -> list[str]:
    """The report's assignments in order, followed by any that only results mention."""
    order = list(dict.fromkeys(report.assignments))
    for result in report.results:
        if result.assignment not in order:
            order.append(result.assignment)
    return order


def check_numbers(report: GradeReport) -> list[str]:
    """Gradescope-style numbers "a.c", one per result in report order.

    `a` is the 1-based position of the check's assignment in `assignment_order`, `c` the 1-based
    position of the check among that assignment's results. Stable for a given manifest, so
    instructors can refer to "test 1.4" across submissions.
    """
    index = {name: i + 1 for i, name in enumerate(assignment_order(report))}
    seen: dict[str, int] = {}
    numbers = []
    for result in report.results:
        seen[result.assignment] = seen.get(result.assignment, 0) + 1
        numbers.append(f"{index[result.assignment]}.{seen[result.assignment]}")
    return numbers


@dataclass(frozen=True)
class Shown:
    """The results a report lists, and what it leaves out when hidden checks are withheld."""

    results: list[CheckResult]
    withheld: int
    score: float
    max_score: float

    @property
    def failed(self) -> list[CheckResult]:
        return [r for r in self.results if not r.passed]


def shown_results(report: GradeReport, include_hidden: bool = True) -> Shown:
    """Select the results to list.

    With `include_hidden` (local runs, instructor reports) every check is listed. Without it only
    "visible" checks are, and totals cover just those, so a student-facing page cannot leak a
    hidden check's id, reason or points.
    """
    if include_hidden:
        results = list(report.results)
    else:
        results = [r for r in report.results if r.visibility in STUDENT_VISIBLE]
    return Shown(
        results=results,
        withheld=len(report.results) - len(results),
        score=round(sum(finite(r.score) for r in results), 6),
        max_score=round(sum(finite(r.max_score) for r in results), 6),
    )


def withheld_line(count: int) -> str:
    """The sentence that stands in for checks a student-facing report does not list."""
    noun = "check is" if count == 1 else "checks are"
    return (
        f"{count} further {noun} graded but not listed here; results are released according to "
        "each check's visibility setting."
    )


def feedback_body(verdict: Verdict) -> str:
    """The feedback without a leading copy of the summary (checks often restate it first)."""
    summary = clean_text(verdict.summary).strip()
    feedback = clean_text(verdict.feedback).strip()
    if summary and feedback.startswith(summary):
        feedback = feedback[len(summary):].lstrip(".:; \n")
    return feedback


def failure_text(result: CheckResult) -> str:
    """The full plain-text feedback for one check: summary, hints, feedback, then the repro.

    Hints (root-cause notes such as "fix engine.neg.forward first") come before the long feedback
    because they are usually the fastest way to the fix. All parts are cleaned of control
    characters; format-specific escaping is left to each reporter.
    """
    verdict = result.verdict
    parts = [clean_text(verdict.summary).strip()]
    if verdict.notes:
        parts.append("Hints:\n" + "\n".join(f"  - {clean_text(n).strip()}" for n in verdict.notes))
    feedback = feedback_body(verdict)
    if feedback:
        parts.append(feedback)
    if verdict.repro:
        parts.append("Reproduce with:\n" + clean_text(verdict.repro).rstrip())
    return "\n\n".join(p for p in parts if p)
