"""`mgrade report`: class analytics over a tree of results.json files, and its errors."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from autograder.analytics import ResultsError, analyse, fold, load_class, pass_rates_csv
from autograder.cli import main
from autograder.reporters.class_html import render_class_html

CHECKS = ("engine.add.backward", "engine.mul.backward", "engine.tanh.backward", "nn.train.moons")


def results(failed: dict[str, str]) -> dict:
    """A results.json as mgrade writes it: every check in CHECKS, 1 point each."""
    tests = []
    for check in CHECKS:
        message = failed.get(check)
        tests.append({"name": check, "score": 0.0 if message else 1.0, "max_score": 1.0,
                      "status": "failed" if message else "passed",
                      "output": (message or "ok") + "\n\nmore feedback",
                      "tags": ["nn" if check.startswith("nn.") else "ops", "x"],
                      "extra_data": {"outcome": "wrong" if message else "passed"}})
    return {"score": float(len(CHECKS) - len(failed)), "tests": tests}


CLASS = {
    "alice": {},
    "bob": {"engine.add.backward": "a.grad is 1.0, expected 2.0",
            "engine.mul.backward": "a.grad is 3.5, expected 7.0"},
    "section2/carol": {"engine.add.backward": "a.grad is 0.5, expected 1.0",
                       "engine.mul.backward": "b.grad is 2.0, expected 4.0"},
    "section2/deep/dan": {"engine.add.backward": "a.grad is 2.25, expected 4.5",
                          "nn.train.moons": "after training, accuracy 50% (needs 90%)"},
}


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "graded"
    for student, failed in CLASS.items():
        (root / student).mkdir(parents=True)
        (root / student / "results.json").write_text(json.dumps(results(failed)))
    (root / "grades.csv").write_text("student,total\n")  # other files are ignored
    return root


def test_fold_keeps_names_and_replaces_numbers() -> None:
    assert fold("after n3.backward(), x0.grad is -1.5e-3, expected 2.0") == \
        "after n3.backward(), x0.grad is #, expected #"
    assert fold("engine.tanh.backward got nan, inf") == "engine.tanh.backward got #, #"


def test_analysis_of_a_nested_tree(tree: Path) -> None:
    stats = analyse(load_class(tree))
    assert sorted(s.name for s in stats.submissions) == sorted(CLASS)
    by_id = {c.check_id: c for c in stats.checks}
    add = by_id["engine.add.backward"]
    assert (add.graded, add.passed, add.failed, add.assignment) == (4, 1, 3, "ops")
    # three messages that differ only in numbers are one message, counted three times
    assert add.messages.most_common(1) == [("a.grad is #, expected #", 3)]
    mul = by_id["engine.mul.backward"]
    assert sorted(mul.messages.values()) == [1, 1]  # a.grad and b.grad are different messages
    top = stats.pairs[0]
    assert (top.first, top.second, top.both, top.either) == (
        "engine.add.backward", "engine.mul.backward", 2, 3)
    assert {(p.first, p.second) for p in stats.pairs} == {
        ("engine.add.backward", "engine.mul.backward"),
        ("engine.add.backward", "nn.train.moons")}
    assert sorted(s.percent for s in stats.submissions) == [50.0, 50.0, 50.0, 100.0]


def test_the_csv_has_one_row_per_check(tree: Path) -> None:
    rows = list(csv.DictReader(io.StringIO(pass_rates_csv(analyse(load_class(tree))))))
    assert [r["check"] for r in rows] == list(CHECKS)
    add = rows[0]
    assert (add["graded"], add["passed"], add["failed"], add["pass_rate"]) == \
        ("4", "1", "3", "0.2500")


def test_the_page_names_what_fails_together(tree: Path) -> None:
    page = render_class_html(analyse(load_class(tree), {"engine.add.backward": "add: `a + b`"}),
                             str(tree))
    assert "<title>Class report: 4 submissions" in page
    assert page.count("<svg") == 2  # histogram and pass rates
    assert "<code>a + b</code>" in page  # a title's code is code
    assert "3\u00d7</strong> a.grad is 1.0, expected 2.0" in page
    assert "<script" not in page


def test_the_command_writes_html_and_csv(tree: Path, tmp_path: Path) -> None:
    out = CliRunner().invoke(main, ["report", str(tree), "--html", str(tmp_path / "c.html"),
                                    "--csv", str(tmp_path / "rates.csv")])
    assert out.exit_code == 0, out.output
    assert "4 submission(s), 4 check(s)" in out.output
    page = (tmp_path / "c.html").read_text()
    assert "local derivative (backward)" in page  # titles from the grader's catalogue
    assert (tmp_path / "rates.csv").read_text().startswith("check,assignment,title,")


def test_bad_input_gets_an_error_naming_the_file(tree: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    broken = tree / "section2" / "carol" / "results.json"
    broken.write_text('{"score": 1, "tests": [')
    out = runner.invoke(main, ["report", str(tree), "--html", str(tmp_path / "c.html")])
    assert out.exit_code == 1 and str(broken) in out.output and "not valid JSON" in out.output
    assert not (tmp_path / "c.html").exists()
    broken.write_text('{"score": 1}')
    out = runner.invoke(main, ["report", str(tree), "--csv", str(tmp_path / "r.csv")])
    assert out.exit_code == 1 and str(broken) in out.output and "no \"tests\" list" in out.output
    empty = tmp_path / "empty"
    empty.mkdir()
    out = runner.invoke(main, ["report", str(empty), "--html", str(tmp_path / "c.html")])
    assert out.exit_code == 1 and "no results.json files found" in out.output
    assert str(empty) in out.output
    out = runner.invoke(main, ["report", str(tree)])
    assert out.exit_code == 2 and "--html" in out.output
    with pytest.raises(ResultsError, match="no such folder"):
        load_class(tmp_path / "missing")
