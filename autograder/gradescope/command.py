"""`mgrade gradescope`: build the autograder zip to upload to Gradescope."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("gradescope")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False),
              default=Path("autograder.zip"), show_default=True, help="The zip to write.")
@click.option("--seed-file", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              default=None,
              help="A file holding the official seed (secret; change it every term). Without "
              "it, every submission's results say the seed is missing.")
@click.option("--assignment", "-a", "assignments", multiple=True, metavar="ID",
              help="Assignment this Gradescope assignment grades (repeatable). Default: all.")
@click.option("--wheel", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              default=None, help="Use this grader wheel instead of building one.")
@click.option("--timeout", "timeout_s", type=click.FloatRange(10), default=1200.0,
              show_default=True,
              help="Seconds one submission may take; set Gradescope's own timeout above it.")
def gradescope(out: Path, seed_file: Path | None, assignments: tuple[str, ...],
               wheel: Path | None, timeout_s: float) -> None:
    """Build Gradescope's autograder zip (setup.sh, run_autograder, the grader's wheel)."""
    from autograder.gradescope.bundle import BundleError, build_bundle
    from autograder.manifest import ManifestError, available_assignments, default_assignment_dirs
    from autograder.manifest import find_assignment as find

    dirs = default_assignment_dirs()
    ids = list(assignments) or available_assignments(dirs)
    try:
        for assignment_id in ids:
            find(assignment_id, dirs)
    except ManifestError as exc:
        raise click.UsageError(str(exc)) from None
    if not ids:
        raise click.UsageError("no assignments found")
    if seed_file is None:
        click.echo("warning: no --seed-file: every submission will be reported as not graded "
                   "until the bundle carries the official seed", err=True)
    try:
        names = build_bundle(out, ids, seed_file=seed_file, wheel=wheel, timeout_s=timeout_s)
    except BundleError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"wrote {out} ({', '.join(names)}); assignments: {', '.join(ids)}")
