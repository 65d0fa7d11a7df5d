"""`mgrade ci-template`: write GitHub Actions workflows that grade with the installed grader."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("ci-template")
@click.option("--classroom", is_flag=True,
              help="Also report points to GitHub Classroom (one step per assignment).")
@click.option("--instructor", is_flag=True,
              help="Write the course repository's workflow that batch-grades a collected class "
              "instead (.github/workflows/grade-class.yml).")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), default=Path("."),
              show_default=True, help="The repository to write .github/workflows/ into.")
@click.option("--assignment", "-a", "assignments", multiple=True, metavar="ID",
              help="Assignment to grade (repeatable). Default: all.")
@click.option("--grader", default=None, metavar="REQUIREMENT",
              help="What students' CI installs: a pip requirement or a wheel URL (default: "
              "mgrade==<this version>).")
def ci_template(classroom: bool, instructor: bool, out: Path, assignments: tuple[str, ...],
                grader: str | None) -> None:
    """Write .github/workflows/grade.yml for student repositories (or, with --instructor, the
    class grading workflow)."""
    from autograder.checks import catalogue
    from autograder.ci.workflows import (
        INSTRUCTOR_FILE,
        STUDENT_FILE,
        dump,
        instructor_workflow,
        student_workflow,
    )
    from autograder.manifest import (
        ManifestError,
        available_assignments,
        default_assignment_dirs,
        find_assignment,
        load_assignment,
    )
    from autograder.pins import PinError
    from autograder.reporters.atomic import atomic_write_text

    if classroom and instructor:
        raise click.UsageError("--classroom and --instructor write different workflows; "
                               "choose one")
    dirs = default_assignment_dirs()
    ids = list(assignments) or available_assignments(dirs)
    if not ids:
        raise click.UsageError("no assignments found")
    try:
        loaded = [load_assignment(find_assignment(i, dirs), catalogue().keys()) for i in ids]
        if instructor:
            target, text = out / INSTRUCTOR_FILE, dump(instructor_workflow(ids), "instructor")
        else:
            visible = {a.id: sum(c.points for c in a.checks if c.visibility == "visible")
                       for a in loaded}
            workflow = student_workflow(ids, visible, classroom=classroom, grader=grader)
            target = out / STUDENT_FILE
            text = dump(workflow, "classroom" if classroom else "student")
    except (ManifestError, PinError) as exc:
        raise click.UsageError(str(exc)) from None
    atomic_write_text(target, text)
    click.echo(f"wrote {target}")
