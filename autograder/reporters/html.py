"""A single self-contained HTML page: inline CSS, no scripts, no external assets.

Instructors attach it to CI artifacts or hand it to students; it must open offline and be safe to
open even when a submission printed HTML. Every piece of text goes through `html.escape` (quotes
included) after `clean_text`, so "<script>" in student output is shown, never run.
"""

from __future__ import annotations

import html
import os
import re
from pathlib import Path

from autograder.model import CheckResult, GradeReport
from autograder.reporters.atomic import atomic_write_text
from autograder.reporters.content import (
    ERROR_OUTCOMES,
    INTERNAL_ERROR_EXPLANATION,
    feedback_body,
    points_cell,
    shown_results,
    status_label,
    total_line,
    visibility_mark,
    withheld_line,
)
from autograder.reporters.sanitize import clean_text, one_line, truncate_utf8

DETAIL_LIMIT = 64 * 1024  # bytes per feedback or repro block
REASON_WIDTH = 160

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 70rem; color: #1b1f23;
       padding: 0 1rem; line-height: 1.45; }
header { border-bottom: 2px solid #d0d7de; margin-bottom: 1rem; }
.score { font-size: 2rem; font-weight: 700; }
.facts { color: #57606a; }
.banner { background: #ffebe9; border: 1px solid #cf222e; padding: .75rem 1rem;
          border-radius: 6px; }
.note { background: #fff8c5; border: 1px solid #d4a72c; padding: .5rem 1rem; border-radius: 6px; }
table { border-collapse: collapse; width: 100%; margin: 1rem 0; }
th, td { border: 1px solid #d0d7de; padding: .35rem .6rem; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
td.points { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td.check { font-family: ui-monospace, monospace; white-space: nowrap; }
tr.passed td.status { color: #1a7f37; font-weight: 600; }
tr.failed td.status { color: #cf222e; font-weight: 600; }
tr.error td.status { color: #8250df; font-weight: 600; }
.mark { color: #57606a; font-style: italic; }
section.failure { border-left: 4px solid #cf222e; padding-left: 1rem; margin: 1.5rem 0; }
pre { background: #f6f8fa; padding: .75rem; overflow-x: auto; white-space: pre-wrap;
      word-break: break-word; border-radius: 6px; }
"""


def render_html(report: GradeReport, *, include_hidden: bool = True) -> str:
    """The complete page. `include_hidden=False` lists only "visible" checks."""
    shown = shown_results(report, include_hidden)
    total = total_line(shown.score, shown.max_score)
    title = f"mgrade: {total}"
    body = [_header(report, total, shown.withheld), _table(shown.results)]
    body += [_failure_section(r, i) for i, r in enumerate(shown.results) if not r.passed]
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )


def write_html(
    report: GradeReport, path: str | os.PathLike[str], *, include_hidden: bool = True
) -> Path:
    """Write `render_html(report)` atomically to `path`."""
    return atomic_write_text(path, render_html(report, include_hidden=include_hidden))


def _e(text: object) -> str:
    return html.escape(clean_text(text), quote=True)


def _anchor(result: CheckResult, index: int) -> str:
    # Ids must be unique and attribute-safe whatever the check id holds.
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", result.check_id).strip("-") or "check"
    return f"check-{index + 1}-{slug}"


def _header(report: GradeReport, total: str, withheld: int) -> str:
    parts = ["<header>", "<h1>mgrade report</h1>", f'<p class="score">{_e(total)}</p>']
    if report.internal_error:
        parts.append(
            f'<div class="banner"><strong>Grader error.</strong> {_e(INTERNAL_ERROR_EXPLANATION)}'
            f"<pre>{_e(truncate_utf8(clean_text(report.internal_error), DETAIL_LIMIT))}</pre></div>"
        )
    parts.append(
        f'<p class="facts">Submission <code>{_e(report.submission)}</code> · seed '
        f"<code>{report.seed}</code> · isolation <code>{_e(report.isolation)}</code> · oracle "
        f"<code>{_e(report.oracle)}</code> · mgrade <code>{_e(report.grader_version)}</code></p>"
    )
    if report.isolation_note:
        parts.append(f'<p class="note">Isolation note: {_e(report.isolation_note)}</p>')
    if withheld:
        parts.append(f'<p class="facts">{_e(withheld_line(withheld))}</p>')
    if report.messages:
        items = "".join(f"<li>{_e(m)}</li>" for m in report.messages)
        parts.append(f'<ul class="messages">{items}</ul>')
    parts.append("</header>")
    return "\n".join(parts)


def _row_class(result: CheckResult) -> str:
    if result.passed:
        return "passed"
    return "error" if result.verdict.outcome in ERROR_OUTCOMES else "failed"


def _table(results: list[CheckResult]) -> str:
    if not results:
        return "<p>No checks were run.</p>"
    rows = [
        "<table>",
        "<thead><tr><th>Check</th><th>Points</th><th>Status</th><th>Reason</th></tr></thead>",
        "<tbody>",
    ]
    for index, r in enumerate(results):
        mark = visibility_mark(r)
        check = _e(r.check_id) + (f' <span class="mark">{_e(mark)}</span>' if mark else "")
        if not r.passed:
            check = f'<a href="#{_anchor(r, index)}">{check}</a>'
        rows.append(
            f'<tr class="{_row_class(r)}"><td class="check">{check}</td>'
            f'<td class="points">{_e(points_cell(r))}</td>'
            f'<td class="status">{_e(status_label(r))}</td>'
            f'<td class="reason">{_e(one_line(r.verdict.summary, REASON_WIDTH))}</td></tr>'
        )
    rows += ["</tbody>", "</table>"]
    return "\n".join(rows)


def _failure_section(result: CheckResult, index: int) -> str:
    verdict = result.verdict
    mark = visibility_mark(result)
    heading = _e(result.check_id) + (f' <span class="mark">{_e(mark)}</span>' if mark else "")
    parts = [
        f'<section class="failure" id="{_anchor(result, index)}">',
        f"<h2>{heading}</h2>",
        f"<p><strong>{_e(status_label(result))}</strong>, {_e(points_cell(result))}: "
        f"{_e(truncate_utf8(clean_text(verdict.summary).strip(), DETAIL_LIMIT))}</p>",
    ]
    if verdict.notes:
        items = "".join(f"<li>{_e(n)}</li>" for n in verdict.notes)
        parts.append(f'<p><strong>Hints</strong></p><ul class="hints">{items}</ul>')
    feedback = feedback_body(verdict)
    if feedback:
        parts.append(f'<pre class="feedback">{_e(truncate_utf8(feedback, DETAIL_LIMIT))}</pre>')
    if verdict.repro:
        repro = truncate_utf8(clean_text(verdict.repro).rstrip(), DETAIL_LIMIT)
        parts.append(f'<p>Reproduce with:</p>\n<pre class="repro"><code>{_e(repro)}</code></pre>')
    parts.append("</section>")
    return "\n".join(parts)
