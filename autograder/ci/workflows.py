"""The GitHub Actions workflows `mgrade ci-template` writes.

Every workflow installs the grader pinned to one version (with the CPU build of torch from
PyTorch's index, and pip's cache keyed on the workflow file, which holds the pins), so the checks
come from the installed grader and never from files in the student's repository.

- `student_workflow`: a student repository, on every push: the student-audience grade, its
  Markdown in the job summary, JUnit in the Checks tab, results.json as an artifact.
- `student_workflow(classroom=True)`: the same, plus what GitHub Classroom reads: one
  `autograding-command-grader` step per assignment with its points, then the reporter.
- `instructor_workflow`: the course repository, run by hand: `mgrade grade-all` over a collected
  class with the secret seed, the gradebook and every report as an artifact.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from autograder.pins import CPU_INDEX, pinned_torch
from autograder.version import __version__

PYTHON = "3.12"
STUDENT_FILE = Path(".github/workflows/grade.yml")
INSTRUCTOR_FILE = Path(".github/workflows/grade-class.yml")
CLASSROOM_NAME = "Autograding Tests"  # the name and job id Classroom looks for
CLASSROOM_JOB = "run-autograding-tests"
NOT_CLASSROOM_BOT = "github.actor != 'github-classroom[bot]'"
JUNIT_ACTION = "mikepenz/action-junit-report@v4"
COMMAND_GRADER = "classroom-resources/autograding-command-grader@v1"
REPORTER = "classroom-resources/autograding-grading-reporter@v1"
STEP_MINUTES = 15


def default_grader() -> str:
    """The pip requirement for this grader: the version that wrote the workflow."""
    return f"mgrade=={__version__}"


def student_grade_command(arguments: str) -> str:
    """The grade students may read: withheld checks left out of every report and total."""
    return f"mgrade grade {arguments} --audience student"


def _setup_steps(grader: str, workflow_file: Path, install_from: str | None = None) -> list[dict]:
    torch = pinned_torch()
    install = [f"python -m pip install --index-url {CPU_INDEX} torch=={torch}",
               f'python -m pip install {install_from}' if install_from
               else f'python -m pip install "{grader}"']
    return [
        {"uses": "actions/checkout@v4"},
        {"uses": "actions/setup-python@v5",
         "with": {"python-version": PYTHON, "cache": "pip",
                  "cache-dependency-path": workflow_file.as_posix()}},
        {"name": "System packages",
         "run": "sudo apt-get update\nsudo apt-get install -y bubblewrap graphviz\n"},
        {"name": "Install the grader (CPU build of torch)", "run": "\n".join(install) + "\n"},
    ]


def _report_steps(artifact: str, paths: str) -> list[dict]:
    return [
        {"name": "Job summary", "if": "always()",
         "run": 'if [ -f summary.md ]; then cat summary.md >> "$GITHUB_STEP_SUMMARY"; fi\n'},
        {"name": "Checks tab", "if": "always()", "uses": JUNIT_ACTION,
         "with": {"report_paths": "junit.xml", "check_name": "mgrade", "include_passed": True,
                  "detailed_summary": True}},
        {"name": "Upload results", "if": "always()", "uses": "actions/upload-artifact@v4",
         "with": {"name": artifact, "path": paths, "if-no-files-found": "warn"}},
    ]


def runner_id(assignment: str) -> str:
    """A step id the Classroom reporter accepts (letters and digits)."""
    return re.sub(r"[^A-Za-z0-9]", "", assignment) or "grade"


def student_workflow(assignments: list[str], points: dict[str, float], *, classroom: bool,
                     grader: str | None = None) -> dict:
    """The student repository's workflow as data (dump it with `dump`)."""
    grader = grader or default_grader()
    selected = " ".join(f"-a {a}" for a in assignments)
    grade_args = f". {selected} --json results.json --junit junit.xml --md summary.md"
    steps = _setup_steps(grader, STUDENT_FILE)
    steps.append({"name": "Grade", "id": "grade",
                  "run": student_grade_command(" ".join(grade_args.split())) + "\n"})
    steps += _report_steps("mgrade-results", "results.json\njunit.xml\nsummary.md\n")
    if classroom:
        runners = []
        for assignment in assignments:
            step_id = runner_id(assignment)
            runners.append(step_id)
            steps.append({
                "name": f"Classroom points: {assignment}", "id": step_id, "if": "always()",
                "uses": COMMAND_GRADER,
                "with": {"test-name": assignment,
                         "command": student_grade_command(f". -a {assignment} --fail-under 100 -q"),
                         "timeout": STEP_MINUTES, "max-score": _points(points[assignment])}})
        steps.append({
            "name": "Classroom report", "if": "always()", "uses": REPORTER,
            "env": {f"{r.upper()}_RESULTS": f"${{{{ steps.{r}.outputs.result }}}}"
                    for r in runners},
            "with": {"runners": ",".join(runners)}})
    return {
        "name": CLASSROOM_NAME if classroom else "grade",
        "on": {"push": None, "workflow_dispatch": None},
        "permissions": {"contents": "read", "checks": "write", "actions": "read"},
        "jobs": {(CLASSROOM_JOB if classroom else "grade"): {
            "runs-on": "ubuntu-latest", "timeout-minutes": 30, "if": NOT_CLASSROOM_BOT,
            "steps": steps}},
    }


def instructor_workflow(assignments: list[str]) -> dict:
    """The course repository's workflow that batch-grades a collected class, run by hand."""
    selected = " ".join(f"-a {a}" for a in assignments)
    # The course repository itself, installed in place: its assignments and data as checked in.
    steps = _setup_steps(default_grader(), INSTRUCTOR_FILE, install_from="-e .")
    steps.append({
        "name": "Grade the class", "id": "grade",
        "env": {"MGRADE_SEED": "${{ secrets.MGRADE_SEED }}",
                "SUBMISSIONS": "${{ inputs.submissions }}"},
        "run": 'test -n "$MGRADE_SEED" || { echo "set the MGRADE_SEED secret (the official '
               'seed)" >&2; exit 1; }\n'
               f'mgrade grade-all "$SUBMISSIONS" --out graded {selected}\n'})
    steps.append({"name": "Gradebook in the job summary", "if": "always()",
                  "run": 'if [ -f graded/grades.csv ]; then\n  echo "grades.csv: $(( $(wc -l '
                         '< graded/grades.csv) - 1 )) students" >> "$GITHUB_STEP_SUMMARY"\nfi\n'})
    steps.append({"name": "Upload the gradebook and reports", "if": "always()",
                  "uses": "actions/upload-artifact@v4",
                  "with": {"name": "graded", "path": "graded/", "if-no-files-found": "error"}})
    return {
        "name": "grade class",
        "on": {"workflow_dispatch": {"inputs": {"submissions": {
            "description": "Folder of collected submissions (one folder, .zip or notebook per "
                           "student; an nbgrader submitted/ folder; an unzipped Gradescope "
                           "export)",
            "required": True, "default": "submissions"}}}},
        "permissions": {"contents": "read"},
        "jobs": {"grade-class": {"runs-on": "ubuntu-latest", "timeout-minutes": 360,
                                 "steps": steps}},
    }


def _points(value: float) -> int | float:
    return int(value) if float(value).is_integer() else float(value)


HEADER = {
    "student": [
        "Written by `mgrade ci-template`. Grades every push with the grader pinned below (never",
        "with files from this repository): Markdown in the job summary, JUnit in the Checks tab,",
        "results.json as an artifact. Withheld checks are not shown.",
    ],
    "classroom": [
        "Written by `mgrade ci-template --classroom`. GitHub Classroom reads the points of this",
        "workflow (its name and job id must stay as they are): each assignment earns its visible",
        "points when every visible check passes. Per-check points are in the job summary and the",
        "Checks tab; the official grade comes from `mgrade grade-all`.",
    ],
    "instructor": [
        "Written by `mgrade ci-template --instructor`. Run it by hand (Actions tab) in the course",
        "repository: grades a collected class with the secret seed (the MGRADE_SEED repository",
        "secret) and uploads grades.csv and every report.",
    ],
}


class _Dumper(yaml.SafeDumper):
    """Multi-line scripts as literal blocks, long commands on one line."""


def _string(dumper: yaml.SafeDumper, text: str) -> yaml.Node:
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_Dumper.add_representer(str, _string)


def dump(workflow: dict, kind: str) -> str:
    """YAML text with a header comment; `on` is quoted so YAML 1.1 readers keep it a string."""
    body = yaml.dump(workflow, Dumper=_Dumper, sort_keys=False, width=1000,
                     default_flow_style=False)
    return "".join(f"# {line}\n" for line in HEADER[kind]) + body
