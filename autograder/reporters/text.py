"""The terminal report (rich) and its plain-text twin used as Gradescope's top-level output.

Every piece of student-derived text is put into `rich.text.Text` objects after `clean_text`. Rich
never parses a Text for markup or emoji codes (unlike a str, which would need
`rich.markup.escape`), so a submission whose output contains "[bold]", ":warning:" or an ANSI
escape prints literally.
"""

from __future__ import annotations

import io

from rich import box
from rich.console import Console, RenderableType
from rich.panel import Panel
from rich.rule import Rule
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from autograder.model import CheckResult, GradeReport
from autograder.reporters.content import (
    INTERNAL_ERROR_EXPLANATION,
    assignment_headings,
    failure_heading,
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

REASON_WIDTH = 80  # characters of verdict.summary shown in the table
DETAIL_LIMIT = 64 * 1024  # bytes of feedback/repro per failed check; more floods a terminal
PLAIN_WIDTH = 100


def render_text(report: GradeReport, console: Console | None = None) -> None:
    """Print the full report, hidden checks included and marked, to `console` (stdout if None)."""
    target = console if console is not None else Console()
    for renderable in _renderables(report, include_hidden=True, details=True, plain=False):
        target.print(renderable)


def text_summary(report: GradeReport, *, include_hidden: bool = True, details: bool = True) -> str:
    """The same report as plain text: no colour, ASCII table borders, no trailing spaces.

    Gradescope's top-level output uses `include_hidden=False` (students read it, so hidden checks
    must not appear) and `details=False` (each test carries its own feedback there).
    """
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=PLAIN_WIDTH,
        color_system=None,
        force_terminal=False,
        no_color=True,
        highlight=False,
        emoji=False,
        markup=False,
    )
    for renderable in _renderables(
        report, include_hidden=include_hidden, details=details, plain=True
    ):
        console.print(renderable)
    lines = [line.rstrip() for line in buffer.getvalue().splitlines()]
    return "\n".join(lines).strip("\n") + "\n"


def _renderables(
    report: GradeReport, *, include_hidden: bool, details: bool, plain: bool
) -> list[RenderableType]:
    shown = shown_results(report, include_hidden)
    out: list[RenderableType] = []
    if report.internal_error:
        body = Text(INTERNAL_ERROR_EXPLANATION + "\n\n", style="bold")
        body.append(clean_text(report.internal_error).strip())
        out.append(
            Panel(
                body,
                title="Grader error",
                border_style="red",
                box=box.ASCII if plain else box.ROUNDED,
            )
        )
    out.append(_results_table(report, shown.results, plain))
    if not report.results:
        out.append(Text("No checks were run.", style="yellow"))
    label = "Total" if not shown.withheld else "Total (listed checks)"
    out.append(
        Text.assemble((f"{label}: ", "bold"), (total_line(shown.score, shown.max_score), "bold"))
    )
    if shown.withheld:
        out.append(Text(withheld_line(shown.withheld), style="dim"))
    out.append(_run_facts(report, show_seed=include_hidden and report.shows_seed))
    if report.messages:
        messages = Text("Messages:\n", style="bold")
        messages.append("\n".join(f"  - {clean_text(m).strip()}" for m in report.messages))
        out.append(messages)
    if details:
        for result in shown.failed:
            out.extend(_failure_details(result))
    return out


def _results_table(report: GradeReport, results: list[CheckResult], plain: bool) -> Table:
    headings = "".join(f"\n{h}" for h in assignment_headings(report))
    table = Table(
        title=Text(f"mgrade results: {clean_text(report.submission)}{headings}"),
        box=box.ASCII if plain else box.HEAVY_HEAD,
        show_lines=False,
    )
    table.add_column("Check", overflow="fold")
    table.add_column("Points", justify="right", no_wrap=True)
    table.add_column("Status", no_wrap=True)
    table.add_column("Reason", overflow="fold")
    for result in results:
        table.add_row(
            _check_cell(result),
            Text(points_cell(result)),
            Text(status_label(result), style=_status_style(result)),
            Text(one_line(result.verdict.summary, REASON_WIDTH)),
        )
    return table


def _check_cell(result: CheckResult) -> Text:
    mark = visibility_mark(result)
    cell = Text(clean_text(result.check_id))
    if mark:
        cell.append(f" {mark}", style="dim")
    if result.title:
        cell.append(f"\n{clean_text(result.title)}", style="dim")
    return cell


def _status_style(result: CheckResult) -> str:
    return {"passed": "green", "error": "magenta", "blocked": "yellow"}.get(status_kind(result),
                                                                          "red")


def _run_facts(report: GradeReport, show_seed: bool) -> Text:
    """Isolation, seed, oracle, version. The student-facing view leaves the seed out: with it, a
    student could regenerate the hidden inputs and hard-code their answers."""
    facts = Text()
    facts.append("Isolation: ", style="bold")
    facts.append(clean_text(report.isolation))
    if report.isolation_note:
        facts.append(f"  (note: {clean_text(report.isolation_note).strip()})", style="yellow")
    if show_seed:
        facts.append("\nSeed: ", style="bold")
        facts.append(str(report.seed))
        if len(set(report.seeds.values())) > 1:  # each assignment graded with its own seed
            facts.append(" (" + ", ".join(f"{clean_text(a)}: {s}" for a, s in
                                          report.seeds.items()) + ")")
    facts.append("\nOracle: ", style="bold")
    facts.append(clean_text(report.oracle))
    facts.append("\nGrader: ", style="bold")
    facts.append(f"mgrade {clean_text(report.grader_version)}")
    facts.append(f", {report.execution_time:.1f} s")
    return facts


def _failure_details(result: CheckResult) -> list[RenderableType]:
    verdict = result.verdict
    title = clean_text(failure_heading(result))
    # A str title would be parsed as markup (and emoji codes); a Text is shown as is.
    parts: list[RenderableType] = [Rule(Text(title), style="red", align="left")]
    if verdict.notes:
        hints = Text("Hints:\n", style="bold yellow")
        hints.append("\n".join(f"  - {clean_text(n).strip()}" for n in verdict.notes))
        parts.append(hints)
    parts.append(
        Text(truncate_utf8(clean_text(verdict.summary).strip(), DETAIL_LIMIT), style="bold")
    )
    feedback = feedback_body(verdict)
    if feedback:
        parts.append(Text(truncate_utf8(feedback, DETAIL_LIMIT)))
    if verdict.repro:
        parts.append(Text("Reproduce with:", style="bold"))
        code = truncate_utf8(clean_text(verdict.repro).rstrip(), DETAIL_LIMIT)
        parts.append(
            Syntax(code, "python", theme="ansi_dark", background_color="default", word_wrap=True)
        )
    parts.append(Text(""))
    return parts
