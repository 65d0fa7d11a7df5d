"""`mgrade check [DIR]`: the student's command (see `autograder.kitcheck.run_selfcheck`)."""

from __future__ import annotations

import sys
from pathlib import Path

import click


@click.command("check")
@click.argument("directory", type=click.Path(path_type=Path), default=Path("."), required=False)
@click.option("--assignment", "-a", "assignments", multiple=True, metavar="ID",
              help="Assignment to check (repeatable). Default: every assignment of the kit.")
@click.option("--only", "only", multiple=True, metavar="CHECK",
              help="Only this check id, or every check whose id starts with it "
              "(e.g. engine.tanh). Repeatable.")
@click.option("--json", "json_path", type=click.Path(path_type=Path),
              help="Also write the results as JSON (Gradescope's results.json format).")
@click.option("--seed", type=int, default=None,
              help="Seed for generated inputs (default: the assignment's public one).")
@click.option("--assignments-dir", "assignment_dirs", multiple=True,
              type=click.Path(path_type=Path, file_okay=False),
              help="Where assignments/<id>/assignment.toml live (default: found next to "
              "DIRECTORY or in its parents).")
def check(directory: Path, assignments: tuple[str, ...], only: tuple[str, ...],
          json_path: Path | None, seed: int | None, assignment_dirs: tuple[Path, ...]) -> None:
    """Check your micrograd in DIRECTORY (default: here) against the kit's visible checks.

    No PyTorch needed: answers come from a pure-Python oracle. The official grade runs the same
    checks with more examples against PyTorch, and may add checks that are not shown here.
    """
    from rich.console import Console

    from autograder.kitcheck import run_selfcheck
    from autograder.manifest import ManifestError
    from autograder.reporters import ReportWriteError, render_text, write_reports
    from autograder.sandbox import IsolationUnavailable

    try:
        report = run_selfcheck(directory, only=only, assignments=assignments, seed=seed,
                               assignment_dirs=assignment_dirs)
    except (ManifestError, IsolationUnavailable) as exc:
        raise click.UsageError(str(exc)) from None
    render_text(report)
    try:
        write_reports(report, json_path=json_path)
    except ReportWriteError as exc:
        Console(stderr=True).print(f"error: {exc}", markup=False, highlight=False)
        sys.exit(3)
    if report.internal_error:
        Console(stderr=True).print(f"internal grader error: {report.internal_error}",
                                   markup=False, highlight=False)
