"""The `mgrade` command line as instructors script it: exit codes, report files, listings.

Exit codes are a contract CI files and Gradescope scripts rely on: 0 whenever grading completed
(whatever the score), 1 when `--fail-under` is missed, 2 for usage errors. Every test runs the
real entry point in a subprocess (`python -m autograder`), from a folder outside the repository.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from util import REPO


@pytest.fixture(scope="module")
def missing_rsub(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The missing_rsub example, built from the current reference (see autograder/demo.py)."""
    from autograder.demo import discover, materialize

    example = next(e for e in discover() if e.name == "missing_rsub")
    return materialize(example, tmp_path_factory.mktemp("examples"))

OP_NAMES = ("add", "mul", "pow", "neg", "sub", "truediv", "radd", "rsub", "rmul", "rtruediv",
            "relu", "tanh", "exp", "log", "sigmoid")
BACKWARD_IDS = {f"engine.backward.{name}" for name in
                ("seed", "order", "accumulation", "graphs", "deep")}
ENGINE_IDS = {f"engine.{op}.{part}" for op in OP_NAMES for part in ("forward", "backward")} \
    | BACKWARD_IDS
# missing_rsub loses the 2 points of rsub on the ops assignment: 36 of 38, 94.7 %
MISSING_RSUB_OPS_PERCENT = 100 * 36 / 38


def mgrade(*args: str | Path, cwd: Path, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autograder", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, cwd=cwd,
                          env={**os.environ, "COLUMNS": "1000"})


def small_ops_manifest(target: Path) -> Path:
    """The real ops manifest with a smaller example budget: same checks and points, faster."""
    text = (REPO / "assignments" / "ops" / "assignment.toml").read_text(encoding="utf-8")
    (target / "ops").mkdir(parents=True)
    (target / "ops" / "assignment.toml").write_text(
        re.sub(r"(?m)^max_examples = \d+", "max_examples = 8", text), encoding="utf-8")
    return target


@pytest.fixture(scope="module")
def assignments(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return small_ops_manifest(tmp_path_factory.mktemp("assignments"))


@pytest.fixture(scope="module")
def graded_with_every_report(tmp_path_factory: pytest.TempPathFactory, assignments: Path,
                             missing_rsub: Path,
                             ) -> tuple[subprocess.CompletedProcess, Path]:
    out = tmp_path_factory.mktemp("reports")
    run = mgrade("grade", missing_rsub, "--assignment", "ops",
                 "--assignments-dir", assignments, "--json", out / "results.json",
                 "--junit", out / "junit.xml", "--md", out / "summary.md",
                 "--html", out / "report.html", cwd=out)
    return run, out


# ---- help and listings --------------------------------------------------------------------------


def test_module_help_lists_the_commands(tmp_path: Path) -> None:
    run = mgrade("--help", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    for command in ("grade", "release", "demo", "checks"):
        assert command in run.stdout
    grade_help = mgrade("grade", "--help", cwd=tmp_path)
    assert grade_help.returncode == 0
    for option in ("--json", "--junit", "--md", "--seed", "--fail-under", "--assignment"):
        assert option in grade_help.stdout


def test_checks_lists_every_engine_id_once(tmp_path: Path) -> None:
    """Two checks per op of the table, plus the backward() checks, each listed once."""
    run = mgrade("checks", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    ids = [line.split()[0] for line in run.stdout.splitlines() if line.strip()]
    engine = [i for i in ids if i.startswith("engine.")]
    assert len(engine) == len(set(engine)), "an id is listed twice"
    assert set(engine) == ENGINE_IDS


def test_release_check_passes_on_the_repository(tmp_path: Path) -> None:
    """The committed students_template/ is exactly what `mgrade release` generates."""
    run = mgrade("release", "--check", cwd=tmp_path)
    assert run.returncode == 0, run.stderr


# ---- grade: reports and exit codes --------------------------------------------------------------


@pytest.mark.slow
def test_grade_writes_every_report_and_exits_0(
        graded_with_every_report: tuple[subprocess.CompletedProcess, Path]) -> None:
    run, out = graded_with_every_report
    assert run.returncode == 0, run.stderr
    assert "engine.rsub.forward" in run.stdout and "__rsub__" in run.stdout

    data = json.loads((out / "results.json").read_text(encoding="utf-8"))
    for key in ("score", "execution_time", "output", "visibility", "stdout_visibility",
                "extra_data", "tests"):
        assert key in data, key
    assert data["score"] == 36
    assert data["extra_data"]["assignments"] == ["ops"]
    assert isinstance(data["extra_data"]["seed"], int)
    names = [t["name"] for t in data["tests"]]
    assert len(names) == 30 and set(names) == {i for i in ENGINE_IDS if i not in BACKWARD_IDS}
    for test in data["tests"]:
        assert {"name", "number", "score", "max_score", "status", "output", "visibility",
                "tags"} <= test.keys()
    failed = {t["name"] for t in data["tests"] if t["status"] == "failed"}
    assert failed == {"engine.rsub.forward", "engine.rsub.backward"}

    cases = ET.parse(out / "junit.xml").getroot().iter("testcase")
    junit = {case.get("name"): case.find("failure") is not None for case in cases}
    assert len(junit) == 30
    assert {name for name, failing in junit.items() if failing} == failed

    summary = (out / "summary.md").read_text(encoding="utf-8")
    assert "engine.rsub.forward" in summary and "36" in summary
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "<html" in html.lower() and "engine.rsub.forward" in html


@pytest.mark.slow
def test_grade_exits_0_for_a_score_of_zero(tmp_path: Path, assignments: Path) -> None:
    """A template that implements nothing is graded; the score, not the exit code, says so."""
    template = tmp_path / "template"
    release = mgrade("release", "--template", template, cwd=tmp_path)
    assert release.returncode == 0, release.stderr
    run = mgrade("grade", template, "--assignments-dir", assignments, "--json",
                 tmp_path / "results.json", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert json.loads((tmp_path / "results.json").read_text())["score"] == 0


@pytest.mark.slow
@pytest.mark.parametrize(("fail_under", "code"), [
    (MISSING_RSUB_OPS_PERCENT - 0.5, 0),
    (MISSING_RSUB_OPS_PERCENT + 0.5, 1),
])
def test_fail_under_turns_a_low_score_into_exit_1(fail_under: float, code: int, tmp_path: Path,
                                                  missing_rsub: Path,
                                                  assignments: Path) -> None:
    run = mgrade("grade", missing_rsub, "--assignments-dir", assignments,
                 "--fail-under", f"{fail_under:.2f}", "--quiet", "--json",
                 tmp_path / "results.json", cwd=tmp_path)
    assert run.returncode == code, run.stdout + run.stderr
    assert "36/38" in run.stdout
    assert (tmp_path / "results.json").is_file()  # written whatever the exit code


@pytest.mark.parametrize(("args", "message"), [
    (["--seed", "twelve"], "'twelve' is not a valid integer"),
    (["--fail-under", "150"], "150"),
    (["--isolation", "chroot"], "chroot"),
    (["--frobnicate"], "No such option"),
])
def test_bad_options_are_usage_errors(args: list[str], message: str, tmp_path: Path,
                                     missing_rsub: Path) -> None:
    run = mgrade("grade", missing_rsub, *args, cwd=tmp_path)
    assert run.returncode == 2, run.stdout + run.stderr
    assert message in run.stderr
    assert "Usage:" in run.stderr


def test_missing_submission_argument_is_a_usage_error(tmp_path: Path) -> None:
    run = mgrade("grade", cwd=tmp_path)
    assert run.returncode == 2
    assert "SUBMISSION" in run.stderr


def test_unknown_assignment_is_a_usage_error_with_a_results_file(tmp_path: Path,
                                                                missing_rsub: Path) -> None:
    results = tmp_path / "results.json"
    run = mgrade("grade", missing_rsub, "--assignment", "opz", "--json", results,
                 cwd=tmp_path)
    assert run.returncode == 2, run.stdout + run.stderr
    assert "no assignment 'opz'" in run.stderr
    assert "did you mean ops" in run.stderr
    data = json.loads(results.read_text(encoding="utf-8"))
    assert data["score"] == 0
    assert "no assignment 'opz'" in data["output"]
