"""Reporters: turn one `GradeReport` into the formats people read.

- `render_text` / `text_summary`: the terminal (rich) and plain text.
- `gradescope_json` / `write_gradescope`: Gradescope's results.json.
- `write_junit`: JUnit XML for CI test views.
- `render_markdown` / `write_markdown`: a GitHub Actions job summary.
- `render_html` / `write_html`: a self-contained HTML page.

`write_reports` writes any combination of files at once. Every write is atomic (see `atomic`), and
reporters never mutate the report. See docs/REPORTS.md for each format's fields.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from autograder.model import GradeReport
from autograder.reporters.gradescope import gradescope_json, write_gradescope
from autograder.reporters.html import render_html, write_html
from autograder.reporters.junit import render_junit, write_junit
from autograder.reporters.markdown import render_markdown, write_markdown
from autograder.reporters.text import render_text, text_summary

__all__ = [
    "ReportWriteError",
    "gradescope_json",
    "render_html",
    "render_junit",
    "render_markdown",
    "render_text",
    "text_summary",
    "write_gradescope",
    "write_html",
    "write_junit",
    "write_markdown",
    "write_reports",
]

PathArg = str | os.PathLike[str] | None


class ReportWriteError(Exception):
    """Some requested reports could not be written; the others were.

    `written` lists the paths that were written, `failures` maps each report kind ("json",
    "junit", "markdown", "html") to its target path and the exception that stopped it.
    """

    def __init__(self, written: list[Path], failures: dict[str, tuple[Path, BaseException]]):
        self.written = written
        self.failures = failures
        lines = [
            f"{kind} report {path}: {type(exc).__name__}: {exc}"
            for kind, (path, exc) in failures.items()
        ]
        done = ", ".join(str(p) for p in written) or "none"
        super().__init__(
            f"could not write {len(failures)} report(s):\n  "
            + "\n  ".join(lines)
            + f"\nwritten: {done}"
        )


def write_reports(
    report: GradeReport,
    *,
    json_path: PathArg = None,
    junit_path: PathArg = None,
    md_path: PathArg = None,
    html_path: PathArg = None,
    include_hidden: bool = True,
) -> list[Path]:
    """Write each requested report and return the written paths, in the order above.

    Every requested report is attempted even if an earlier one fails (a full disk for the HTML
    page must not cost a student their Gradescope score). If any failed, `ReportWriteError` is
    raised after all attempts; it carries both the written paths and the failures, with the
    original exceptions chained as `__cause__` of the first failure. `include_hidden` applies to
    JUnit, Markdown and HTML; results.json always lists every check with its own visibility,
    which Gradescope enforces.
    """
    jobs: list[tuple[str, PathArg, Callable[[Path], Path]]] = [
        ("json", json_path, lambda p: write_gradescope(report, p)),
        ("junit", junit_path, lambda p: write_junit(report, p, include_hidden=include_hidden)),
        ("markdown", md_path, lambda p: write_markdown(report, p, include_hidden=include_hidden)),
        ("html", html_path, lambda p: write_html(report, p, include_hidden=include_hidden)),
    ]
    written: list[Path] = []
    failures: dict[str, tuple[Path, BaseException]] = {}
    for kind, path, write in jobs:
        if path is None:
            continue
        target = Path(path)
        try:
            written.append(write(target))
        except Exception as exc:  # collected, then raised together below
            failures[kind] = (target, exc)
    if failures:
        first = next(iter(failures.values()))[1]
        raise ReportWriteError(written, failures) from first
    return written
