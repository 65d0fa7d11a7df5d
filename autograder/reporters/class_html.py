"""The class report: one self-contained HTML page over many results.json files.

For instructors (it names every check, hidden ones included): a score histogram, a pass-rate bar
chart per check, the most common failure messages per check, and the checks that fail together.
Charts are matplotlib drawings inlined as SVG; without matplotlib the same numbers are in tables.
"""

from __future__ import annotations

import os
from pathlib import Path

from autograder.analytics import ClassStats
from autograder.reporters.atomic import atomic_write_text
from autograder.reporters.charts import ChartsUnavailable, histogram_svg, pass_rate_svg
from autograder.reporters.html_base import e, inline, page

TOP_MESSAGES = 3


def render_class_html(stats: ClassStats, source: str) -> str:
    n = len(stats.submissions)
    percents = [p for p in (s.percent for s in stats.submissions) if p is not None]
    body = [
        "<header>",
        f"<h1>Class report <small>{n} submission{'s' if n != 1 else ''}</small></h1>",
        f'<p class="facts">From the results.json files below <code>{e(source)}</code>.</p>',
        _score_line(percents, n),
        "</header>",
        '<section id="scores"><h2>Scores</h2>' + _chart(histogram_svg, percents, "hist")
        + "</section>",
        '<section id="pass-rates"><h2>Pass rate per check</h2>' + _pass_rates(stats)
        + "</section>",
        '<section id="co-failures"><h2>Checks that fail together</h2>' + _pairs(stats)
        + "</section>",
        '<section id="failures"><h2>Most common failure messages</h2>' + _messages(stats)
        + "</section>",
    ]
    return page(f"Class report: {n} submissions \u00b7 mgrade", body)


def write_class_html(stats: ClassStats, source: str, path: str | os.PathLike[str]) -> Path:
    return atomic_write_text(path, render_class_html(stats, source))


def _score_line(percents: list[float], n: int) -> str:
    if not percents:
        return '<p class="note">No submission had any graded checks.</p>'
    ordered = sorted(percents)
    middle = len(ordered) // 2
    median = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    line = (f"Mean {sum(ordered) / len(ordered):.1f}%, median {median:.1f}%, lowest "
            f"{ordered[0]:.1f}%, highest {ordered[-1]:.1f}%.")
    if len(percents) < n:
        line += f" {n - len(percents)} submission(s) had no graded checks and are left out."
    return f'<p class="score-line">{e(line)}</p>'


def _chart(draw, *args) -> str:  # type: ignore[no-untyped-def]
    try:
        return f"<figure>{draw(*args)}</figure>"
    except ChartsUnavailable as missing:
        return f'<p class="note">No chart: {e(missing)}.</p>'


def _pass_rates(stats: ClassStats) -> str:
    if not stats.checks:
        return "<p>No checks were graded.</p>"
    ordered = sorted(stats.checks, key=lambda c: (c.pass_rate, c.check_id))
    chart = _chart(pass_rate_svg, [c.check_id for c in ordered], [c.pass_rate for c in ordered],
                   "rates")
    rows = ['<table class="rates"><thead><tr><th>Check</th><th>Assignment</th>'
            "<th>Passed</th><th>Failed</th><th>Pass rate</th></tr></thead><tbody>"]
    for c in ordered:
        title = f'<br><span class="muted">{inline(c.title)}</span>' if c.title else ""
        rows.append(f'<tr data-check="{e(c.check_id)}"><td><code>{e(c.check_id)}</code>{title}'
                    f"</td><td>{e(c.assignment)}</td><td class=\"num\">{c.passed}</td>"
                    f'<td class="num">{c.failed}</td>'
                    f'<td class="num">{100 * c.pass_rate:.0f}%</td></tr>')
    rows.append("</tbody></table>")
    return chart + "".join(rows)


def _pairs(stats: ClassStats) -> str:
    if not stats.pairs:
        return "<p>No two checks failed in the same submission.</p>"
    rows = ['<p class="muted">Pairs of checks failed by the same submissions, most often first. '
            "\u201cTogether\u201d is the share of submissions failing either check that fail "
            "both: near 100% suggests one shared cause.</p>",
            '<table class="pairs"><thead><tr><th>Check</th><th>and check</th>'
            "<th>Submissions failing both</th><th>Together</th></tr></thead><tbody>"]
    for p in stats.pairs:
        rows.append(f"<tr><td><code>{e(p.first)}</code></td><td><code>{e(p.second)}</code></td>"
                    f'<td class="num">{p.both}</td><td class="num">{100 * p.jaccard:.0f}%</td>'
                    "</tr>")
    rows.append("</tbody></table>")
    return "".join(rows)


def _messages(stats: ClassStats) -> str:
    failing = [c for c in stats.checks if c.failed]
    if not failing:
        return "<p>Every check passed in every submission.</p>"
    parts = []
    for c in sorted(failing, key=lambda c: (-c.failed, c.check_id)):
        items = []
        for key, count in c.messages.most_common(TOP_MESSAGES):
            items.append(f"<li><strong>{count}\u00d7</strong> {inline(c.examples[key])}</li>")
        more = len(c.messages) - TOP_MESSAGES
        if more > 0:
            items.append(f'<li class="muted">and {more} other message(s)</li>')
        parts.append(f'<div class="check-failures" data-check="{e(c.check_id)}"><h3>'
                     f"<code>{e(c.check_id)}</code> <small class=\"muted\">failed by {c.failed} "
                     f"of {c.graded}</small></h3><ul>{''.join(items)}</ul></div>")
    return "\n".join(parts)
