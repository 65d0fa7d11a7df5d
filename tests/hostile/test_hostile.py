"""The hostile-submission suite: every case of cases.toml, graded at the strongest isolation level
this machine offers and again at `process`.

Each case is graded once per level (the first test that needs it runs it); the tests below then
assert one kind of expectation each, so a level that cannot meet an expectation (`gaps` in
cases.toml, explained in docs/SECURITY.md) is marked xfail on exactly that expectation, strictly:
if the weak level ever starts meeting it, the marking (and the documentation) must change.
"""

from __future__ import annotations

import json
import math
import os
from typing import Any

import pytest
from hostile_support import CATEGORIES, Case, Run, load_cases, run_case

from autograder.model import Outcome
from autograder.reporters.content import failure_text
from autograder.sandbox import detect_isolation

pytestmark = [pytest.mark.hostile, pytest.mark.slow]

CASES = load_cases()
STRONGEST = detect_isolation().level.value
# MGRADE_HOSTILE_LEVELS=uid,process (for instance) grades at other levels this machine offers.
LEVELS = [level for level in os.environ.get("MGRADE_HOSTILE_LEVELS", "").split(",") if level] \
    or list(dict.fromkeys([STRONGEST, "process"]))
RESULTS_LIMIT = 1_000_000

_runs: dict[tuple[str, str], Run] = {}


def graded(case: Case, level: str) -> Run:
    key = (case.name, level)
    if key not in _runs:
        _runs[key] = run_case(case, level)
    return _runs[key]


def _has_cap_sys_resource() -> bool:
    """Whether this process may raise hard rlimits (and so may a `process`-level worker)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("CapEff:"):
                return bool(int(line.split()[1], 16) >> 24 & 1)
    return False


def gap(case: Case, level: str, category: str) -> str | None:
    """Why `level` cannot meet this expectation of `case`, or None when it must."""
    privileged = level == "process" and _has_cap_sys_resource()
    keys = [level] + (["process-privileged"] if privileged else [])
    for key in keys:
        why = case.gaps.get(key, {}).get(category)
        if why:
            return why
    return None


def params(category: str) -> list[Any]:
    assert category in CATEGORIES
    out = []
    for level in LEVELS:
        for case in CASES:
            marks = []
            why = gap(case, level, category)
            if level in case.skip:
                marks.append(pytest.mark.skip(reason=case.skip[level]))
            elif why:
                # The process level's gaps are certain; the uid level's depend on what this
                # machine lets other users read and write.
                marks.append(pytest.mark.xfail(strict=level == "process",
                                               reason=f"only a stronger level: {why}"))
            out.append(pytest.param(case, level, marks=marks, id=f"{level}-{case.name}"))
    return out


@pytest.mark.parametrize(("case", "level"), params("verdicts"))
def test_verdicts(case: Case, level: str) -> None:
    """Attacked checks fail (with the expected outcome and message); every other check passes
    with full points; nothing else earns a point."""
    run = graded(case, level)
    report = run.report
    assert report.isolation == level
    assert report.internal_error is None, report.messages
    results = {r.check_id: r for r in report.results}
    if case.fail:
        assert any(case.fails(cid) for cid in results), f"no graded check matches {case.fail}"
    for cid, result in results.items():
        verdict = result.verdict
        if case.fails(cid):
            assert not result.passed and result.score == 0, f"{cid} passed: {verdict.summary}"
            if case.outcome:
                assert verdict.outcome.value in case.outcome, f"{cid}: {verdict.outcome} " \
                    f"({verdict.summary})"
            text = failure_text(result)
            for needle in case.feedback:
                assert needle in text, f"{cid}: {needle!r} not in feedback:\n{text}"
        elif case.may_fail(cid):
            assert result.score == (result.max_score if result.passed else 0.0)
        else:
            assert result.passed, f"{cid} should pass: {verdict.outcome}: {verdict.summary}"
            assert result.score == result.max_score
        assert verdict.outcome is not Outcome.INTERNAL, f"{cid}: {verdict.feedback}"
    earned = sum(r.max_score for r in report.results if r.passed)
    assert report.score == earned
    for needle in case.messages:
        assert any(needle in m for m in report.messages), f"{needle!r} not in {report.messages}"


@pytest.mark.parametrize(("case", "level"), params("processes"))
def test_no_process_outlives_grading(case: Case, level: str) -> None:
    run = graded(case, level)
    assert run.leftovers == []


@pytest.mark.parametrize(("case", "level"), params("files"))
def test_nothing_written_outside_private_tmp(case: Case, level: str) -> None:
    """No marker file anywhere but the worker's private tmp, the submission untouched, and the
    private tmp folders removed."""
    run = graded(case, level)
    assert run.escapes == []
    assert not run.source_changed, "the submission's source folder was modified"
    assert run.worker_tmps == []


@pytest.mark.parametrize(("case", "level"), params("network"))
def test_no_network(case: Case, level: str) -> None:
    run = graded(case, level)
    assert run.contacts == 0, "the case reached the suite's loopback listener"


def _no_constants(token: str) -> Any:
    raise AssertionError(f"results.json contains {token}")


@pytest.mark.parametrize(("case", "level"), params("results"))
def test_results_file(case: Case, level: str) -> None:
    """A valid Gradescope file, consistent with the report, small, and unchanged after grading
    (nothing of the submission is left to rewrite it)."""
    run = graded(case, level)
    assert run.results_stable, run.results_text[:300]
    assert len(run.results_text.encode()) <= RESULTS_LIMIT
    data = json.loads(run.results_text, parse_constant=_no_constants)
    tests = data["tests"]
    assert len(tests) == len(run.report.results)
    for test in tests:
        assert 0 <= test["score"] <= test["max_score"]
        assert (test["status"] == "passed") == (test["score"] == test["max_score"] > 0)
    assert math.isclose(data["score"], sum(t["score"] for t in tests))
    assert math.isclose(data["score"], run.report.score)
    assert data["extra_data"]["isolation"] == level


@pytest.mark.parametrize(("case", "level"), params("time"))
def test_wall_time(case: Case, level: str) -> None:
    run = graded(case, level)
    assert run.wall_s <= case.max_wall_s, f"grading took {run.wall_s:.1f} s"
