"""GitHub-flavoured Markdown, sized for a GitHub Actions job summary ($GITHUB_STEP_SUMMARY).

A headline with the total, run facts, a table (check | points | status | reason) and one collapsed
<details> block per failed check with its hints, feedback and repro in fenced code. Text in table
cells and lists has every ASCII punctuation character backslash-escaped (CommonMark allows this for
all of them), so student text cannot close a cell with "|", open code with a backtick, or inject a
link or an HTML tag. Fenced blocks use a fence longer than any backtick run inside them. GitHub caps
a step summary at 1 MiB; this document stays under `DOCUMENT_LIMIT` by leaving out the details of
the last failures, with a note, when they would not fit.
"""

from __future__ import annotations

import html
import os
import re
from pathlib import Path

from autograder.model import CheckResult, GradeReport
from autograder.reporters.atomic import atomic_write_text
from autograder.reporters.content import (
    INTERNAL_ERROR_EXPLANATION,
    assignment_headings,
    feedback_body,
    points_cell,
    shown_results,
    status_kind,
    status_label,
    total_line,
    visibility_mark,
    withheld_line,
)
from autograder.reporters.sanitize import clean_text, one_line, truncate_utf8

REASON_WIDTH = 120
DETAIL_LIMIT = 16 * 1024  # bytes per feedback or repro block
DOCUMENT_LIMIT = 1_000_000  # bytes; GitHub rejects step summaries over 1 MiB

_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
_BACKTICK_RUN = re.compile(r"`+")


def render_markdown(report: GradeReport, *, include_hidden: bool = True) -> str:
    """The Markdown document.

    `include_hidden=False` lists only "visible" checks, for summaries students can read (e.g. a
    GitHub Classroom repository).
    """
    shown = shown_results(report, include_hidden)
    parts = [_head(report, shown.score, shown.max_score, shown.withheld), _table(shown.results)]
    budget = DOCUMENT_LIMIT - sum(len(p.encode("utf-8")) for p in parts) - 200  # omission note
    blocks = [_details(result) for result in shown.failed]
    kept = 0
    for block in blocks:
        size = len(block.encode("utf-8"))
        if size > budget:
            break
        parts.append(block)
        budget -= size
        kept += 1
    if kept < len(blocks):
        parts.append(
            f"\n_Details of {len(blocks) - kept} more failed checks were left out to keep this "
            "summary under GitHub's 1 MiB limit; see the full report._\n"
        )
    return "".join(parts)


def write_markdown(
    report: GradeReport, path: str | os.PathLike[str], *, include_hidden: bool = True
) -> Path:
    """Write `render_markdown(report)` atomically to `path`.

    Replacing the file suits a summary file that mgrade alone writes in its step; to add to a
    summary other commands also write, render to a file and append it (`cat file >> ...`).
    """
    return atomic_write_text(path, render_markdown(report, include_hidden=include_hidden))


def inline(text: object) -> str:
    """`text` on one line, safe inside a table cell or list item."""
    flat = " ".join(clean_text(text).split())
    return _PUNCTUATION.sub(r"\\\1", flat)


def fenced(text: str, language: str = "text") -> str:
    """A fenced code block that `text` cannot close early."""
    longest = max((len(run) for run in _BACKTICK_RUN.findall(text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{text.rstrip()}\n{fence}\n"


def _head(report: GradeReport, score: float, max_score: float, withheld: int) -> str:
    lines = [f"## mgrade: {total_line(score, max_score)}", ""]
    if report.internal_error:
        lines += [
            f"> **Grader error.** {inline(INTERNAL_ERROR_EXPLANATION)}",
            ">",
            f"> {inline(one_line(report.internal_error, 500))}",
            "",
        ]
    lines += [f"- {inline(heading)}" for heading in assignment_headings(report)] + [""]
    lines.append(
        f"Submission {inline(report.submission)} · "
        + (f"seed {report.seed} · " if report.shows_seed else "")
        + "isolation "
        f"{inline(report.isolation)} · oracle {inline(report.oracle)} · "
        f"mgrade {inline(report.grader_version)}"
    )
    if report.isolation_note:
        lines += ["", f"> Isolation note: {inline(report.isolation_note)}"]
    if withheld:
        lines += ["", f"_{inline(withheld_line(withheld))}_"]
    if report.messages:
        lines += ["", *(f"- {inline(m)}" for m in report.messages)]
    return "\n".join(lines) + "\n\n"


def _table(results: list[CheckResult]) -> str:
    if not results:
        return "_No checks were run._\n"
    rows = ["| Check | Points | Status | Reason |", "| --- | ---: | --- | --- |"]
    for r in results:
        mark = visibility_mark(r)
        check = inline(r.check_id) + (f" _{inline(mark)}_" if mark else "")
        if r.title:
            check += f"<br>{inline(r.title)}"
        icon = {"passed": "✅", "blocked": "⛔"}.get(status_kind(r), "❌")
        reason = inline(one_line(r.verdict.summary, REASON_WIDTH))
        rows.append(f"| {check} | {points_cell(r)} | {icon} {status_label(r)} | {reason} |")
    return "\n".join(rows) + "\n"


def _details(result: CheckResult) -> str:
    verdict = result.verdict
    mark = visibility_mark(result)
    title = html.escape(clean_text(result.check_id) + (f" {mark}" if mark else ""))
    parts = [
        "",
        f"<details><summary><strong>{title}</strong>: {html.escape(status_label(result))}, "
        f"{points_cell(result)}"
        + (f" · {html.escape(clean_text(result.title))}" if result.title else "")
        + "</summary>",
        "",
    ]
    if verdict.notes:
        parts += ["**Hints**", "", *(f"- {inline(n)}" for n in verdict.notes), ""]
    body = clean_text(verdict.summary).strip()
    feedback = feedback_body(verdict)
    if feedback:
        body += "\n\n" + feedback
    parts += [fenced(truncate_utf8(body, DETAIL_LIMIT))]
    if verdict.repro:
        repro = truncate_utf8(clean_text(verdict.repro), DETAIL_LIMIT)
        parts += ["Reproduce with:", "", fenced(repro, "python")]
    parts += ["</details>", ""]
    return "\n".join(parts)
