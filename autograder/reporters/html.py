"""A single self-contained HTML page for one submission: inline CSS and SVG, no scripts.

Instructors attach it to CI artifacts or hand it to students; it must open offline and be safe to
open even when a submission printed HTML. The page lists only the results `shown_results` selects
(with `include_hidden=False`, visible checks only) and computes every count and subtotal from
that list, so a withheld check cannot reappear in a total. Pieces: `html_base` (escaping, code,
skeleton), `html_check` (a check's rows), `html_graph` (counterexample graphs), `charts`.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from autograder.model import CheckResult, GradeReport
from autograder.reporters.atomic import atomic_write_text
from autograder.reporters.content import (
    INTERNAL_ERROR_EXPLANATION,
    assignment_headings,
    shown_results,
    total_line,
    withheld_line,
)
from autograder.reporters.html_base import e, page, slug
from autograder.reporters.html_check import check_rows
from autograder.reporters.sanitize import clean_text, truncate_utf8

DETAIL_LIMIT = 64 * 1024


def render_html(report: GradeReport, *, include_hidden: bool = True) -> str:
    """The complete page. `include_hidden=False` lists only "visible" checks."""
    shown = shown_results(report, include_hidden)
    total = total_line(shown.score, shown.max_score)
    name = submission_name(report.submission)
    body = [_header(report, name, total, shown.withheld), _summary(report, shown.results)]
    body += _assignments(report, shown.results)
    return page(f"{name}: {total} \u00b7 mgrade", body)


def write_html(
    report: GradeReport, path: str | os.PathLike[str], *, include_hidden: bool = True
) -> Path:
    """Write `render_html(report)` atomically to `path`."""
    return atomic_write_text(path, render_html(report, include_hidden=include_hidden))


def submission_name(submission: str) -> str:
    """The submission's own name (a folder or zip), not its whole path, for titles and tabs."""
    text = clean_text(submission).strip()
    head = re.split(r"\s+\(", text, maxsplit=1)[0].rstrip("/\\")
    return re.split(r"[/\\]", head)[-1] or text or "submission"


def _header(report: GradeReport, name: str, total: str, withheld: int) -> str:
    parts = ["<header>", f"<h1>{e(name)} <small>mgrade report</small></h1>",
             f'<p class="score">{e(total)}</p>']
    parts += [f'<p class="assignment">{e(h)}</p>' for h in assignment_headings(report)]
    if report.internal_error:
        parts.append(
            f'<div class="banner"><strong>Grader error.</strong> {e(INTERNAL_ERROR_EXPLANATION)}'
            f"<pre>{e(truncate_utf8(clean_text(report.internal_error), DETAIL_LIMIT))}</pre></div>"
        )
    parts.append(
        f'<p class="facts">Submission <code>{e(report.submission)}</code> · '
        + (f"seed <code>{report.seed}</code> · " if report.shows_seed else "")
        + f"isolation <code>{e(report.isolation)}</code> · oracle "
        f"<code>{e(report.oracle)}</code> · mgrade <code>{e(report.grader_version)}</code></p>"
    )
    if report.isolation_note:
        parts.append(f'<p class="note">Isolation note: {e(report.isolation_note)}</p>')
    if withheld:
        parts.append(f'<p class="facts withheld">{e(withheld_line(withheld))}</p>')
    if report.messages:
        items = "".join(f"<li>{e(m)}</li>" for m in report.messages)
        parts.append(f'<ul class="messages">{items}</ul>')
    parts.append("</header>")
    return "\n".join(parts)


def _groups(report: GradeReport, results: list[CheckResult]) -> dict[str, list[CheckResult]]:
    groups: dict[str, list[CheckResult]] = {a: [] for a in report.assignments}
    for result in results:
        groups.setdefault(result.assignment, []).append(result)
    return {a: rs for a, rs in groups.items() if rs}


def _counts(results: list[CheckResult]) -> tuple[str, int, int]:
    score = round(sum(r.score for r in results), 6)
    maximum = round(sum(r.max_score for r in results), 6)
    passed = sum(1 for r in results if r.passed)
    return total_line(score, maximum), passed, len(results) - passed


def _summary(report: GradeReport, results: list[CheckResult]) -> str:
    if not results:
        return "<p>No checks were run.</p>"
    rows = ['<table class="summary"><thead><tr><th>Assignment</th><th>Points</th>'
            "<th>Passed</th><th>Failed</th></tr></thead><tbody>"]
    for assignment, group in _groups(report, results).items():
        points, passed, failed = _counts(group)
        rows.append(f'<tr><td><a href="#a-{slug(assignment)}">{e(assignment)}</a></td>'
                    f'<td class="num">{e(points)}</td><td class="num">{passed}</td>'
                    f'<td class="num">{failed}</td></tr>')
    points, passed, failed = _counts(results)
    rows.append(f'<tr class="total"><th>Total</th><th class="num">{e(points)}</th>'
                f'<th class="num">{passed}</th><th class="num">{failed}</th></tr>')
    rows.append("</tbody></table>")
    return "\n".join(rows)


def _assignments(report: GradeReport, results: list[CheckResult]) -> list[str]:
    sections, index = [], 0
    for assignment, group in _groups(report, results).items():
        points, passed, failed = _counts(group)
        rows = []
        for result in group:
            rows.append(check_rows(result, index))
            index += 1
        sections.append(
            f'<section class="assignment" id="a-{slug(assignment)}">'
            f"<h2>{e(assignment)} <small class=\"muted\">{e(points)} \u00b7 {passed} passed, "
            f"{failed} failed</small></h2>\n"
            '<table class="checks"><thead><tr><th>Check</th><th>Status</th><th>Points</th>'
            "<th>Result</th></tr></thead><tbody>\n" + "\n".join(rows) + "\n</tbody></table>"
            "</section>")
    return sections
