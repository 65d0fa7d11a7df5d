"""The student's self-check: grade a folder against its kit's visible checks, without torch.

`run_selfcheck` is the one code path behind `mgrade check`, and the one a pytest plugin or a
notebook helper calls: the same `grade()` as the official grade, with the pure-Python oracle, only
the manifests' visible checks, and the student audience applied to the report. On the same
submission and seed its verdicts on visible checks are the official grade's.

Manifests are looked up as `assignments/<id>/assignment.toml` in the graded folder and then in each
of its parents (a kit keeps them next to `micrograd/`); when none is found, the manifests installed
with mgrade are used, and the report says so.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from pathlib import Path

from autograder.grading import GradeOptions, grade
from autograder.manifest import (
    MANIFEST_NAME,
    Assignment,
    ManifestError,
    available_assignments,
    default_assignment_dirs,
    find_assignment,
    load_assignment,
)
from autograder.model import STUDENT_VISIBLE, GradeReport
from autograder.reporters.audience import for_audience

Progress = Callable[[str, int, int], None]


def find_kit_assignments(directory: Path) -> Path | None:
    """The nearest `assignments/` folder holding a manifest, in `directory` or a parent."""
    start = directory.resolve()
    for folder in (start, *start.parents):
        candidate = folder / "assignments"
        if candidate.is_dir() and any(candidate.glob(f"*/{MANIFEST_NAME}")):
            return candidate
    return None


def visible_checks(assignments: Sequence[Assignment]) -> list[str]:
    """The ids students may run, in manifest order, each once."""
    ids = (c.id for a in assignments for c in a.checks if c.visibility in STUDENT_VISIBLE)
    return list(dict.fromkeys(ids))


def select(check_ids: Sequence[str], only: Sequence[str]) -> list[str]:
    """The ids equal to, or starting with `<prefix>.`, one of `only` (all when `only` is empty).

    Raises `ManifestError` for a selector that matches nothing, suggesting close ids.
    """
    if not only:
        return list(check_ids)
    chosen = []
    for selector in only:
        prefix = selector.rstrip(".")
        hits = [i for i in check_ids if i == prefix or i.startswith(prefix + ".")]
        if not hits:
            close = difflib.get_close_matches(prefix, check_ids, n=3)
            hint = f"; did you mean {' or '.join(close)}?" if close else \
                "; `mgrade check` without --only lists every check"
            raise ManifestError(f"--only {selector}: no visible check is or starts with "
                                f"{prefix!r}{hint}")
        chosen += hits
    return list(dict.fromkeys(chosen))


def selfcheck_dirs(directory: Path) -> tuple[list[Path], str | None]:
    """Where `run_selfcheck` reads manifests from, and a note when it is not a kit's folder."""
    kit = find_kit_assignments(directory)
    if kit is not None:
        return [kit], None
    return default_assignment_dirs(), (
        f"no assignments/*/{MANIFEST_NAME} in {directory} or its parents: checked against the "
        "manifests installed with mgrade")


def run_selfcheck(directory: Path = Path("."), *, only: Sequence[str] = (),
                  assignments: Sequence[str] = (), seed: int | None = None,
                  assignment_dirs: Sequence[Path] = (), isolation: str | None = None,
                  progress: Progress | None = None) -> GradeReport:
    """Grade `directory` (a folder with micrograd/ or engine.py, or a .zip) as a student would.

    `only`: check ids or dotted prefixes ("engine.tanh"); `assignments`: assignment ids (default:
    every one found); `assignment_dirs`: where manifests are (default: found from `directory`, see
    the module docstring). Raises `ManifestError` for an unknown assignment or `only` selector,
    and whatever `grade()` raises for the caller's mistakes; a broken submission is a report.
    """
    note = None
    dirs = list(assignment_dirs)
    if not dirs:
        dirs, note = selfcheck_dirs(directory)
    ids = list(assignments) or available_assignments(dirs)
    if not ids:
        raise ManifestError(f"no assignments found in {', '.join(map(str, dirs))}")
    manifests = [load_assignment(find_assignment(i, dirs)) for i in ids]
    chosen = select(visible_checks(manifests), only)
    options = GradeOptions(assignments=ids, seed=seed, isolation=isolation, oracle="python",
                           assignment_dirs=dirs, only=tuple(chosen), progress=progress)
    report = for_audience(grade(directory, options), "student")
    if note:
        report.messages.insert(0, note)
    return report
