"""Generate each assignment's nbgrader source notebook: `assignments/<id>/source/<id>.ipynb`.

`mgrade release` writes them and `mgrade release --check` compares them with a fresh generation,
like the students' template. A notebook is assembled from three sources, none copied by hand:

- the reference (`reference/micrograd/*.py`): each file the assignment needs becomes one solution
  cell, its `### BEGIN SOLUTION` regions intact for nbgrader to strip; `viz.py` becomes a
  read-only cell so the notebook can draw its graphs;
- the manifest: one autograded test cell per check, worth the manifest's points, calling the
  grader's own check (`autograder.notebooks.testcell.check`); the official run sits between
  `### BEGIN HIDDEN TESTS` / `### END HIDDEN TESTS`;
- the teaching text (autograder.notebooks.text).
"""

from __future__ import annotations

import re
from pathlib import Path

from autograder.notebooks import text

SCHEMA_VERSION = 3
# Which reference files each assignment's notebook asks students to write, in order.
NOTEBOOK_FILES: dict[str, tuple[str, ...]] = {
    "ops": ("engine.py",),
    "backprop": ("engine.py",),
    "mlp": ("engine.py", "nn.py"),
}
_PACKAGE_IMPORT = re.compile(r"^from (\.|micrograd\.)engine import [^\n]*\n", re.MULTILINE)


def notebook_path(assignments_dir: Path, assignment_id: str) -> Path:
    return assignments_dir / assignment_id / "source" / f"{assignment_id}.ipynb"


def generate_notebooks(reference_dir: Path, assignments_dir: Path) -> dict[Path, str]:
    """Every source notebook, in memory: path -> JSON text (deterministic)."""
    from autograder.checks import catalogue
    from autograder.manifest import MANIFEST_NAME, load_assignment

    known = catalogue()
    notebooks: dict[Path, str] = {}
    for assignment_id, files in NOTEBOOK_FILES.items():
        manifest = assignments_dir / assignment_id / MANIFEST_NAME
        if manifest.is_file():
            assignment = load_assignment(manifest, known.keys())
            titles = {spec.id: spec.title or known[spec.id].title for spec in assignment.checks}
            notebooks[notebook_path(assignments_dir, assignment_id)] = _notebook(
                reference_dir, assignment, files, titles)
    return notebooks


def write_notebooks(reference_dir: Path, assignments_dir: Path) -> list[Path]:
    written = []
    for path, content in sorted(generate_notebooks(reference_dir, assignments_dir).items()):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8", newline="\n")
        written.append(path)
    return written


def check_notebooks(reference_dir: Path, assignments_dir: Path) -> list[str]:
    """One line per notebook that differs from a fresh generation (empty: no drift)."""
    problems = []
    for path, expected in sorted(generate_notebooks(reference_dir, assignments_dir).items()):
        shown = path.relative_to(assignments_dir.parent).as_posix()
        if not path.is_file():
            problems.append(f"{shown} is missing (run `mgrade release`)")
        elif path.read_text(encoding="utf-8", errors="replace") != expected:
            problems.append(f"{shown} differs from a fresh generation (run `mgrade release`)")
    return problems


def _notebook(reference_dir: Path, assignment, files: tuple[str, ...],
              titles: dict[str, str]) -> str:
    import nbformat
    from nbformat import v4

    shown = [f"micrograd/{name}" for name in files]
    cells = [v4.new_markdown_cell(text.intro(assignment.title, assignment.id, shown))]
    if any(spec.id.startswith("nn.") for spec in assignment.checks):
        cells.append(v4.new_markdown_cell("## What to build" + text.NETWORK))
    elif any(spec.id.startswith("engine.backward.") for spec in assignment.checks):
        cells.append(v4.new_markdown_cell("## What to build" + text.BACKPROP))
    else:
        names = list(dict.fromkeys(spec.id.split(".")[1] for spec in assignment.checks))
        cells.append(v4.new_markdown_cell(
            "## What to build" + text.CHAIN_RULE + "\n\n" + text.ops_table(names)))
    for name in files:
        source = (reference_dir / name).read_text(encoding="utf-8")
        source = _PACKAGE_IMPORT.sub("", source)  # the notebook is one namespace
        cells.append(v4.new_markdown_cell(f"## `micrograd/{name}`"))
        cells.append(_cell(source.rstrip("\n"), name.removesuffix(".py"), solution=True))
    cells.append(v4.new_markdown_cell(text.SELFCHECK))
    cells.append(v4.new_code_cell(
        "from autograder import selfcheck\n\n"
        f"selfcheck(assignments=[{assignment.id!r}])  # or one op: selfcheck(\"engine.tanh\")"))
    viz = (reference_dir / "viz.py").read_text(encoding="utf-8").rstrip("\n")
    cells.append(v4.new_markdown_cell(text.VISUAL))
    cells.append(_cell(viz, "viz", locked=True))
    cells.append(v4.new_code_cell(
        "a, b = Value(2.0), Value(-3.0)\n"
        "y = (a * b + 1).tanh()\n"
        "y.backward()\n"
        "draw_dot(y)"))
    cells.append(v4.new_markdown_cell(text.TESTS))
    for spec in assignment.checks:
        cells.append(_cell(_test_source(spec, titles[spec.id]), "test_" + spec.id.replace(".", "_"),
                           points=spec.points))
    for index, cell in enumerate(cells):
        cell["id"] = f"{assignment.id}-{index:03d}"
    notebook = v4.new_notebook(cells=cells, metadata={
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    })
    return nbformat.writes(notebook) + "\n"


def _cell(source: str, grade_id: str, *, solution: bool = False, locked: bool = False,
          points: float | None = None):
    from nbformat import v4

    graded = points is not None
    meta = {"grade": graded, "grade_id": grade_id, "locked": locked or graded,
            "schema_version": SCHEMA_VERSION, "solution": solution, "task": False}
    if points is not None:
        meta["points"] = int(points) if float(points).is_integer() else points
    return v4.new_code_cell(source, metadata={"nbgrader": meta})


def _test_source(spec, title: str) -> str:
    points = int(spec.points) if float(spec.points).is_integer() else spec.points
    head = (f"# {spec.id}: {title} ({points} point{'s' if points != 1 else ''})\n"
            "from autograder.notebooks.testcell import check\n\n")
    official = f'check("{spec.id}", official=True)'
    if spec.visibility == "visible":
        # The official run comes first: the public check then reuses its report.
        return (f"{head}### BEGIN HIDDEN TESTS\n{official}\n### END HIDDEN TESTS\n"
                f'check("{spec.id}")')
    # Withheld until the due date: the student's copy has no test to run, and says so by failing.
    return (f"{head}graded = False\n"
            f"### BEGIN HIDDEN TESTS\n{official}\ngraded = True\n### END HIDDEN TESTS\n"
            'assert graded, "this check is graded after the due date; its examples are withheld"')
