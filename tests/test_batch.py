"""`mgrade grade-all`: finding submissions, the gradebook, resuming, and a whole class killed
halfway and resumed (the slow test at the end)."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from batch_support import REPO, build_class, small_manifests

from autograder.batch.discover import DiscoveryError, discover, safe_key
from autograder.batch.gradebook import write_gradebook
from autograder.batch.outputs import MARKER, Outputs, Settings
from autograder.demo import discover as discover_examples
from autograder.manifest import load_assignment


def mgrade(*args: object, cwd: Path, timeout: float = 300, **popen) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autograder", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "COLUMNS": "200"}, **popen)


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


# ---- finding submissions ------------------------------------------------------------------------


def test_plain_layout_takes_folders_zips_notebooks_and_py_files(tmp_path: Path) -> None:
    (tmp_path / "alice").mkdir()
    (tmp_path / "bob.zip").write_bytes(b"")
    (tmp_path / "carol.ipynb").write_text("{}")
    (tmp_path / "dave.py").write_text("")
    (tmp_path / "README.txt").write_text("")
    (tmp_path / ".git").mkdir()
    (tmp_path / "graded").mkdir()  # the output folder, inside the input
    found = discover(tmp_path, exclude=[tmp_path / "graded"])
    assert found.layout == "plain"
    assert [s.key for s in found.submissions] == ["alice", "bob", "carol", "dave"]
    assert [s.students for s in found.submissions][0] == ("alice",)
    assert any("README.txt" in note for note in found.notes)


def test_same_name_twice_gets_two_folders_and_unsafe_names_are_cleaned(tmp_path: Path) -> None:
    (tmp_path / "alice").mkdir()
    (tmp_path / "alice.zip").write_bytes(b"")
    keys = [s.key for s in discover(tmp_path).submissions]
    assert keys == ["alice", "alice-2"]
    assert safe_key("../../etc passwd") == "_.._etc_passwd"
    assert safe_key("...") == "_"


def test_nbgrader_layout(tmp_path: Path) -> None:
    for student in ("alice", "bob"):
        (tmp_path / "submitted" / student / "ps1").mkdir(parents=True)
    (tmp_path / "submitted" / "carol").mkdir(parents=True)
    found = discover(tmp_path)
    assert found.layout == "nbgrader"
    assert [(s.key, s.path.name) for s in found.submissions] == [("alice", "ps1"),
                                                                 ("bob", "ps1")]
    assert any("carol" in note for note in found.notes)
    (tmp_path / "submitted" / "bob" / "ps2").mkdir()
    with pytest.raises(DiscoveryError, match="--nbgrader-assignment"):
        discover(tmp_path / "submitted")
    found = discover(tmp_path / "submitted", nbgrader_assignment="ps2")
    assert [s.key for s in found.submissions] == ["bob"]


GRADESCOPE_METADATA = """\
submission_101:
  :submitters:
  - :name: Alice A
    :sid: '1001'
    :email: alice@example.edu
  :created_at: 2026-12-01 10:00:00.000000000 -08:00
  :score: !ruby/object:BigDecimal 18:0.1e2
submission_102:
  :submitters:
  - :name: Bob B
    :email: bob@example.edu
  - :name: Carol C
    :sid: '1003'
submission_103:
  :submitters:
  - :name: Gone G
"""


def test_gradescope_export_layout(tmp_path: Path) -> None:
    export = tmp_path / "assignment_42_export"
    export.mkdir()
    (export / "submission_metadata.yml").write_text(GRADESCOPE_METADATA)
    for folder in ("submission_101", "submission_102", "submission_999"):
        (export / folder).mkdir()
    found = discover(tmp_path)  # the export's single top folder is looked into
    assert found.layout == "gradescope"
    by_key = {s.key: s for s in found.submissions}
    assert by_key["1001"].path.name == "submission_101"
    group = by_key["bob@example.edu+1003"]
    assert group.students == ("bob@example.edu", "1003")  # one gradebook row per member
    assert "submission_999" in by_key  # not in the metadata: graded under its folder name
    assert any("submission_103" in note for note in found.notes)


# ---- outputs and gradebook ----------------------------------------------------------------------


def _settings(**changes: object) -> Settings:
    base = dict(assignments=("ops",), seed=None, oracle="auto", isolation=None,
                grader_version="0")
    return Settings(**{**base, **changes})


def test_gradebook_rows_columns_and_empty_cells_for_grader_failures(tmp_path: Path) -> None:
    from autograder.batch.discover import Submission
    from autograder.fallback import not_graded_report
    from autograder.model import CheckResult, GradeReport, Outcome, Verdict

    def report(scores: list[float]) -> GradeReport:
        results = [CheckResult(f"c{i}", f"c{i}", "ops", 2.0, s, "visible",
                               Verdict(f"c{i}", Outcome.PASSED if s else Outcome.WRONG, "x"))
                   for i, s in enumerate(scores)]
        return GradeReport("x", ["ops"], 1, "none", "", "none", "0", results=results)

    outputs = Outputs(tmp_path)
    subs = [Submission("alice", tmp_path, ("alice",)),
            Submission("pair", tmp_path, ("=bob", "carol")),
            Submission("dave", tmp_path, ("dave",)),
            Submission("erin", tmp_path, ("erin",))]
    outputs.write("alice", report([2, 0]), _settings(), "f", "graded")
    outputs.write("pair", report([2, 2]), _settings(), "f", "graded")
    outputs.write("dave", not_graded_report("x", ["ops"], None, "boom"), _settings(), "f",
                  "errored")
    rows = read_csv(write_gradebook(outputs, subs))
    header = list(rows[0])
    assert header == ["student", "total", "max", "c0", "c1"]
    assert [r["student"] for r in rows] == ["alice", "'=bob", "carol", "dave"]  # erin: not graded
    assert rows[0] | {} == {"student": "alice", "total": "2", "max": "4", "c0": "2", "c1": "0"}
    assert rows[2]["total"] == "4"
    assert rows[3]["total"] == "" and rows[3]["c0"] == ""


def test_finished_needs_marker_same_settings_and_same_files(tmp_path: Path) -> None:
    from autograder.fallback import not_graded_report

    outputs = Outputs(tmp_path / "out")
    report = not_graded_report("x", ["ops"], None, "boom")
    report.internal_error = None
    outputs.write("alice", report, _settings(), "files-v1", "graded")
    assert outputs.finished("alice", _settings(), "files-v1")
    assert not outputs.finished("alice", _settings(seed=5), "files-v1")
    assert not outputs.finished("alice", _settings(), "files-v2")
    (tmp_path / "out" / "alice" / "junit.xml").unlink()
    assert not outputs.finished("alice", _settings(), "files-v1")
    outputs.write("bob", report, _settings(), "files-v1", "errored")
    assert not outputs.finished("bob", _settings(), "files-v1")


# ---- the command --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def manifests(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return small_manifests(tmp_path_factory.mktemp("assignments"))


@pytest.fixture(scope="module")
def reference_engine() -> str:
    return (REPO / "reference" / "micrograd" / "engine.py").read_text(encoding="utf-8")


def test_grade_all_single_file_empty_folder_resume_and_force(tmp_path: Path, manifests: Path,
                                                             reference_engine: str) -> None:
    subs, out = tmp_path / "subs", tmp_path / "graded"
    subs.mkdir()
    (subs / "solo.py").write_text(reference_engine)  # one file: that student's engine.py
    (subs / "empty").mkdir()
    (subs / "notebook.ipynb").write_text("{}")  # no code cell: a load error naming the file
    run = mgrade("grade-all", subs, "--out", out, "-a", "ops", "--assignments-dir", manifests,
                 "--jobs", "2", "--oracle", "python", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    notebook = json.loads((out / "notebook" / "results.json").read_text())
    assert {t["extra_data"]["outcome"] for t in notebook["tests"]} == {"load_error"}
    assert "notebook.ipynb" in notebook["tests"][0]["output"]
    rows = {r["student"]: r for r in read_csv(out / "grades.csv")}
    assert rows["solo"]["total"] == rows["solo"]["max"] == "38"
    assert rows["empty"]["total"] == "0"
    empty = json.loads((out / "empty" / "results.json").read_text())
    assert {t["extra_data"]["outcome"] for t in empty["tests"]} == {"load_error"}
    assert "empty" in empty["tests"][0]["output"]
    for student in ("solo", "empty"):
        for name in ("results.json", "feedback.md", "junit.xml", MARKER):
            assert (out / student / name).is_file()
    assert "1 passed, 2 failed, 0 not graded" in run.stderr
    stamp = (out / "solo" / "results.json").stat().st_mtime_ns

    again = mgrade("grade-all", subs, "--out", out, "-a", "ops", "--assignments-dir", manifests,
                   "--oracle", "python", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "3 of 3 already graded" in again.stderr
    assert (out / "solo" / "results.json").stat().st_mtime_ns == stamp

    (subs / "solo.py").write_text(reference_engine.replace("other.data + self.data",
                                                           "self.data + other.data + 0"))
    changed = mgrade("grade-all", subs, "--out", out, "-a", "ops", "--assignments-dir",
                     manifests, "--oracle", "python", cwd=tmp_path)
    assert "2 of 3 already graded" in changed.stderr  # a resubmission is graded again

    forced = mgrade("grade-all", subs, "--out", out, "-a", "ops", "--assignments-dir", manifests,
                    "--oracle", "python", "--force", cwd=tmp_path)
    assert "already graded" not in forced.stderr
    log = (out / "batch.log").read_text().splitlines()
    done = Counter(line.split()[2] for line in log if line.split()[1] == "done")
    assert done == {"solo": 3, "empty": 2, "notebook": 2}


def test_a_submission_past_its_deadline_is_stopped_listed_and_retried(
        tmp_path: Path, manifests: Path, reference_engine: str) -> None:
    subs, out = tmp_path / "subs", tmp_path / "graded"
    (subs / "slow").mkdir(parents=True)
    # Correct but slow to import: its worker waits 1.5 s before the first check, so its grade
    # takes longer than the deadline however fast the checks themselves run.
    (subs / "slow" / "engine.py").write_text(reference_engine + "\nimport time\ntime.sleep(1.5)\n")
    (subs / "broken.zip").write_bytes(b"not a zip")
    run = mgrade("grade-all", subs, "--out", out, "-a", "ops", "--assignments-dir", manifests,
                 "--oracle", "python", "--timeout", "1", "--jobs", "1", cwd=tmp_path)
    assert run.returncode == 1, run.stderr
    assert "not graded: slow: not graded: grading took longer than 1 s" in run.stderr
    rows = {r["student"]: r for r in read_csv(out / "grades.csv")}
    assert rows["slow"]["total"] == "" and rows["broken"]["total"] == "0"
    results = json.loads((out / "slow" / "results.json").read_text())
    assert results["tests"] == [] and "took longer than 1 s" in results["output"]
    retry = mgrade("grade-all", subs, "--out", out, "-a", "ops", "--assignments-dir", manifests,
                   "--oracle", "python", cwd=tmp_path)
    assert retry.returncode == 0 and "1 of 2 already graded" in retry.stderr
    assert {r["student"]: r for r in read_csv(out / "grades.csv")}["slow"]["total"] == "38"


def test_usage_errors(tmp_path: Path, manifests: Path) -> None:
    (tmp_path / "subs").mkdir()
    run = mgrade("grade-all", tmp_path / "subs", "--out", tmp_path / "o", "-a", "ops",
                 "--assignments-dir", manifests, cwd=tmp_path)
    assert run.returncode == 2 and "no submissions found" in run.stderr
    run = mgrade("grade-all", tmp_path / "subs", "--out", tmp_path / "o", "-a", "nope",
                 "--assignments-dir", manifests, cwd=tmp_path)
    assert run.returncode == 2 and "nope" in run.stderr


# ---- a whole class, killed halfway and resumed --------------------------------------------------


def _done_lines(log: Path) -> list[str]:
    if not log.is_file():
        return []
    return [line.split()[2] for line in log.read_text().splitlines() if line.split()[1] == "done"]


@pytest.mark.slow
def test_class_killed_halfway_resumes_without_grading_anyone_twice(tmp_path: Path,
                                                                   manifests: Path) -> None:
    out = tmp_path / "graded"
    kinds = build_class(tmp_path / "class", out)
    students = sorted(kinds)
    args = ["grade-all", tmp_path / "class", "--out", out, "-a", "ops", "--assignments-dir",
            manifests, "--jobs", "2"]
    first = subprocess.Popen([sys.executable, "-m", "autograder", *map(str, args)], cwd=tmp_path,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True)
    deadline = time.monotonic() + 240
    while len(_done_lines(out / "batch.log")) < len(students) // 2:
        assert first.poll() is None, "the batch ended before it could be killed"
        assert time.monotonic() < deadline, "the batch made no progress"
        time.sleep(0.2)
    os.killpg(first.pid, signal.SIGKILL)  # the batch, its grading processes, everything
    first.wait()
    before = set(_done_lines(out / "batch.log"))
    assert 0 < len(before) < len(students)
    stamps = {}
    for student in before:  # every finished result survived the kill, whole
        results = out / student / "results.json"
        assert json.loads(results.read_text())["tests"]
        assert (out / student / "junit.xml").read_text().startswith("<?xml")
        stamps[student] = results.stat().st_mtime_ns

    second = mgrade(*args, cwd=tmp_path, timeout=400)
    assert second.returncode == 0, second.stderr
    assert f"{len(before)} of {len(students)} already graded" in second.stderr
    done = Counter(_done_lines(out / "batch.log"))
    assert done == Counter(students), "every student graded exactly once"
    for student, stamp in stamps.items():
        assert (out / student / "results.json").stat().st_mtime_ns == stamp

    rows = {r["student"]: r for r in read_csv(out / "grades.csv")}
    assert sorted(rows) == students
    check_ids = [c for c in rows["reference"] if c not in ("student", "total", "max")]
    manifest = load_assignment(manifests / "ops" / "assignment.toml")
    assert sorted(check_ids) == sorted(c.id for c in manifest.checks)
    for student in students:
        results = json.loads((out / student / "results.json").read_text())
        assert [t["name"] for t in results["tests"]] == check_ids
        assert rows[student]["total"] == f"{results['score']:g}"
        assert rows[student]["max"] == "38"
    assert rows["reference"]["total"] == rows["zipped"]["total"] == "38"
    assert rows["template"]["total"] == "0"
    for example in discover_examples():  # each README's promise, on the ops checks
        if example.expected is None:
            continue
        for check in check_ids:
            lost = rows[example.name][check] == "0"
            assert lost == (check in example.expected), (example.name, check)
    for broken in ("corrupt", "empty"):
        outcomes = {t["extra_data"]["outcome"] for t in
                    json.loads((out / broken / "results.json").read_text())["tests"]}
        assert outcomes == {"load_error"}
    # The hostile submission could neither stop the batch nor forge anyone's results.
    assert rows["hostile"]["total"] != "1000"
    assert not any("1000" in (out / s / "results.json").read_text()[:40] for s in students)



def test_a_setup_mistake_stops_the_batch_without_marking_anyone(tmp_path: Path,
                                                                 manifests: Path) -> None:
    broken = tmp_path / "assignments" / "ops"
    broken.mkdir(parents=True)
    (broken / "assignment.toml").write_text(
        (manifests / "ops" / "assignment.toml").read_text()
        + '\n[checks."engine.add.sideways"]\npoints = 1\n')
    subs = tmp_path / "subs"
    (subs / "empty").mkdir(parents=True)
    run = mgrade("grade-all", subs, "--out", tmp_path / "out", "-a", "ops", "--assignments-dir",
                 broken.parent, "--oracle", "python", cwd=tmp_path)
    assert run.returncode == 2
    assert "engine.add.sideways" in run.stderr
    assert not (tmp_path / "out" / "empty" / MARKER).exists()


def test_ctrl_c_keeps_finished_students_and_writes_the_gradebook(
        tmp_path: Path, manifests: Path, reference_engine: str) -> None:
    subs, out = tmp_path / "subs", tmp_path / "graded"
    (subs / "empty").mkdir(parents=True)
    (subs / "corrupt.zip").write_bytes(b"PK\x03\x04 no")
    (subs / "slow").mkdir()
    (subs / "slow" / "engine.py").write_text(reference_engine + "\nimport time\ntime.sleep(3)\n")
    batch = subprocess.Popen(
        [sys.executable, "-m", "autograder", "grade-all", str(subs), "--out", str(out), "-a",
         "ops", "--assignments-dir", str(manifests), "--oracle", "python", "--jobs", "1"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True)
    deadline = time.monotonic() + 120
    while "start slow" not in ((out / "batch.log").read_text()
                               if (out / "batch.log").is_file() else ""):
        assert batch.poll() is None and time.monotonic() < deadline
        time.sleep(0.1)
    time.sleep(0.5)  # "slow" takes 3 s to import: it is being graded now
    os.killpg(batch.pid, signal.SIGINT)  # what a terminal sends on Ctrl-C
    _, stderr = batch.communicate(timeout=60)
    assert batch.returncode == 130, stderr
    assert "run the same command again to resume" in stderr
    assert sorted(r["student"] for r in read_csv(out / "grades.csv")) == ["corrupt", "empty"], \
        (out / "batch.log").read_text() + stderr
    assert (out / "empty" / MARKER).is_file() and not (out / "slow" / MARKER).exists()
    time.sleep(1)
    table = subprocess.run(["ps", "-eo", "pid=,pgid=,stat=,args="], capture_output=True,
                           text=True).stdout.splitlines()
    left = [row for row in table if row.split()[1] == str(batch.pid) and row.split()[2][0] != "Z"]
    assert not left, "grading processes outlived the batch:\n" + "\n".join(left)


def test_progress_bar_shows_counts_and_eta_on_a_terminal() -> None:
    import io
    from collections import Counter as Counts

    from rich.console import Console

    from autograder.batch.pool import Finished
    from autograder.batch.run import _Progress

    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=150)
    counts = Counts({"passed": 1, "failed": 2, "errored": 1})
    with _Progress(console, 10) as progress:
        progress.advance(Finished("alice", "graded", 3.0, 4.0, 1, None, 1.0), counts)
        progress.bar.refresh()
    text = buffer.getvalue()
    assert "1/10" in text and "1 passed" in text and "2 failed" in text and "1 errored" in text
    assert "ETA" in text
