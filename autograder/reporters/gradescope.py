"""Gradescope's results.json.

Format: https://gradescope-autograders.readthedocs.io/en/latest/specs/ . Gradescope rejects or
mangles files with NaN/Infinity, unknown visibility values or very large outputs, so this module
guarantees finite numbers, known visibilities, per-test outputs of at most 8 KiB and a file of at
most 1 MB, cutting text with a visible "[... truncated]" marker.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from autograder.model import VISIBILITIES, CheckResult, GradeReport
from autograder.reporters.atomic import atomic_write_text
from autograder.reporters.content import (
    INTERNAL_ERROR_EXPLANATION,
    check_numbers,
    failure_text,
    finite,
)
from autograder.reporters.sanitize import clean_text, truncate_utf8
from autograder.reporters.text import text_summary

TEST_OUTPUT_LIMIT = 8 * 1024  # bytes of UTF-8 per test's output
FILE_LIMIT = 1_000_000  # bytes of the whole results.json
_SLACK = 4096  # headroom kept below FILE_LIMIT while fitting outputs


def gradescope_json(report: GradeReport) -> dict[str, Any]:
    """The results.json document for `report`, already within Gradescope's size limits.

    Tests are numbered "a.c" (assignment position . check position, see `check_numbers`). Each
    test's output is the full feedback for a failure, or the one-line summary for a pass.
    """
    numbers = check_numbers(report)
    tests = [
        _test_entry(result, number) for result, number in zip(report.results, numbers, strict=True)
    ]
    # report.score is the sum of the results' scores; recomputing from the cleaned test scores
    # only matters if a NaN slipped into a result, which must not make the file unreadable.
    score = report.score if math.isfinite(report.score) else sum(t["score"] for t in tests)
    data: dict[str, Any] = {
        "score": round(score, 6),
        "execution_time": int(round(finite(report.execution_time))),
        "output": _top_output(report),
        "output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "extra_data": {
            "grader_version": clean_text(report.grader_version),
            **({"seed": report.seed, "seeds": {clean_text(k): int(v) for k, v in
                                               report.seeds.items()}}
               if report.shows_seed else {}),
            "assignments": [clean_text(a) for a in report.assignments],
            "isolation": clean_text(report.isolation),
            "isolation_note": clean_text(report.isolation_note),
            "oracle": clean_text(report.oracle),
            "submission": clean_text(report.submission),
            "assignment_titles": {clean_text(k): clean_text(v)
                                  for k, v in report.assignment_titles.items()},
        },
        "tests": tests,
    }
    return _fit_file(data)


def write_gradescope(report: GradeReport, path: str | os.PathLike[str]) -> Path:
    """Write `gradescope_json(report)` atomically to `path`.

    On Gradescope that path is /autograder/results/results.json.
    """
    return atomic_write_text(path, dumps(gradescope_json(report)))


def dumps(data: dict[str, Any]) -> str:
    """Serialise exactly as the file is written; raises ValueError on any NaN or infinity."""
    return json.dumps(data, ensure_ascii=False, allow_nan=False, indent=1) + "\n"


def _top_output(report: GradeReport) -> str:
    # text_summary already leads with the internal error and lists report.messages; the hidden
    # checks and per-check details are left out because students read this and each test below
    # carries its own feedback.
    summary = text_summary(report, include_hidden=False, details=False)
    if report.internal_error and INTERNAL_ERROR_EXPLANATION not in summary:
        summary = INTERNAL_ERROR_EXPLANATION + "\n\n" + summary
    return summary


def _test_entry(result: CheckResult, number: str) -> dict[str, Any]:
    verdict = result.verdict
    output = failure_text(result) if not result.passed else clean_text(verdict.summary).strip()
    if result.title:
        output = f"{clean_text(result.title).strip()}\n\n{output}"
    tags = [result.assignment, verdict.outcome.value, *result.tags]
    return {
        "name": result.check_id,
        "number": number,
        "score": round(finite(result.score), 6),
        "max_score": round(finite(result.max_score), 6),
        "status": "passed" if result.passed else "failed",
        "output": truncate_utf8(output, TEST_OUTPUT_LIMIT),
        "output_format": "text",
        "visibility": _visibility(result.visibility),
        "tags": [clean_text(t) for t in dict.fromkeys(tags)],
        "extra_data": _test_extra(result),
    }


def _test_extra(result: CheckResult) -> dict[str, Any]:
    """Facts for staff and for `mgrade report`: the outcome, and what a report can draw."""
    verdict = result.verdict
    extra: dict[str, Any] = {
        "outcome": verdict.outcome.value,
        "examples": int(verdict.examples),
        "duration_s": round(finite(result.duration_s), 3),
        "title": clean_text(result.title),
    }
    if verdict.graph is not None:
        extra["graph"] = verdict.graph.to_json()
    if verdict.losses:
        extra["loss_curve"] = [None if v is None else finite(v) for v in verdict.losses]
    return extra


def _visibility(value: str) -> str:
    # An unknown value would make Gradescope reject the file; treating it as "hidden" errs on the
    # side of not revealing a check the instructor may have meant to keep back.
    return value if value in VISIBILITIES else "hidden"


def _encoded_size(data: dict[str, Any]) -> int:
    return len(dumps(data).encode("utf-8"))


def _fit_file(data: dict[str, Any]) -> dict[str, Any]:
    """Shrink the longest outputs until the file fits FILE_LIMIT.

    Only output texts are cut (scores, names and metadata are small and grader-made). Each pass
    finds one byte cap for all outputs (water-filling: short outputs stay whole, long ones share
    what is left) and lowers it until the encoded file fits, since JSON escaping makes the encoded
    size a little larger than the raw text.
    """
    if _encoded_size(data) <= FILE_LIMIT:
        return data
    originals = [data["output"], *(t["output"] for t in data["tests"])]
    sizes = [len(o.encode("utf-8")) for o in originals]
    skeleton = _with_outputs(data, ["" for _ in originals])
    budget = max(FILE_LIMIT - _SLACK - _encoded_size(skeleton), 0)
    cap = _water_level(sizes, budget)
    while True:
        fitted = _with_outputs(data, [truncate_utf8(o, cap) for o in originals])
        if _encoded_size(fitted) <= FILE_LIMIT or cap == 0:
            return fitted
        cap = int(cap * 0.9)


def _with_outputs(data: dict[str, Any], outputs: list[str]) -> dict[str, Any]:
    fitted = dict(data, output=outputs[0])
    fitted["tests"] = [dict(t, output=o) for t, o in zip(data["tests"], outputs[1:], strict=True)]
    return fitted


def _water_level(sizes: list[int], budget: int) -> int:
    """The largest cap c with sum(min(size, c)) <= budget."""
    remaining = budget
    ordered = sorted(sizes)
    for i, size in enumerate(ordered):
        share = remaining // (len(ordered) - i)
        if size > share:
            return share
        remaining -= size
    return ordered[-1] if ordered else 0
