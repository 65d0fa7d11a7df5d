"""Notebook assignments: the generated source notebooks, `mgrade grade hw.ipynb`, and the
in-notebook self-check. The nbgrader round trip itself is in test_nbgrader.py."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner

from autograder.cli import main
from autograder.loader import SubmissionError, load_submission
from autograder.manifest import load_assignment
from autograder.notebooks.build import check_notebooks, generate_notebooks, notebook_path
from autograder.notebooks.extract import ENGINE_FILE, NN_FILE, history_code
from autograder.notebooks.selfcheck import run_selfcheck, selfcheck
from autograder.ops import OPS

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "reference" / "micrograd"
ASSIGNMENTS = ROOT / "assignments"
TANH_BACKWARD = "self.grad += (1 - out.data * out.data) * out.grad"


def source_notebook(assignment_id: str = "ops"):
    return nbformat.read(notebook_path(ASSIGNMENTS, assignment_id), as_version=4)


def write(notebook, path: Path) -> Path:
    nbformat.write(notebook, path)
    return path


def staged_engine(tmp_path: Path, notebook_file: Path) -> str:
    staged = load_submission(notebook_file, tmp_path / "stage")
    assert staged.engine_module == "micrograd.engine"
    return (staged.root / ENGINE_FILE).read_text()


def hostile_cells(marker: Path) -> list:
    """Cells a student might add: magics, shell escapes and top-level code that must not run."""
    v4 = nbformat.v4
    return [
        v4.new_code_cell("%matplotlib inline\nimport math"),
        v4.new_code_cell(f"!touch {marker}\nfiles = !ls"),
        v4.new_code_cell(f"%%bash\ntouch {marker}"),
        v4.new_code_cell(f"open({str(marker)!r}, 'w').write('ran')\nValue?"),
        v4.new_code_cell(f"leak = open({str(marker)!r}, 'w')"),
    ]


# ---- the generated source notebooks ------------------------------------------------------------


@pytest.mark.parametrize("assignment_id", ["ops", "backprop", "mlp"])
def test_source_notebook_is_valid_nbgrader_and_agrees_with_the_manifest(assignment_id: str):
    notebook = source_notebook(assignment_id)
    nbformat.validate(notebook)
    assert notebook.nbformat == 4
    metas = [c.metadata["nbgrader"] for c in notebook.cells if "nbgrader" in c.metadata]
    ids = [m["grade_id"] for m in metas]
    assert len(ids) == len(set(ids)), "grade_ids must be unique"
    assert all(m["schema_version"] == 3 for m in metas)
    manifest = load_assignment(ASSIGNMENTS / assignment_id / "assignment.toml")
    points = {check.id: check.points for check in manifest.checks}
    graded = {m["grade_id"]: m["points"] for m in metas if m["grade"]}
    assert graded == {"test_" + cid.replace(".", "_"): p for cid, p in points.items()}
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade"):
            assert "### BEGIN HIDDEN TESTS" in cell.source and "official=True" in cell.source
    solutions = {m["grade_id"] for m in metas if m["solution"]}
    assert "engine" in solutions
    assert ("nn" in solutions) == (assignment_id == "mlp")
    assert any("draw_dot(y)" in c.source for c in notebook.cells if c.cell_type == "code")


def test_solution_cells_are_the_reference_injected_by_release():
    notebook = source_notebook("mlp")
    cells = {c.metadata["nbgrader"]["grade_id"]: c.source for c in notebook.cells
             if c.metadata.get("nbgrader", {}).get("solution")}
    assert cells["engine"] == (REFERENCE / "engine.py").read_text().rstrip("\n")
    nn = (REFERENCE / "nn.py").read_text().replace("from .engine import Value\n", "")
    assert cells["nn"] == nn.rstrip("\n")
    assert "### BEGIN SOLUTION" in cells["engine"] and TANH_BACKWARD in cells["engine"]


def test_ops_notebook_teaches_every_op_with_its_derivative():
    cells = source_notebook("ops").cells
    markdown = "\n".join(c.source for c in cells if c.cell_type == "markdown")
    for op in OPS:
        assert f"${op.tex[1]}$" in markdown, op.name
    assert r"1 - \tanh^2 a" in markdown


def test_release_check_covers_the_notebooks(tmp_path: Path):
    assert check_notebooks(REFERENCE, ASSIGNMENTS) == []
    assignments = tmp_path / "assignments"
    shutil.copytree(ASSIGNMENTS, assignments)
    edited = notebook_path(assignments, "ops")
    edited.write_text(edited.read_text().replace(TANH_BACKWARD, "pass  # pasted by hand"))
    notebook_path(assignments, "mlp").unlink()
    assert check_notebooks(REFERENCE, assignments) == [
        "assignments/mlp/source/mlp.ipynb is missing (run `mgrade release`)",
        "assignments/ops/source/ops.ipynb differs from a fresh generation (run `mgrade release`)",
    ]
    generated = generate_notebooks(REFERENCE, assignments)
    assert set(generated) == {notebook_path(assignments, i) for i in ("ops", "backprop", "mlp")}


def test_importing_autograder_stays_light_and_exports_selfcheck():
    code = ("import sys, autograder; assert 'nbformat' not in sys.modules; "
            "assert 'autograder.notebooks' not in sys.modules; "
            "from autograder import selfcheck; print(selfcheck.__name__, callable(selfcheck))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "selfcheck True"


# ---- extracting a submitted notebook ------------------------------------------------------------


def test_graded_code_is_the_solution_cells_without_tests_magics_or_top_level_calls(tmp_path: Path):
    marker = tmp_path / "ran"
    notebook = source_notebook("ops")
    notebook.cells.extend(hostile_cells(marker))
    engine = staged_engine(tmp_path, write(notebook, tmp_path / "hw.ipynb"))
    compile(engine, ENGINE_FILE, "exec")
    assert "math.tanh(self.data)" in engine
    assert "check(" not in engine and "selfcheck" not in engine and "def draw_dot" not in engine
    assert str(marker) not in engine and "get_ipython" not in engine
    assert "import math" in engine


def test_a_folder_holding_one_notebook_and_no_engine_is_that_notebook(tmp_path: Path):
    folder = tmp_path / "submitted" / "alice" / "ops"  # nbgrader's layout, as grade-all sees it
    folder.mkdir(parents=True)
    shutil.copy(notebook_path(ASSIGNMENTS, "ops"), folder / "ops.ipynb")
    (folder / "timestamp.txt").write_text("2026-12-01 12:00:00")
    staged = load_submission(folder, tmp_path / "stage")
    assert "math.tanh(self.data)" in (staged.root / ENGINE_FILE).read_text()
    assert staged.notes[0] == "graded the notebook ops.ipynb (the folder has no engine.py)"


def test_without_nbgrader_metadata_every_code_cell_counts_but_tests_still_never_run(tmp_path):
    notebook = source_notebook("mlp")
    for cell in notebook.cells:
        cell.metadata.pop("nbgrader", None)
    staged = load_submission(write(notebook, tmp_path / "hw.ipynb"), tmp_path / "stage")
    engine = (staged.root / ENGINE_FILE).read_text()
    assert "class MLP" in engine and "def draw_dot" in engine
    assert "check(" not in engine and "autograder" not in engine.replace("# ----", "")
    assert staged.nn_module == "micrograd.nn" and (staged.root / NN_FILE).is_file()


@pytest.mark.parametrize("content, expected", [
    (b'{"cells": [', "the JSON is broken or truncated"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "not UTF-8 text"),
    (b"[1, 2, 3]", "not a Jupyter notebook"),
    (b'{"cells": [{"cell_type": "code", "source": 5}], "nbformat": 4, "nbformat_minor": 5,'
     b' "metadata": {}}', "not a valid notebook"),
    (b"", "the JSON is broken or truncated"),
])
def test_broken_notebooks_are_refused_naming_the_file(tmp_path: Path, content, expected):
    bad = tmp_path / "hw.ipynb"
    bad.write_bytes(content)
    with pytest.raises(SubmissionError) as info:
        load_submission(bad, tmp_path / "stage")
    assert str(info.value).startswith(f"{bad}: ") and expected in str(info.value)


def test_a_truncated_real_notebook_is_refused(tmp_path: Path):
    text = notebook_path(ASSIGNMENTS, "ops").read_bytes()
    bad = tmp_path / "hw.ipynb"
    bad.write_bytes(text[: len(text) // 2])
    with pytest.raises(SubmissionError, match="broken or truncated"):
        load_submission(bad, tmp_path / "stage")


def test_kernel_history_keeps_definitions_of_the_last_run_and_skips_broken_inputs():
    history = ["", "class Value:\n    x = 1", "class Value(:", "get_ipython().system('ls')",
               "class Value:\n    x = 2", "v = Value()\nv.x"]
    engine = history_code(history).files[ENGINE_FILE]
    compile(engine, ENGINE_FILE, "exec")
    namespace: dict = {}
    exec(engine, namespace)
    assert namespace["Value"].x == 2 and "v" not in namespace


# ---- grading notebooks (slow: each grade runs the sandboxed worker) -----------------------------


def _cli_grade(submission: Path, out: Path, *extra: str):
    result = CliRunner().invoke(main, ["grade", str(submission), "-a", "ops", "--oracle", "python",
                                       "--json", str(out), "-q", *extra])
    assert result.exit_code == 0, result.output
    return json.loads(out.read_text())


@pytest.mark.slow
def test_notebook_grades_like_a_folder_whatever_its_test_cells_say(tmp_path: Path):
    marker = tmp_path / "ran"
    folder = _cli_grade(REFERENCE.parent, tmp_path / "folder.json")
    assert folder["score"] == 38

    tampered = source_notebook("ops")
    for cell in tampered.cells:  # every test now "passes", or is gone
        if cell.metadata.get("nbgrader", {}).get("grade"):
            cell.source = f"open({str(marker)!r}, 'w').write('ran')\nassert True"
    tampered.cells = [c for c in tampered.cells if "engine_tanh" not in
                      c.metadata.get("nbgrader", {}).get("grade_id", "")]
    engine_cell = next(c for c in tampered.cells if c.metadata.get("nbgrader", {}).get("solution"))
    engine_cell.source = engine_cell.source.replace(TANH_BACKWARD, "self.grad += out.grad")
    tampered.cells.extend(hostile_cells(marker))
    stripped = copy.deepcopy(tampered)
    for cell in stripped.cells:
        cell.metadata.pop("nbgrader", None)

    for name, notebook in [("tampered", tampered), ("stripped", stripped)]:
        report = _cli_grade(write(notebook, tmp_path / f"{name}.ipynb"), tmp_path / f"{name}.json")
        failed = [t["name"] for t in report["tests"] if t["score"] < t["max_score"]]
        assert failed == ["engine.tanh.backward"], (name, failed)
        assert report["score"] == 36
    assert not marker.exists(), "a test cell, magic or top-level call of the notebook ran"


@pytest.mark.slow
def test_a_corrupt_notebook_still_gets_a_results_file(tmp_path: Path):
    bad = tmp_path / "hw.ipynb"
    bad.write_text('{"cells": [{"cell_type": "code", "sou')
    report = _cli_grade(bad, tmp_path / "results.json")
    assert report["score"] == 0
    assert f"{bad}: not a valid notebook" in report["output"]


@pytest.mark.slow
def test_selfcheck_runs_the_public_checks_on_the_kernel_history(tmp_path: Path):
    engine = (REFERENCE / "engine.py").read_text().replace(TANH_BACKWARD, "self.grad += out.grad")
    script = (
        "import __main__, json\n"
        f"__main__.In = ['', {engine!r}, 'x = Value(1.0).tanh()']\n"
        "from autograder import selfcheck\n"
        "report = selfcheck('engine.tanh')\n"
        "print(json.dumps({r.check_id: r.passed for r in report.results}))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True, cwd=tmp_path)
    verdicts = json.loads(out.stdout.strip().splitlines()[-1])
    assert verdicts == {"engine.tanh.forward": True, "engine.tanh.backward": False}
    assert "engine.add" not in out.stdout and "Reproduce with:" in out.stdout

    # The same code as a folder, through the function `mgrade check` uses: same verdicts.
    package = tmp_path / "sub" / "micrograd"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "engine.py").write_text(engine)
    folder = run_selfcheck(package.parent, "engine.tanh")
    assert {r.check_id: r.passed for r in folder.results} == verdicts
    given = selfcheck("engine.tanh", source=engine, show=False)
    assert {r.check_id: r.passed for r in given.results} == verdicts
