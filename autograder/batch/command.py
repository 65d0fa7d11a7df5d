"""`mgrade grade-all`: grade a folder of submissions into per-student reports and a gradebook."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console

DEFAULT_DEADLINE_S = 900.0


@click.command("grade-all")
@click.argument("submissions", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option("--out", required=True, type=click.Path(path_type=Path, file_okay=False),
              help="Where DIR/<student>/{results.json,feedback.md,junit.xml} and DIR/grades.csv "
              "go.")
@click.option("--jobs", "-j", type=click.IntRange(1), default=None,
              help="Submissions graded at once (default: the number of cores).")
@click.option("--assignment", "-a", "assignments", multiple=True, metavar="ID",
              help="Assignment to grade (repeatable). Default: every assignment found.")
@click.option("--force", is_flag=True, help="Grade again students an earlier run finished.")
@click.option("--seed", type=int, default=None, envvar="MGRADE_SEED", show_envvar=True,
              help="Seed for generated inputs (default: the assignment's public one).")
@click.option("--oracle", type=click.Choice(["auto", "torch", "python"]), default="auto",
              show_default=True, help="What answers are compared with.")
@click.option("--isolation", type=click.Choice(["namespace", "uid", "process"]), default=None,
              help="Force an isolation level (default: the strongest available).")
@click.option("--assignments-dir", "assignment_dirs", multiple=True,
              type=click.Path(path_type=Path, file_okay=False),
              help="Where assignments/<id>/assignment.toml live (default: the installed ones).")
@click.option("--nbgrader-assignment", default=None, metavar="NAME",
              help="For an nbgrader submitted/ folder: which assignment to grade.")
@click.option("--timeout", "deadline_s", type=click.FloatRange(1), default=DEFAULT_DEADLINE_S,
              show_default=True,
              help="Seconds one submission may take in all; past that it is stopped and listed "
              "as not graded (each call into student code has the manifest's own, much shorter "
              "limit).")
def grade_all(submissions: Path, out: Path, jobs: int | None, assignments: tuple[str, ...],
              force: bool, seed: int | None, oracle: str, isolation: str | None,
              assignment_dirs: tuple[Path, ...], nbgrader_assignment: str | None,
              deadline_s: float) -> None:
    """Grade every student's submission in SUBMISSIONS (one folder, .zip, .ipynb or .py each;
    an nbgrader submitted/ folder; or an unzipped Gradescope export).

    A re-run skips students already graded, so an interrupted batch resumes where it stopped.
    Exit 0 when every submission was graded (whatever the scores), 1 when some could not be
    graded (they are listed, and have empty cells in grades.csv), 2 for usage errors, 130 when
    interrupted.
    """
    from autograder import __version__
    from autograder.batch.discover import DiscoveryError, discover
    from autograder.batch.outputs import Settings
    from autograder.batch.pool import BatchAborted
    from autograder.batch.run import default_jobs, run_batch
    from autograder.grading import GradeOptions
    from autograder.manifest import (
        ManifestError,
        available_assignments,
        default_assignment_dirs,
        find_assignment,
    )

    console = Console(stderr=True, soft_wrap=True)
    if out.resolve() == submissions.resolve():
        raise click.UsageError("--out must not be the submissions folder itself (each student's "
                               "reports would land in their submission)")
    dirs = list(assignment_dirs) or default_assignment_dirs()
    ids = list(assignments) or available_assignments(dirs)
    if not ids:
        raise click.UsageError(f"no assignments found in {', '.join(map(str, dirs))}")
    try:
        for assignment_id in ids:
            find_assignment(assignment_id, dirs)
        found = discover(submissions, nbgrader_assignment=nbgrader_assignment, exclude=[out])
    except (ManifestError, DiscoveryError) as exc:
        raise click.UsageError(str(exc)) from None
    for note in found.notes:
        console.print(f"note: {note}", markup=False, highlight=False)
    if not found.submissions:
        raise click.UsageError(f"{submissions}: no submissions found")
    jobs = jobs or default_jobs()
    console.print(f"{len(found.submissions)} submissions ({found.layout} layout), assignments "
                  f"{', '.join(ids)}, {jobs} at a time; reports in {out}/", highlight=False)
    options = GradeOptions(assignments=ids, seed=seed, isolation=isolation, oracle=oracle,
                           assignment_dirs=dirs)
    settings = Settings(tuple(ids), seed, oracle, isolation, __version__)
    try:
        summary = run_batch(found, out, options, settings, jobs=jobs, force=force,
                            deadline_s=deadline_s, console=console)
    except BatchAborted as exc:
        raise click.UsageError(str(exc)) from None
    counts = summary.counts
    console.print(f"graded {sum(counts.values())}: {counts['passed']} passed, {counts['failed']} "
                  f"failed, {counts['errored']} not graded; {summary.skipped} done earlier. "
                  f"Gradebook: {summary.gradebook}", highlight=False)
    for line in summary.errored:
        console.print(f"not graded: {line}", markup=False, highlight=False)
    if summary.interrupted:
        console.print("interrupted: finished students are kept; run the same command again to "
                      "resume", highlight=False)
        sys.exit(130)
    if summary.errored:
        sys.exit(1)
