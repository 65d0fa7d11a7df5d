"""`mgrade report RESULTS_DIR --html class.html [--csv rates.csv]`: the class report."""

from __future__ import annotations

from pathlib import Path

import click


def check_titles() -> dict[str, str]:
    """The catalogue's title of every check the grader knows (results.json carries only ids)."""
    try:
        from autograder.checks import catalogue

        return {check_id: check.title for check_id, check in catalogue().items()}
    except Exception:  # noqa: BLE001 - titles are a nicety; ids alone still make the report
        return {}


@click.command("report")
@click.argument("results_dir", type=click.Path(path_type=Path))
@click.option("--html", "html_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the class report (a self-contained HTML page) here.")
@click.option("--csv", "csv_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Write each check's pass rate as CSV here.")
def report(results_dir: Path, html_path: Path | None, csv_path: Path | None) -> None:
    """Class analytics over every results.json below RESULTS_DIR (e.g. grade-all's --out)."""
    from autograder.analytics import ResultsError, analyse, load_class, pass_rates_csv
    from autograder.reporters.atomic import atomic_write_text
    from autograder.reporters.class_html import write_class_html

    if html_path is None and csv_path is None:
        raise click.UsageError("nothing to write: give --html FILE and/or --csv FILE")
    try:
        submissions = load_class(results_dir)
    except ResultsError as exc:
        raise click.ClickException(str(exc)) from None
    stats = analyse(submissions, check_titles())
    if html_path is not None:
        write_class_html(stats, str(results_dir), html_path)
        click.echo(f"class report: {html_path}")
    if csv_path is not None:
        atomic_write_text(csv_path, pass_rates_csv(stats))
        click.echo(f"pass rates:   {csv_path}")
    click.echo(f"{len(submissions)} submission(s), {len(stats.checks)} check(s)")
