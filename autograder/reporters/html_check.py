"""One check on the HTML page: a row coloured by status, and a detail row under it.

The row shows the manifest's title, the check id, the status (with a word and a symbol, so it
reads without colour), the points and the one-line summary. The detail row, for failed checks and
for checks that carry a loss curve, holds the hints, the feedback, the repro, the counterexample
graph and the training curve.
"""

from __future__ import annotations

from autograder.model import CheckResult
from autograder.reporters.charts import ChartsUnavailable, loss_curve_svg
from autograder.reporters.content import (
    feedback_body,
    points_cell,
    status_kind,
    status_label,
    visibility_mark,
)
from autograder.reporters.html_base import code_block, e, inline, prose, slug
from autograder.reporters.html_graph import graph_figure
from autograder.reporters.sanitize import clean_text, truncate_utf8

DETAIL_LIMIT = 64 * 1024  # bytes per feedback or repro block
SYMBOLS = {"passed": "\u2713", "failed": "\u2717", "error": "!", "blocked": "\u2298"}


def row_class(result: CheckResult) -> str:
    return status_kind(result)


def anchor(result: CheckResult, index: int) -> str:
    """A unique, attribute-safe id for a check's row."""
    return f"check-{index + 1}-{slug(result.check_id)}"


def check_rows(result: CheckResult, index: int) -> str:
    state = row_class(result)
    mark = visibility_mark(result)
    title = result.title if result.title and result.title != result.check_id else ""
    name = (f'<span class="title">{inline(clean_text(title))}</span><br>' if title else "") + \
        f'<code class="id">{e(result.check_id)}</code>' + \
        (f' <span class="mark">{e(mark)}</span>' if mark else "")
    summary = truncate_utf8(clean_text(result.verdict.summary).strip(), DETAIL_LIMIT)
    row = (f'<tr class="check {state}" id="{anchor(result, index)}" '
           f'data-check="{e(result.check_id)}" data-status="{state}">'
           f'<td class="check">{name}</td>'
           f'<td class="status">{SYMBOLS[state]} {e(status_label(result))}</td>'
           f'<td class="points">{e(points_cell(result))}</td>'
           f'<td class="summary">{inline(summary)}</td></tr>')
    detail = _detail(result, index)
    if detail:
        row += f'\n<tr class="detail {state}"><td colspan="4">{detail}</td></tr>'
    return row


def _detail(result: CheckResult, index: int) -> str:
    verdict = result.verdict
    parts = []
    if not result.passed:
        if verdict.notes:
            items = "".join(f"<li>{inline(clean_text(n))}</li>" for n in verdict.notes)
            parts.append(f'<p><strong>Hints</strong></p><ul class="hints">{items}</ul>')
        feedback = feedback_body(verdict)
        if feedback:
            parts.append(prose(truncate_utf8(feedback, DETAIL_LIMIT)))
        if verdict.graph is not None:
            parts.append(graph_figure(verdict.graph, f"g{index + 1}"))
    if verdict.losses:
        parts.append(_loss_figure(verdict.losses, f"l{index + 1}"))
    if not result.passed and verdict.repro:
        repro = truncate_utf8(clean_text(verdict.repro).rstrip(), DETAIL_LIMIT)
        parts.append("<p>Reproduce with:</p>\n" + code_block(repro))
    return "\n".join(parts)


def _loss_figure(losses: tuple[float | None, ...], prefix: str) -> str:
    try:
        svg = loss_curve_svg(losses, prefix)
    except ChartsUnavailable as missing:
        return f'<p class="note">No loss curve: {e(missing)}.</p>'
    except Exception as exc:  # noqa: BLE001 - a drawing failure must not cost the page
        return f'<p class="note">The loss curve could not be drawn: {e(exc)}.</p>'
    finite = [v for v in losses if v is not None]
    caption = f"Training loss over {len(losses)} steps"
    if finite:
        caption += f": first {finite[0]:.4g}, last {finite[-1]:.4g}"
    if len(finite) < len(losses):
        caption += f"; {len(losses) - len(finite)} steps had a loss that was not finite"
    return (f'<figure class="loss-curve">{svg}<figcaption>{e(caption)}.</figcaption>'
            "</figure>")
