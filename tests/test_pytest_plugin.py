"""mgrade's pytest plugin, run by pytest itself (pytester) in kits built with `write_kit`.

The plugin is the installed `pytest11` entry point, so every inner run here loads it the way a
student's `pytest` does. tests/test_kit_pytest.py does the same from a wheel in a fresh venv.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from test_kit_install import break_tanh_backward
from util import REFERENCE, REPO

import autograder.kitcheck
from autograder.model import Outcome
from autograder.release.kit import write_kit
from autograder.reporters.content import failure_text
from autograder.session import WorkerSession

pytest_plugins = ["pytester"]

ASSIGNMENTS = REPO / "assignments"
TANH = "assignments/ops/assignment.toml::engine.tanh.backward"


@pytest.fixture(scope="module")
def built_kit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("course") / "kit"
    write_kit(REFERENCE, out, [ASSIGNMENTS])
    return out


def student(pytester: pytest.Pytester, kit: Path, micrograd: Path | None = None) -> Path:
    """The kit, as a student's folder, in pytester's working directory; `micrograd` replaces the
    template."""
    shutil.copytree(kit, pytester.path, dirs_exist_ok=True)
    if micrograd is not None:
        shutil.rmtree(pytester.path / "micrograd")
        shutil.copytree(micrograd, pytester.path / "micrograd",
                        ignore=shutil.ignore_patterns("__pycache__"))
    return pytester.path


def one_bug(pytester: pytest.Pytester, kit: Path) -> Path:
    folder = student(pytester, kit, REFERENCE)
    break_tanh_backward(folder / "micrograd" / "engine.py")
    return folder


class Counts:
    """How often the self-check was called (and with what), and how many workers it started."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[dict] = []
        self.workers = 0
        real_selfcheck, real_launch = autograder.kitcheck.run_selfcheck, WorkerSession.launch

        def run_selfcheck(*args, **kwargs):
            self.calls.append(kwargs)
            return real_selfcheck(*args, **kwargs)

        def launch(session: WorkerSession) -> None:
            self.workers += 1
            real_launch(session)

        monkeypatch.setattr(autograder.kitcheck, "run_selfcheck", run_selfcheck)
        monkeypatch.setattr(WorkerSession, "launch", launch)


def collected(result: pytest.RunResult) -> list[str]:
    return [line for line in result.outlines if "::" in line]


def readme_order(kit: Path) -> list[str]:
    """The check ids in the order the kit's README lists them."""
    return re.findall(r"^- `([^`]+)`", (kit / "README.md").read_text(), flags=re.MULTILINE)


def test_collection_lists_every_visible_check_in_the_readme_order(pytester, built_kit,
                                                                  monkeypatch):
    folder = student(pytester, built_kit)
    marker = folder / "imported"
    (folder / "micrograd" / "__init__.py").write_text(
        f"import time\nopen({str(marker)!r}, 'w').close()\ntime.sleep(60)\n")
    counts = Counts(monkeypatch)
    result = pytester.runpytest("--collect-only", "-q", "--strict-markers")
    assert result.ret == 0, result.stdout.str()
    ids = collected(result)
    assert [i.split("::")[1] for i in ids] == readme_order(folder)
    assert len(ids) > 30 and ids[0] == "assignments/ops/assignment.toml::engine.add.forward"
    assert ids.index(TANH) < ids.index("assignments/backprop/assignment.toml::"
                                       "engine.backward.order")
    assert not marker.exists(), "collection imported the submission"
    assert counts.calls == [] and counts.workers == 0


def test_markers_and_selection(pytester, built_kit):
    student(pytester, built_kit)
    ops = collected(pytester.runpytest("--collect-only", "-q", "--strict-markers", "-m", "ops"))
    assert ops and all(i.startswith("assignments/ops/") for i in ops)
    tanh = collected(pytester.runpytest("--collect-only", "-q", "-k", "tanh"))
    assert [i.split("::")[1] for i in tanh] == ["engine.tanh.forward", "engine.tanh.backward"]
    one = collected(pytester.runpytest("--collect-only", "-q", TANH))
    assert one == [TANH]


def test_one_bug_fails_one_item_with_the_graders_words(pytester, built_kit, monkeypatch):
    folder = one_bug(pytester, built_kit)
    counts = Counts(monkeypatch)
    result = pytester.runpytest("-k", "tanh")
    result.assert_outcomes(passed=1, failed=1)
    assert len(counts.calls) == 1
    assert sorted(counts.calls[0]["only"]) == ["engine.tanh.backward", "engine.tanh.forward"]
    output = result.stdout.str()
    report = autograder.kitcheck.run_selfcheck(folder, only=["engine.tanh.backward"])
    expected = failure_text(next(r for r in report.results if not r.passed))
    assert "Reproduce with:" in expected and "expected" in expected
    assert expected in output  # word for word, as `mgrade check` prints it
    assert "engine.tanh.backward: failed (wrong)" in output
    for internal in ("Traceback", "pytest_plugin", "def runtest", "CheckFailed", "_pytest"):
        assert internal not in output, internal


def test_all_items_are_graded_in_one_call_with_the_workers_of_mgrade_check(pytester, built_kit,
                                                                          monkeypatch):
    folder = student(pytester, built_kit, REFERENCE)
    chosen = ["engine.tanh", "engine.exp", "engine.add"]
    counts = Counts(monkeypatch)
    result = pytester.runpytest("-k", " or ".join(chosen))
    result.assert_outcomes(passed=6)
    assert len(counts.calls) == 1, "one grade for the whole session"
    by_pytest = counts.workers
    counts.workers = 0
    autograder.kitcheck.run_selfcheck(folder, only=chosen)  # what `mgrade check --only` does
    assert by_pytest == counts.workers >= 1


def test_verdicts_equal_the_self_check(pytester, built_kit):
    folder = student(pytester, built_kit)  # the template: nothing implemented
    result = pytester.runpytest("--junitxml=out.xml", "-k", "engine.add or engine.backward.order")
    report = autograder.kitcheck.run_selfcheck(folder, only=["engine.add",
                                                              "engine.backward.order"])
    word = {"passed": "passed", "blocked": "skipped"}
    expected = {r.check_id: word.get(r.verdict.outcome.value, "failed") for r in report.results}
    assert set(expected) == {"engine.add.forward", "engine.add.backward", "engine.backward.order"}
    assert junit_statuses(folder / "out.xml") == expected, result.stdout.str()


def junit_statuses(xml: Path) -> dict[str, str]:
    """Check id -> "passed", "failed" or "skipped", from pytest's JUnit XML."""
    statuses = {}
    for case in ET.parse(xml).getroot().iter("testcase"):
        kind = next((c.tag for c in case if c.tag in ("failure", "error", "skipped")), "passed")
        statuses[case.get("name")] = {"error": "failed", "failure": "failed"}.get(kind, kind)
    return statuses


def test_a_broken_kit_manifest_is_a_collection_error_that_names_the_problem(pytester, built_kit):
    folder = student(pytester, built_kit)
    manifest = folder / "assignments" / "ops" / "assignment.toml"
    manifest.write_text(manifest.read_text().replace("seed = ", "sed = 1\nseed = "))
    result = pytester.runpytest("--collect-only", "-q")
    output = result.stdout.str()
    assert result.ret == pytest.ExitCode.INTERRUPTED
    assert "assignment.sed is not a known key; did you mean seed?" in output
    assert "Traceback" not in output


def test_a_course_repository_and_its_own_tests_are_left_alone(pytester):
    shutil.copytree(ASSIGNMENTS, pytester.path / "assignments")
    pytester.makepyfile(test_course="def test_mine():\n    assert True\n")
    result = pytester.runpytest("--collect-only", "-q", ".")
    assert collected(result) == ["test_course.py::test_mine"]
    assert pytester.runpytest("assignments").ret == pytest.ExitCode.NO_TESTS_COLLECTED


def test_the_projects_own_manifests_are_not_collected():
    done = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q",
                           "-p", "no:cacheprovider", "assignments"],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == pytest.ExitCode.NO_TESTS_COLLECTED, done.stdout + done.stderr
    assert "mgrade" in subprocess.run(
        [sys.executable, "-m", "pytest", "--version", "--version"], cwd=REPO,
        capture_output=True, text=True, timeout=300).stdout  # the plugin was loaded


@pytest.mark.skipif(not hasattr(Outcome, "BLOCKED"), reason="this grader has no blocked outcome")
def test_a_blocked_check_is_skipped_at_its_own_location_with_its_cause(pytester, built_kit):
    student(pytester, built_kit)  # the template: no op works, so graph checks cannot test anything
    result = pytester.runpytest("-rs", "-k", "engine.backward.order")
    result.assert_outcomes(skipped=1)
    line = next(line for line in result.outlines if line.startswith("SKIPPED"))
    assert "assignments/backprop/assignment.toml:" in line and "blocked" in line
    assert "pytest_plugin" not in result.stdout.str()
