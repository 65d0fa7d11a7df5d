"""`mgrade ci-template`: the workflows, read back with a YAML parser the way Actions reads them,
and the student-audience grade they run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from batch_support import REPO, small_manifests

from autograder.pins import CPU_INDEX, pinned_torch

EXAMPLES = REPO / "examples" / "github-actions"


def ci_template(*args: str, out: Path) -> str:
    done = subprocess.run([sys.executable, "-m", "autograder", "ci-template", *args, "--out",
                           str(out)], capture_output=True, text=True, cwd=out, timeout=120)
    assert done.returncode == 0, done.stderr
    name = "grade-class.yml" if "--instructor" in args else "grade.yml"
    return (out / ".github" / "workflows" / name).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    texts = {}
    for kind, args in {"student": (), "classroom": ("--classroom",),
                       "instructor": ("--instructor",)}.items():
        texts[kind] = ci_template(*args, out=tmp_path_factory.mktemp(kind))
    return texts


def job(text: str) -> tuple[dict, dict]:
    workflow = yaml.safe_load(text)
    (only,) = workflow["jobs"].values()
    return workflow, only


def runs(steps: list[dict]) -> str:
    return "\n".join(step.get("run", "") for step in steps)


def check_setup(steps: list[dict]) -> None:
    script = runs(steps)
    assert script.index("sudo apt-get update") < script.index("apt-get install")
    assert f"pip install --index-url {CPU_INDEX} torch=={pinned_torch()}" in script
    python = next(s for s in steps if s.get("uses", "").startswith("actions/setup-python@"))
    assert python["with"]["cache"] == "pip" and python["with"]["cache-dependency-path"]


def test_student_workflow(written: dict[str, str]) -> None:
    workflow, grade = job(written["student"])
    assert set(workflow["on"]) >= {"push"}
    assert workflow["permissions"]["checks"] == "write"
    steps = grade["steps"]
    check_setup(steps)
    script = runs(steps)
    assert 'pip install "mgrade==0.1.0"' in script  # the pinned grader, not the student's files
    assert "--assignments-dir" not in script and "pip install ." not in script
    assert "pip install -e" not in script
    grading = next(s for s in steps if s.get("id") == "grade")["run"]
    assert grading.startswith("mgrade grade . ") and "--audience student" in grading
    assert "--json results.json" in grading and "--junit junit.xml" in grading
    assert '>> "$GITHUB_STEP_SUMMARY"' in script
    junit = next(s for s in steps if s.get("uses", "").startswith("mikepenz/action-junit-report"))
    assert junit["with"]["report_paths"] == "junit.xml" and junit["if"] == "always()"
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact@"))
    assert "results.json" in upload["with"]["path"]


def test_classroom_workflow_reports_points_per_assignment(written: dict[str, str]) -> None:
    from autograder.manifest import default_assignment_dirs, find_assignment, load_assignment

    workflow, grade = job(written["classroom"])
    assert workflow["name"] == "Autograding Tests"
    assert list(workflow["jobs"]) == ["run-autograding-tests"]
    assert grade["if"] == "github.actor != 'github-classroom[bot]'"
    steps = grade["steps"]
    check_setup(steps)
    graders = [s for s in steps
               if s.get("uses") == "classroom-resources/autograding-command-grader@v1"]
    assert [g["with"]["test-name"] for g in graders] == ["backprop", "mlp", "ops"]
    for step in graders:
        assignment = load_assignment(find_assignment(step["with"]["test-name"],
                                                     default_assignment_dirs()))
        visible = sum(c.points for c in assignment.checks if c.visibility == "visible")
        assert step["with"]["max-score"] == visible > 0
        assert f"-a {assignment.id} --fail-under 100" in step["with"]["command"]
    reporter = steps[-1]
    assert reporter["uses"] == "classroom-resources/autograding-grading-reporter@v1"
    assert reporter["with"]["runners"] == "backprop,mlp,ops"
    assert reporter["env"] == {f"{g['id'].upper()}_RESULTS":
                               f"${{{{ steps.{g['id']}.outputs.result }}}}" for g in graders}


def test_instructor_workflow_batch_grades_with_the_secret_seed(written: dict[str, str]) -> None:
    workflow, grade = job(written["instructor"])
    assert set(workflow["on"]) == {"workflow_dispatch"}
    steps = grade["steps"]
    check_setup(steps)
    grading = next(s for s in steps if s.get("id") == "grade")
    assert grading["env"]["MGRADE_SEED"] == "${{ secrets.MGRADE_SEED }}"
    assert 'mgrade grade-all "$SUBMISSIONS" --out graded' in grading["run"]
    upload = steps[-1]
    assert upload["uses"].startswith("actions/upload-artifact@") and upload["if"] == "always()"
    assert upload["with"]["path"] == "graded/"


def test_examples_are_what_the_command_writes(written: dict[str, str]) -> None:
    for kind, name in {"student": "grade.yml", "classroom": "classroom.yml",
                       "instructor": "grade-class.yml"}.items():
        assert (EXAMPLES / name).read_text(encoding="utf-8") == written[kind], \
            f"examples/github-actions/{name} is stale: regenerate it with mgrade ci-template"


# ---- the student-audience grade -----------------------------------------------------------------


def test_the_workflows_grade_command_leaves_withheld_checks_out(tmp_path: Path,
                                                                 written: dict[str, str]) -> None:
    """Run the student workflow's own grade command (as `python -m autograder`)."""
    manifests = small_manifests(tmp_path / "assignments", ("backprop",), examples=4)
    repo = tmp_path / "repo"
    shutil.copytree(REPO / "reference" / "micrograd", repo / "micrograd",
                    ignore=shutil.ignore_patterns("__pycache__"))
    withheld = "engine.backward.graphs"  # after_due_date in the manifest
    assert 'visibility = "after_due_date"' in (manifests / "backprop" /
                                               "assignment.toml").read_text()
    _, grade = job(written["student"])
    command = next(s for s in grade["steps"] if s.get("id") == "grade")["run"].split()
    assert command[:2] == ["mgrade", "grade"]
    command = [a for a in command[2:] if a not in ("-a", "backprop", "mlp", "ops")]
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", *command, "-a",
                           "backprop"], cwd=repo, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "MGRADE_ASSIGNMENTS": str(manifests),
                               "COLUMNS": "200"})
    assert done.returncode == 0, done.stderr
    for name in ("results.json", "junit.xml", "summary.md"):
        assert withheld not in (repo / name).read_text(), name
    assert withheld not in done.stdout
    data = json.loads((repo / "results.json").read_text())
    assert data["tests"] and all(t["visibility"] == "visible" for t in data["tests"])
