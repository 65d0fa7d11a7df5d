"""`mgrade`: grade submissions, release the students' template, run the demo.

The command names, options and exit codes are a public contract (instructors put them in CI files
and Gradescope scripts): exit 0 whenever grading completed, 1 for `--fail-under` misses, 2 for
usage errors. A results file asked for with `--json` is written even when grading fails.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console

from autograder.batch.command import grade_all
from autograder.ci.command import ci_template
from autograder.commands.check import check as check_command
from autograder.gradescope.command import gradescope
from autograder.report_cmd import report as report_command
from autograder.version import __version__

stderr = Console(stderr=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mgrade")
def main() -> None:
    """mgrade: autograde micrograd-style engines and networks."""


# ---- grade -------------------------------------------------------------------------------------


def _write_outputs(report, json_path, junit_path, md_path, html_path) -> bool:
    from autograder.reporters import ReportWriteError, write_reports

    try:
        write_reports(report, json_path=json_path, junit_path=junit_path, md_path=md_path,
                      html_path=html_path)
        return True
    except ReportWriteError as exc:
        stderr.print(f"[red]error:[/red] {exc}", markup=True, highlight=False)
        return False


def _fallback_report(submission: Path, assignments: list[str], seed: int | None, error: str):
    """A report for when grading could not even start: every format still gets written."""
    from autograder.model import GradeReport

    return GradeReport(submission=str(submission), assignments=assignments, seed=seed or 0,
                       isolation="none", isolation_note="grading did not start",
                       oracle="none", grader_version=__version__, internal_error=error,
                       messages=[error])


@main.command()
@click.argument("submission", type=click.Path(path_type=Path))
@click.option("--assignment", "-a", "assignments", multiple=True, metavar="ID",
              help="Assignment to grade (repeatable). Default: every assignment found.")
@click.option("--json", "json_path", type=click.Path(path_type=Path),
              help="Write Gradescope's results.json here.")
@click.option("--junit", "junit_path", type=click.Path(path_type=Path), help="Write JUnit XML.")
@click.option("--md", "md_path", type=click.Path(path_type=Path),
              help="Write a Markdown summary (e.g. $GITHUB_STEP_SUMMARY).")
@click.option("--html", "html_path", type=click.Path(path_type=Path), help="Write an HTML report.")
@click.option("--seed", type=int, default=None, envvar="MGRADE_SEED", show_envvar=True,
              help="Seed for generated inputs (default: the assignment's public one). Same seed, "
              "same grade. Keep the official seed secret: students could otherwise regenerate "
              "the hidden inputs.")
@click.option("--fail-under", type=click.FloatRange(0, 100), default=None, metavar="PCT",
              help="Exit 1 when the score is below PCT percent.")
@click.option("--isolation", type=click.Choice(["namespace", "uid", "process"]), default=None,
              help="Force an isolation level (default: the strongest available).")
@click.option("--oracle", type=click.Choice(["auto", "torch", "python"]), default="auto",
              show_default=True,
              help="What answers are compared with: torch (official), python (no torch needed), "
              "or auto (torch when installed).")
@click.option("--assignments-dir", "assignment_dirs", multiple=True,
              type=click.Path(path_type=Path, file_okay=False),
              help="Where assignments/<id>/assignment.toml live (default: the course repo's).")
@click.option("--quiet", "-q", is_flag=True, help="Only print the total.")
@click.option("--audience", type=click.Choice(["instructor", "student"]), default="instructor",
              show_default=True, help="student: leave withheld (hidden, after-due-date) checks "
              "out of every report and total.")
def grade(submission: Path, assignments: tuple[str, ...], json_path: Path | None,
          junit_path: Path | None, md_path: Path | None, html_path: Path | None,
          seed: int | None, fail_under: float | None, isolation: str | None, oracle: str,
          assignment_dirs: tuple[Path, ...], quiet: bool, audience: str) -> None:
    """Grade SUBMISSION (a folder with micrograd/engine.py or engine.py, or a .zip of one)."""
    from autograder.grading import GradeOptions
    from autograder.manifest import ManifestError, available_assignments, default_assignment_dirs
    from autograder.oracles import OracleUnavailable
    from autograder.reporters import render_text
    from autograder.reporters.audience import for_audience
    from autograder.sandbox import IsolationUnavailable

    dirs = list(assignment_dirs) or default_assignment_dirs()
    ids = list(assignments) or available_assignments(dirs)
    if not ids:
        raise click.UsageError(f"no assignments found in {', '.join(map(str, dirs))}")
    options = GradeOptions(assignments=ids, seed=seed, isolation=isolation, oracle=oracle,
                           assignment_dirs=dirs)
    try:
        report = _grade_with_progress(submission, options, quiet)
    except (ManifestError, IsolationUnavailable, OracleUnavailable) as exc:
        _write_outputs(_fallback_report(submission, ids, seed, str(exc)), json_path, junit_path,
                       md_path, html_path)
        raise click.UsageError(str(exc)) from None
    except Exception as exc:  # noqa: BLE001 - never crash without a results file
        report = _fallback_report(submission, ids, seed, f"{type(exc).__name__}: {exc}")
    report = for_audience(report, audience)
    ok = _write_outputs(report, json_path, junit_path, md_path, html_path)
    if quiet:
        click.echo(f"{report.score:g}/{report.max_score:g} ({report.percent:.1f}%)")
    else:
        render_text(report)
    if report.internal_error:
        stderr.print(f"internal grader error: {report.internal_error}", markup=False)
    if not ok:
        sys.exit(3)
    if fail_under is not None and report.percent < fail_under:
        sys.exit(1)


def _grade_with_progress(submission: Path, options, quiet: bool):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from autograder.grading import grade as run_grade

    if quiet or not stderr.is_terminal:
        return run_grade(submission, options)
    with Progress(TextColumn("grading"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.description}"), TimeElapsedColumn(), console=stderr,
                  transient=True) as progress:
        task = progress.add_task("", total=None)

        def update(check_id: str, index: int, total: int) -> None:
            progress.update(task, completed=index, total=total, description=check_id)

        options.progress = update
        return run_grade(submission, options)


# ---- release -----------------------------------------------------------------------------------


@main.command()
@click.option("--check", is_flag=True,
              help="Do not write; exit 1 naming every file that differs from a fresh generation.")
@click.option("--reference", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="The reference package folder (default: reference/micrograd).")
@click.option("--template", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="The template folder to write (default: students_template).")
@click.option("--kit", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Write the student kit to this new folder instead (see docs/RELEASE.md).")
@click.option("--assignment", "-a", "assignments", multiple=True, metavar="ID",
              help="With --kit: an assignment to release (repeatable; default: all).")
@click.option("--zip", "archive", is_flag=True, help="With --kit: also write KIT.zip.")
def release(check: bool, reference: Path | None, template: Path | None, kit: Path | None,
            assignments: tuple[str, ...], archive: bool) -> None:
    """Generate students_template/ and the nbgrader source notebooks from the reference solution
    (or --check for drift), or a student kit with --kit."""
    from autograder.release import ReleaseError, check_template, default_paths, write_template

    if kit is not None:
        from autograder.release.command import release_kit

        if check:
            raise click.UsageError("--check compares students_template/; not with --kit")
        release_kit(kit, reference, assignments, archive)
        return
    if assignments or archive:
        raise click.UsageError("-a and --zip only apply to --kit")
    try:
        if reference is None or template is None:
            default_reference, default_template = default_paths()
            reference = reference or default_reference
            template = template or default_template
        if check:
            problems = check_template(reference, template) + _notebooks(reference, check=True)
            for problem in problems:
                click.echo(problem, err=True)
            if problems:
                click.echo(f"{len(problems)} file(s) drifted: run `mgrade release` to regenerate.",
                           err=True)
                sys.exit(1)
            click.echo(f"{template} and the source notebooks match a fresh generation from "
                       f"{reference}.")
            return
        written = write_template(reference, template) + _notebooks(reference, check=False)
    except ReleaseError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"wrote {len(written)} file(s) (template: {template})")


main.add_command(check_command)


def _notebooks(reference: Path, check: bool) -> list:
    """The nbgrader source notebooks next to the reference's assignments/ (none without it)."""
    assignments = reference.resolve().parent.parent / "assignments"
    if not assignments.is_dir():
        return []
    from autograder.notebooks.build import check_notebooks, write_notebooks

    return (check_notebooks if check else write_notebooks)(reference, assignments)


# ---- checks ------------------------------------------------------------------------------------


@main.command("checks")
def list_checks() -> None:
    """List every check id the grader knows, with its title."""
    from autograder.checks import catalogue

    for check in catalogue().values():
        click.echo(f"{check.id:34} {check.title}")


# ---- doctor ------------------------------------------------------------------------------------


@main.command()
def doctor() -> None:
    """Say which isolation level, oracle and optional tools this machine offers."""
    import shutil

    from autograder.checks.examplecache import describe_cache
    from autograder.oracles import torch_version
    from autograder.sandbox import detect_isolation

    info = detect_isolation()
    click.echo(f"isolation: {info.level.value} ({info.note})")
    version = torch_version()
    if version is not None:
        click.echo(f"oracle:    torch {version}")
    else:
        click.echo("oracle:    torch is NOT installed (pip install 'mgrade[oracle]' -c "
                   "constraints.txt)")
    click.echo("graphviz:  " + ("dot found" if shutil.which("dot") else
                                "dot NOT found: draw_dot(...).source works, rendering does not "
                                "(apt-get install graphviz)"))
    click.echo("bwrap:     " + ("found" if shutil.which("bwrap") else
                                "NOT found: install bubblewrap for the namespace isolation level"))
    click.echo("examples:  " + describe_cache())


# ---- demo --------------------------------------------------------------------------------------


@main.command()
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), default=Path("out"),
              show_default=True, help="Where to write each submission's reports.")
def demo(out: Path) -> None:
    """Grade every bundled example submission and write their reports to OUT."""
    from autograder.demo import run_demo

    sys.exit(run_demo(out))


main.add_command(report_command)  # mgrade report: class analytics (report_cmd.py)
main.add_command(grade_all)  # mgrade grade-all: a class at once (batch/)
main.add_command(gradescope)  # mgrade gradescope: the autograder zip (gradescope/)
main.add_command(ci_template)  # mgrade ci-template: GitHub workflows (ci/)
