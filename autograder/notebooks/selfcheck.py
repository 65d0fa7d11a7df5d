"""Check a notebook's own engine from inside the notebook: `selfcheck("engine.tanh")`.

The notebook's code is what its kernel ran (IPython's input history, `In`), turned into a module by
the same rules `mgrade grade notebook.ipynb` uses (autograder.notebooks.extract), written to a
temporary `micrograd/` folder and graded like any folder: in the sandboxed worker, with the
pure-Python oracle, the public seed and only the checks students may see: the grading itself is
`autograder.kitcheck.run_selfcheck`, the code path of `mgrade check`.

A notebook's code can also be given explicitly: `selfcheck("engine.tanh", source=code_string)`, or
a path to a folder or a notebook file.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

CACHE_NAME = "__mgrade_results__"  # where a kernel keeps reports of code it already graded


def selfcheck(only: str | None = None, *, source: str | Path | None = None,
              assignments: Sequence[str] | None = None, show: bool = True):
    """Run the public checks named by `only` (a check id or a prefix such as "engine.tanh"; None:
    all of them) on this notebook's code, print the same feedback as `mgrade check`, and return
    the report."""
    from autograder.reporters import render_text

    report = grade_notebook_code(source, only=only, assignments=assignments)
    if show:
        render_text(report)
    return report


def run_selfcheck(directory: Path, only: str | None = None,
                  assignments: Sequence[str] | None = None, *, official: bool = False):
    """Grade `directory` as `mgrade check` does (`autograder.kitcheck.run_selfcheck`), or with
    `official=True` as `mgrade grade` does (its oracle, every check), keeping the checks that
    match `only`. Manifests are found from the kernel's folder, as `mgrade check` finds them."""
    from autograder.grading import GradeOptions, grade
    from autograder.kitcheck import run_selfcheck as student_selfcheck
    from autograder.kitcheck import selfcheck_dirs

    dirs, _ = selfcheck_dirs(Path.cwd())
    ids = list(assignments) if assignments else assignments_for(only, dirs)
    if not official:
        return student_selfcheck(directory, only=(only,) if only else (), assignments=ids,
                                 assignment_dirs=dirs)
    # The official grade honours the course's secret seed, as `mgrade grade` does.
    seed = os.environ.get("MGRADE_SEED")
    report = grade(directory, GradeOptions(assignments=ids, oracle="auto", assignment_dirs=dirs,
                                           seed=int(seed) if seed else None))
    return replace(report, results=[r for r in report.results if matches(r.check_id, only)])


def grade_notebook_code(source: str | Path | None = None, *, only: str | None = None,
                        assignments: Sequence[str] | None = None, official: bool = False):
    """Grade the notebook's code (see `notebook_code`); a kernel grades each version only once."""
    from autograder.kitcheck import selfcheck_dirs

    files = notebook_files(source)
    ids = list(assignments) if assignments else assignments_for(only, selfcheck_dirs(Path.cwd())[0])
    key = _key(files, ids, official)
    from autograder.model import STUDENT_VISIBLE

    cache = _kernel_cache()
    official_key = key if official else _key(files, ids, True)
    if not official and official_key in cache:
        # The official grade of this code already ran here (nbgrader's hidden tests): its
        # verdicts on visible checks are the public check's, so they are not computed twice.
        report = cache[official_key]
        results = [r for r in report.results if r.visibility in STUDENT_VISIBLE]
        return replace(report, results=[r for r in results if matches(r.check_id, only)])
    if key not in cache:
        workdir = Path(tempfile.mkdtemp(prefix="mgrade-notebook-"))
        try:
            for rel, text in files.items():
                target = workdir / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
            cache[key] = run_selfcheck(workdir, None, ids, official=official)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    report = cache[key]
    return replace(report, results=[r for r in report.results if matches(r.check_id, only)])


def notebook_files(source: str | Path | None = None) -> dict[str, str]:
    """The files to grade: from the running kernel's history, a code string, or a path."""
    from autograder.notebooks.extract import (
        build_module,
        history_code,
        notebook_code,
        read_notebook,
    )

    if source is None:
        history = getattr(sys.modules.get("__main__"), "In", None)
        if not isinstance(history, list):
            raise RuntimeError(
                "selfcheck() finds your code in the notebook's input history, and there is none "
                "here (not running in Jupyter?); pass it: selfcheck(..., source=code_or_path)"
            )
        return history_code(history).files
    if isinstance(source, Path):
        if source.is_dir():
            return {p.relative_to(source).as_posix(): p.read_text(encoding="utf-8")
                    for p in sorted(source.rglob("*.py")) if "__pycache__" not in p.parts}
        return notebook_code(read_notebook(source.read_bytes(), str(source)), str(source)).files
    return build_module([("source", source)]).files


def assignments_for(only: str | None, dirs: Sequence[Path]) -> list[str]:
    """The assignments in `dirs` that grade a check matching `only` (all of them for None)."""
    from autograder.checks import catalogue
    from autograder.manifest import available_assignments, load_assignment
    from autograder.manifest import find_assignment as find

    ids = []
    for assignment_id in available_assignments(dirs):
        assignment = load_assignment(find(assignment_id, dirs), catalogue().keys())
        if any(matches(spec.id, only) for spec in assignment.checks):
            ids.append(assignment_id)
    if not ids:
        raise ValueError(f"no assignment has a check named {only!r} (see `mgrade checks`)")
    return ids


def matches(check_id: str, only: str | None) -> bool:
    """`only` names the check itself or a prefix ending at a dot: "engine.tanh" matches
    "engine.tanh.backward", not "engine.tanhx"."""
    return only is None or check_id == only or check_id.startswith(only.rstrip(".") + ".")


def _key(files: dict[str, str], ids: list[str], official: bool) -> str:
    return hashlib.sha256(repr((sorted(files.items()), ids, official)).encode()).hexdigest()


def _kernel_cache() -> dict:
    """Reports already computed in this kernel, kept in the notebook's own namespace."""
    main = sys.modules.get("__main__")
    namespace = getattr(main, "__dict__", None)
    if not isinstance(namespace, dict):
        return {}
    cache = namespace.setdefault(CACHE_NAME, {})
    return cache if isinstance(cache, dict) else {}
