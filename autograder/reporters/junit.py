"""JUnit XML, for CI systems that show test results (GitHub Actions reporters, GitLab, Jenkins).

Layout: a <testsuites> root; one <testsuite> per assignment (name = assignment id) holding
<properties> (seed, isolation, isolation_note, oracle, grader_version, submission), one <testcase>
per check (classname = assignment id, name = check id, time = seconds) and, when the report has
top-level messages, a <system-out> with them. A failed check carries <failure> when the student's
code ran and was judged wrong (wrong, raised, not_implemented, bad_return, policy, load_error) and
<error> when no judgement was possible (timeout, crashed, protocol, internal); either way
`message` is the one-line summary, `type` the outcome, and the text the full feedback. A blocked
check (not tested because a check it relies on failed; 0 points) is <skipped> with the same message
and text: the failure that blocked it is reported, and fails the build, once. A report
with `internal_error` gets an extra suite "mgrade" with one errored testcase "grader", so CI
never shows green for a grade that did not complete.

ElementTree does all escaping; characters XML 1.0 cannot represent are stripped beforehand.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from pathlib import Path

from autograder.model import CheckResult, GradeReport
from autograder.reporters.atomic import atomic_write_bytes
from autograder.reporters.content import (
    INTERNAL_ERROR_EXPLANATION,
    assignment_order,
    failure_text,
    finite,
    shown_results,
    status_kind,
)
from autograder.reporters.sanitize import clean_text, one_line, truncate_utf8, xml_legal

MESSAGE_LIMIT = 500  # characters of the failure message attribute
BODY_LIMIT = 64 * 1024  # bytes of failure text per testcase; CI log viewers choke on more
INTERNAL_SUITE = "mgrade"


def render_junit(report: GradeReport, *, include_hidden: bool = True) -> bytes:
    """The JUnit document as UTF-8 bytes with an XML declaration.

    `include_hidden=False` leaves out checks whose visibility is not "visible", for CI logs that
    students can read.
    """
    shown = shown_results(report, include_hidden)
    root = ET.Element("testsuites", name=_safe(f"mgrade: {report.submission}"))
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for assignment in assignment_order(report):
        results = [r for r in shown.results if r.assignment == assignment]
        suite = _suite(report, assignment, results)
        root.append(suite)
        for key in totals:
            totals[key] += int(suite.get(key, "0"))
    if report.internal_error:
        suite = _internal_error_suite(report)
        root.append(suite)
        totals["tests"] += 1
        totals["errors"] += 1
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("time", _seconds(sum(finite(r.duration_s) for r in shown.results)))
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def write_junit(
    report: GradeReport, path: str | os.PathLike[str], *, include_hidden: bool = True
) -> Path:
    """Write `render_junit(report)` atomically to `path`."""
    return atomic_write_bytes(path, render_junit(report, include_hidden=include_hidden))


def _safe(text: object) -> str:
    return xml_legal(clean_text(text))


def _seconds(value: float) -> str:
    return f"{max(finite(value), 0.0):.3f}"


def _suite(report: GradeReport, assignment: str, results: list[CheckResult]) -> ET.Element:
    kinds = [status_kind(r) for r in results]
    failures, errors, skipped = (kinds.count(k) for k in ("failed", "error", "blocked"))
    suite = ET.Element(
        "testsuite",
        name=_safe(assignment),
        tests=str(len(results)),
        failures=str(failures),
        errors=str(errors),
        skipped=str(skipped),
        time=_seconds(sum(finite(r.duration_s) for r in results)),
    )
    suite.append(_properties(report, title=report.assignment_titles.get(assignment)))
    for result in results:
        suite.append(_testcase(result))
    if report.messages:
        out = ET.SubElement(suite, "system-out")
        out.text = _safe("\n".join(report.messages))
    return suite


def _properties(report: GradeReport, title: str | None = None) -> ET.Element:
    properties = ET.Element("properties")
    if title:
        ET.SubElement(properties, "property", name="title", value=_safe(title))
    facts = [("seed", report.seed)] if report.shows_seed else []
    for name, value in (
        *facts,
        ("isolation", report.isolation),
        ("isolation_note", report.isolation_note),
        ("oracle", report.oracle),
        ("grader_version", report.grader_version),
        ("submission", report.submission),
    ):
        ET.SubElement(properties, "property", name=name, value=_safe(value))
    return properties


def _testcase(result: CheckResult) -> ET.Element:
    case = ET.Element(
        "testcase",
        classname=_safe(result.assignment),
        name=_safe(result.check_id),
        time=_seconds(result.duration_s),
    )
    if result.title:
        properties = ET.SubElement(case, "properties")
        ET.SubElement(properties, "property", name="title", value=_safe(result.title))
    if not result.passed:
        outcome = result.verdict.outcome
        tag = {"error": "error", "blocked": "skipped"}.get(status_kind(result), "failure")
        problem = ET.SubElement(
            case,
            tag,
            message=xml_legal(one_line(result.verdict.summary, MESSAGE_LIMIT)),
            type=outcome.value,
        )
        problem.text = xml_legal(truncate_utf8(failure_text(result), BODY_LIMIT))
    return case


def _internal_error_suite(report: GradeReport) -> ET.Element:
    suite = ET.Element(
        "testsuite",
        name=INTERNAL_SUITE,
        tests="1",
        failures="0",
        errors="1",
        skipped="0",
        time=_seconds(0.0),
    )
    suite.append(_properties(report))
    case = ET.SubElement(
        suite, "testcase", classname=INTERNAL_SUITE, name="grader", time=_seconds(0.0)
    )
    error = ET.SubElement(
        case, "error", message=_safe(one_line(report.internal_error or "")), type="internal"
    )
    error.text = _safe(INTERNAL_ERROR_EXPLANATION + "\n\n" + (report.internal_error or ""))
    return suite
