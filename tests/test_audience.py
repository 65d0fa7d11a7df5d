"""Who reads a report: the student audience drops withheld checks from every format; every format
shows the manifest's check titles and assignment titles."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from test_reporters import make_report, result
from util import REFERENCE, REPO

from autograder.model import Outcome
from autograder.reporters import (
    gradescope_json,
    render_html,
    render_junit,
    render_markdown,
    text_summary,
)
from autograder.reporters.audience import for_audience

WITHHELD = {
    "engine.secret.hidden": "hidden",
    "engine.later.due": "after_due_date",
    "engine.later.published": "after_published",
}


def mixed_report():
    results = [
        result("engine.add.forward", Outcome.PASSED, 1, 1, "ok"),
        result("engine.add.backward", Outcome.WRONG, 0, 2, "a.grad is wrong"),
    ]
    results += [
        result(cid, Outcome.WRONG, 0, 5, f"{cid} failed: secret input 4.25", visibility=vis)
        for cid, vis in WITHHELD.items()
    ]
    return make_report(results, assignment_titles={"engine": "Engine ops: every operation"})


def every_format(report) -> dict[str, str]:
    return {
        "text": text_summary(report),
        "markdown": render_markdown(report),
        "html": render_html(report),
        "junit": render_junit(report).decode(),
        "results.json": json.dumps(gradescope_json(report)),
    }


def test_student_audience_leaves_withheld_checks_out_of_every_format():
    report = mixed_report()
    student = for_audience(report, "student")
    assert [r.check_id for r in student.results] == ["engine.add.forward", "engine.add.backward"]
    assert (student.score, student.max_score) == (1.0, 3.0)  # not counted
    for name, text in every_format(student).items():
        for cid in WITHHELD:
            assert cid not in text and cid.replace(".", "\\.") not in text, (name, cid)
        assert "secret input" not in text, name
        assert "further check" not in text, name  # not even how many were left out
    data = gradescope_json(student)
    assert data["score"] == 1.0
    assert sum(t["max_score"] for t in data["tests"]) == 3.0
    root = ET.fromstring(render_junit(student))
    assert root.get("tests") == "2"
    assert len(report.results) == 5  # the instructor's report is untouched


def test_instructor_audience_shows_everything():
    report = mixed_report()
    assert for_audience(report, "instructor") is report
    for name, text in every_format(report).items():
        if name == "markdown":
            text = text.replace("\\", "")
        for cid in WITHHELD:
            assert cid in text, (name, cid)
    with pytest.raises(ValueError, match="unknown audience"):
        for_audience(report, "everyone")


def test_every_format_shows_check_and_assignment_titles():
    report = mixed_report()
    for name, text in every_format(report).items():
        if name == "markdown":
            text = text.replace("\\", "")
        assert "engine add backward" in text, name  # result.title, from the manifest
        assert "Engine ops: every operation" in text, name


@pytest.mark.slow
def test_grade_cli_student_audience_writes_no_withheld_check(tmp_path: Path):
    """End to end: the real backprop manifest keeps engine.backward.graphs back until the due
    date; `mgrade grade --audience student` mentions it nowhere, the default lists it."""
    outputs = {"json": tmp_path / "r.json", "junit": tmp_path / "j.xml",
               "md": tmp_path / "s.md", "html": tmp_path / "r.html"}

    def grade(*extra: str) -> str:
        args = [sys.executable, "-m", "autograder", "grade", str(REFERENCE.parent), "-a",
                "backprop", "--oracle", "python", *extra]
        for flag, path in outputs.items():
            args += [f"--{flag}", str(path)]
        done = subprocess.run(args, cwd=REPO, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr
        return done.stdout + "".join(p.read_text() for p in outputs.values())

    student = grade("--audience", "student")
    assert "engine.backward.graphs" not in student.replace("\\", "")
    assert "engine.backward.deep" in student.replace("\\", "")
    assert json.loads(outputs["json"].read_text())["score"] == 7.0  # 10 points minus 3 withheld
    assert "engine.backward.graphs" in grade().replace("\\", "")


def test_student_audience_leaves_the_seed_out_of_every_format():
    """The seed picks the generated inputs; with it a student could replay the hidden ones."""
    report = mixed_report()
    seed = str(report.seed)
    for name, text in every_format(report).items():
        assert seed in text, f"{name}: the instructor view shows the seed"
    for name, text in every_format(for_audience(report, "student")).items():
        assert seed not in text, f"{name}: the student view shows the seed"
