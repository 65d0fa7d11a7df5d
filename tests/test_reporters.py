"""Reporters: every format, built from hand-made GradeReports that cover the awkward cases.

The hostile check carries text a submission could produce: rich markup, XML-illegal control
characters, HTML tags, Markdown pipes and backticks, a lone surrogate. Each format must show it
literally and stay well-formed.
"""

from __future__ import annotations

import dataclasses
import io
import json
import math
import os
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from autograder.model import CheckResult, GradeReport, Outcome, Verdict
from autograder.reporters import (
    ReportWriteError,
    gradescope_json,
    render_html,
    render_junit,
    render_markdown,
    render_text,
    text_summary,
    write_gradescope,
    write_html,
    write_junit,
    write_markdown,
    write_reports,
)
from autograder.reporters import atomic as atomic_module
from autograder.reporters.atomic import atomic_write_text
from autograder.reporters.audience import for_audience
from autograder.reporters.gradescope import FILE_LIMIT, TEST_OUTPUT_LIMIT
from autograder.reporters.markdown import DOCUMENT_LIMIT
from autograder.reporters.sanitize import (
    TRUNCATION_MARKER,
    clean_text,
    one_line,
    truncate_utf8,
    xml_legal,
)

HOSTILE_SUMMARY = "printed [bold red]boom[/] [/nonexistent] :warning: a|b `tick` <script>x</script>"
HOSTILE_FEEDBACK = (
    "stdout was:\n\x00\x1b[2J\x07\x0b<b>bold?</b> [link=https://evil.example]click[/link]\n"
    "```\nnot the end of the fence\n```\n</details>\nlone surrogate: \ud800 end"
)
WRONG_REPRO = (
    "from micrograd.engine import Value\n"
    "a = Value(2.0)\n"
    "b = a - 3.0\n"
    "b.backward()\n"
    "print(a.grad)  # expected 1.0, got -1.0"
)


def result(
    check_id: str,
    outcome: Outcome,
    score: float,
    max_score: float,
    summary: str,
    *,
    feedback: str = "",
    repro: str | None = None,
    notes: tuple[str, ...] = (),
    visibility: str = "visible",
    assignment: str = "engine",
    tags: tuple[str, ...] = (),
    duration_s: float = 0.25,
    examples: int = 50,
) -> CheckResult:
    verdict = Verdict(check_id, outcome, summary, feedback, repro, examples, notes)
    return CheckResult(
        check_id=check_id,
        title=check_id.replace(".", " "),
        assignment=assignment,
        max_score=max_score,
        score=score,
        visibility=visibility,
        verdict=verdict,
        duration_s=duration_s,
        tags=tags,
    )


def make_report(results: list[CheckResult], **overrides: object) -> GradeReport:
    fields: dict[str, object] = {
        "submission": "submissions/alice",
        "assignments": ["engine", "nn"],
        "seed": 20240917,
        "isolation": "process",
        "isolation_note": "weak isolation: no user namespaces on this host",
        "oracle": "torch 2.13.0 float64",
        "grader_version": "0.1.0",
        "results": results,
        "messages": [],
        "execution_time": 12.6,
    }
    fields.update(overrides)
    return GradeReport(**fields)  # type: ignore[arg-type]


@pytest.fixture
def report() -> GradeReport:
    return make_report(
        [
            result(
                "engine.add.forward",
                Outcome.PASSED,
                1.0,
                1.0,
                "all 50 examples match torch",
                tags=("forward",),
            ),
            result(
                "engine.sub.backward",
                Outcome.WRONG,
                0.0,
                2.0,
                "a.grad is wrong for a - 3.0: expected 1.0, got -1.0",
                feedback="With a = Value(2.0), b = a - 3.0, b.backward(): a.grad should be 1.0.",
                repro=WRONG_REPRO,
                notes=("fix engine.neg.forward first",),
            ),
            result(
                "engine.pow.forward",
                Outcome.TIMEOUT,
                0.0,
                1.5,
                "timed out after 5.0 s on Value(2.0) ** 3",
            ),
            result(
                "engine.tanh.backward",
                Outcome.WRONG,
                0.0,
                1.0,
                "secret check failed",
                feedback="hidden feedback",
                visibility="hidden",
            ),
            result(
                "engine.hostile",
                Outcome.RAISED,
                0.25,
                1.0,
                HOSTILE_SUMMARY,
                feedback=HOSTILE_FEEDBACK,
                repro="print('<script>')  # ``` | [red]",
            ),
            result(
                "nn.mlp.forward", Outcome.PASSED, 2.0, 2.0, "MLP output matches", assignment="nn"
            ),
        ],
        messages=["forbidden import numpy seen in engine.py [bold]x[/bold]"],
    )


@pytest.fixture
def internal_report() -> GradeReport:
    return make_report(
        [result("engine.add.forward", Outcome.PASSED, 1.0, 1.0, "all 50 examples match torch")],
        internal_error="oracle crashed: KeyError('neg') <b>",
        messages=["grading stopped early"],
    )


@pytest.fixture
def empty_report() -> GradeReport:
    return make_report([], assignments=[], isolation_note="", execution_time=0.0)


def record_text(report: GradeReport) -> str:
    console = Console(record=True, width=120)
    render_text(report, console)
    return console.export_text()


# --- sanitize ---------------------------------------------------------------------------------


def test_clean_text_makes_controls_visible_and_text_encodable() -> None:
    cleaned = clean_text("a\x00b\x1b[2Jc\r\nd\u202ee\ud800")
    assert cleaned == "a\\x00b\\x1b[2Jc\nd\\u202ee\ufffd"
    cleaned.encode("utf-8")  # would raise on a lone surrogate


def test_xml_legal_strips_only_illegal_characters() -> None:
    assert xml_legal("ok\tline\n\x00\x0b\ufffe\uffffé😀") == "ok\tline\né😀"


def test_one_line_takes_first_line_and_marks_cuts() -> None:
    assert one_line("\n  first   line \nsecond") == "first line …"
    assert one_line("x" * 50, limit=10) == "x" * 9 + "…"
    assert one_line("   ") == ""


def test_truncate_utf8_respects_byte_cap_without_splitting_characters() -> None:
    text = "é" * 1000  # 2000 bytes
    cut = truncate_utf8(text, 101)
    assert len(cut.encode("utf-8")) <= 101
    assert cut.endswith(TRUNCATION_MARKER)
    assert set(cut[: -len(TRUNCATION_MARKER)]) == {"é"}
    assert truncate_utf8("short", 101) == "short"


# --- text -------------------------------------------------------------------------------------


def test_render_text_shows_every_check_totals_and_run_facts(report: GradeReport) -> None:
    out = record_text(report)
    for r in report.results:
        assert r.check_id in out
    assert "1.0/1.0" in out and "0.0/2.0" in out and "0.25/1.0" in out
    assert "failed (timeout)" in out and "failed (wrong)" in out and "passed" in out
    assert f"Total: 3.25/8.5 ({100 * 3.25 / 8.5:.1f}%)" in out
    assert "Isolation: process" in out and "no user namespaces" in out
    assert "Seed: 20240917" in out
    assert "torch 2.13.0 float64" in out
    assert "forbidden import numpy" in out


def test_render_text_marks_hidden_checks_and_details_failures(report: GradeReport) -> None:
    out = record_text(report)
    assert "engine.tanh.backward (hidden)" in out
    assert "hidden feedback" in out
    # Hints come before the long feedback, and the repro follows.
    hint = out.index("fix engine.neg.forward first")
    feedback = out.index("With a = Value(2.0), b = a - 3.0")
    repro = out.index("print(a.grad)  # expected 1.0, got -1.0")
    assert hint < feedback < repro
    # Passed checks get no detail section.
    assert "all 50 examples match torch" in out
    assert out.count("engine.add.forward") == 1


def test_render_text_prints_student_markup_literally(report: GradeReport) -> None:
    out = record_text(report)  # "[/nonexistent]" would raise MarkupError if parsed as markup
    assert "[bold red]boom[/]" in out
    assert ":warning:" in out and "⚠" not in out
    assert "[link=https://evil.example]click[/link]" in out
    assert "[bold]x[/bold]" in out


def test_render_text_never_emits_student_control_characters(report: GradeReport) -> None:
    out = record_text(report)
    assert "\\x1b[2J" in out and "\\x00" in out
    for raw in ("\x00", "\x07", "\x0b", "\x1b"):
        assert raw not in out


def test_text_summary_is_plain_and_can_withhold_hidden_checks(report: GradeReport) -> None:
    full = text_summary(report)
    assert "\x1b" not in full
    assert "engine.tanh.backward (hidden)" in full
    student = text_summary(report, include_hidden=False, details=False)
    assert "engine.tanh.backward" not in student and "secret check" not in student
    assert "1 further check is graded but not listed here" in student
    assert "Total (listed checks): 3.25/7.5" in student
    assert "fix engine.neg.forward first" not in student  # details left out


def test_text_leads_with_internal_error(internal_report: GradeReport) -> None:
    out = text_summary(internal_report)
    assert "The grader itself failed" in out and "KeyError('neg') <b>" in out
    assert out.index("The grader itself failed") < out.index("engine.add.forward")


def test_text_handles_an_empty_report(empty_report: GradeReport) -> None:
    out = record_text(empty_report)
    assert "No checks were run." in out
    assert "Total: 0.0/0.0 (0.0%)" in out


# --- Gradescope -------------------------------------------------------------------------------


def test_gradescope_top_level_schema(report: GradeReport) -> None:
    data = gradescope_json(report)
    assert isinstance(data["score"], float) and data["score"] == report.score
    assert isinstance(data["execution_time"], int) and data["execution_time"] == 13
    assert isinstance(data["output"], str)
    assert data["output_format"] == "text"
    assert data["visibility"] == "visible"
    assert data["stdout_visibility"] == "hidden"
    assert data["extra_data"] == {
        "grader_version": "0.1.0",
        "seed": 20240917,
        "seeds": {},  # this report names no per-assignment seeds
        "assignments": ["engine", "nn"],
        "isolation": "process",
        "isolation_note": "weak isolation: no user namespaces on this host",
        "oracle": "torch 2.13.0 float64",
        "submission": "submissions/alice",
        "assignment_titles": {},
    }
    json.dumps(data, allow_nan=False)


def test_gradescope_tests_schema(report: GradeReport) -> None:
    tests = gradescope_json(report)["tests"]
    assert [t["name"] for t in tests] == [r.check_id for r in report.results]
    assert [t["number"] for t in tests] == ["1.1", "1.2", "1.3", "1.4", "1.5", "2.1"]
    assert math.isclose(sum(t["max_score"] for t in tests), report.max_score, abs_tol=1e-9)
    assert math.isclose(sum(t["score"] for t in tests), report.score, abs_tol=1e-9)
    assert [t["status"] for t in tests] == [
        "passed",
        "failed",
        "failed",
        "failed",
        "failed",
        "passed",
    ]
    for test, r in zip(tests, report.results, strict=True):
        assert set(test) == {
            "name",
            "number",
            "score",
            "max_score",
            "status",
            "output",
            "output_format",
            "visibility",
            "tags",
            "extra_data",
        }
        assert isinstance(test["score"], float) and isinstance(test["max_score"], float)
        assert test["output_format"] == "text"
        assert test["visibility"] == r.visibility
        assert test["tags"][:2] == [r.assignment, r.verdict.outcome.value]
        assert test["extra_data"] == {
            "outcome": r.verdict.outcome.value,
            "examples": 50,
            "duration_s": 0.25,
            "title": r.title,
        }
        assert test["output"].startswith(r.title + "\n\n")  # the manifest's title comes first
    assert tests[0]["tags"] == ["engine", "passed", "forward"]


def test_gradescope_test_output_carries_full_feedback(report: GradeReport) -> None:
    wrong = gradescope_json(report)["tests"][1]["output"]
    for part in (
        "a.grad is wrong",
        "fix engine.neg.forward first",
        "With a = Value(2.0)",
        "print(a.grad)  # expected 1.0, got -1.0",
    ):
        assert part in wrong
    hostile = gradescope_json(report)["tests"][4]["output"]
    assert "\\x00\\x1b[2J" in hostile and "\x00" not in hostile and "\ufffd" in hostile


def test_gradescope_top_output_hides_hidden_checks(report: GradeReport) -> None:
    output = gradescope_json(report)["output"]
    assert "engine.sub.backward" in output
    assert "engine.tanh.backward" not in output and "secret check failed" not in output
    assert "forbidden import numpy" in output


def test_student_facing_output_keeps_the_seed_secret(report: GradeReport) -> None:
    seed_line = f"Seed: {report.seed}"
    assert seed_line not in gradescope_json(report)["output"]
    assert gradescope_json(report)["extra_data"]["seed"] == report.seed
    assert seed_line in text_summary(report)  # the instructor's local view shows it
    staff = dataclasses.replace(report, seeds={"engine": 1, "nn": 2})
    assert gradescope_json(staff)["extra_data"]["seeds"] == {"engine": 1, "nn": 2}
    student = for_audience(staff, "student")
    assert student.seeds == {} and "seeds" not in gradescope_json(student)["extra_data"]


def test_gradescope_replaces_non_finite_numbers() -> None:
    bad = make_report(
        [
            result(
                "engine.add.forward", Outcome.WRONG, float("nan"), 1.0, "x", duration_s=math.inf
            ),
            result("engine.mul.forward", Outcome.PASSED, 1.0, 1.0, "ok"),
        ],
        execution_time=float("nan"),
    )
    data = gradescope_json(bad)
    text = json.dumps(data, allow_nan=False)
    assert "NaN" not in text and "Infinity" not in text
    assert data["score"] == 1.0
    assert data["execution_time"] == 0
    assert data["tests"][0]["extra_data"]["duration_s"] == 0.0


def test_gradescope_unknown_visibility_becomes_hidden() -> None:
    odd = make_report(
        [result("engine.add.forward", Outcome.PASSED, 1, 1, "ok", visibility="sometimes")]
    )
    assert gradescope_json(odd)["tests"][0]["visibility"] == "hidden"


def test_gradescope_explains_internal_error_first(internal_report: GradeReport) -> None:
    output = gradescope_json(internal_report)["output"]
    assert output.index("The grader itself failed") < output.index("engine.add.forward")
    assert "KeyError('neg')" in output and "grading stopped early" in output


def test_gradescope_empty_report(empty_report: GradeReport) -> None:
    data = gradescope_json(empty_report)
    assert data["tests"] == [] and data["score"] == 0.0
    json.dumps(data, allow_nan=False)


def test_gradescope_caps_each_test_output() -> None:
    huge = make_report(
        [result("engine.add.forward", Outcome.WRONG, 0, 1, "wrong", feedback="y" * 100_000)]
    )
    output = gradescope_json(huge)["tests"][0]["output"]
    assert len(output.encode("utf-8")) <= TEST_OUTPUT_LIMIT
    assert output.endswith("[... truncated]")


def test_gradescope_caps_the_whole_file(tmp_path: Path) -> None:
    results = [
        result(f"engine.op{i}.backward", Outcome.WRONG, 0, 1, f"wrong {i}", feedback="z" * 50_000)
        for i in range(200)
    ]
    results.append(result("engine.add.forward", Outcome.PASSED, 1, 1, "short pass"))
    huge = make_report(results, messages=["m" * 2_000_000])
    path = write_gradescope(huge, tmp_path / "results.json")
    size = path.stat().st_size
    assert size <= FILE_LIMIT
    data = json.loads(path.read_text("utf-8"))
    assert len(data["tests"]) == 201
    assert data["output"].endswith("[... truncated]")
    assert all(len(t["output"].encode()) <= TEST_OUTPUT_LIMIT for t in data["tests"])
    assert data["tests"][0]["output"].endswith("[... truncated]")
    assert data["tests"][-1]["output"] == "engine add forward\n\nshort pass"  # left whole
    assert size > FILE_LIMIT * 0.8  # the budget is used, not thrown away


def test_write_gradescope_replaces_existing_file_whole(tmp_path: Path, report: GradeReport) -> None:
    path = tmp_path / "autograder" / "results" / "results.json"
    path.parent.mkdir(parents=True)
    path.write_text("{" + "x" * 5_000_000)
    write_gradescope(report, path)
    assert json.loads(path.read_text("utf-8")) == json.loads(json.dumps(gradescope_json(report)))
    assert os.listdir(path.parent) == ["results.json"]


# --- JUnit ------------------------------------------------------------------------------------


def test_junit_structure_and_counts(tmp_path: Path, report: GradeReport) -> None:
    path = write_junit(report, tmp_path / "reports" / "junit.xml")
    root = ET.parse(path).getroot()
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("6", "3", "1")
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["engine", "nn"]
    engine, nn = suites
    assert (engine.get("tests"), engine.get("failures"), engine.get("errors")) == ("5", "3", "1")
    assert (nn.get("tests"), nn.get("failures"), nn.get("errors")) == ("1", "0", "0")
    cases = engine.findall("testcase")
    assert [c.get("name") for c in cases] == [r.check_id for r in report.results[:5]]
    assert {c.get("classname") for c in cases} == {"engine"}
    assert cases[0].get("time") == "0.250"
    # passed: no failure, only the manifest's title as a property
    assert [(p.get("name"), p.get("value")) for p in cases[0].iter("property")] == [
        ("title", report.results[0].title)
    ]
    assert cases[0].find("failure") is None and cases[0].find("error") is None
    failure = cases[1].find("failure")
    assert failure is not None
    assert failure.get("type") == "wrong"
    assert failure.get("message") == "a.grad is wrong for a - 3.0: expected 1.0, got -1.0"
    assert "fix engine.neg.forward first" in (failure.text or "")
    assert "print(a.grad)" in (failure.text or "")
    error = cases[2].find("error")
    assert error is not None and error.get("type") == "timeout"
    props = {p.get("name"): p.get("value") for p in engine.iter("property")}
    assert props["seed"] == "20240917"
    assert props["isolation"] == "process"
    assert props["oracle"] == "torch 2.13.0 float64"
    assert "forbidden import numpy" in (engine.findtext("system-out") or "")


def test_junit_keeps_hostile_text_parseable(report: GradeReport) -> None:
    data = render_junit(report)
    root = ET.fromstring(data)  # raises on NUL or other XML-illegal characters
    hostile = next(c for c in root.iter("testcase") if c.get("name") == "engine.hostile")
    failure = hostile.find("failure")
    assert failure is not None
    assert "<script>x</script>" in (failure.get("message") or "")
    assert "</details>" in (failure.text or "") and "<b>bold?</b>" in (failure.text or "")
    assert b"<script>" not in data


def test_junit_reports_internal_error_as_error(internal_report: GradeReport) -> None:
    root = ET.fromstring(render_junit(internal_report))
    assert root.get("errors") == "1" and root.get("tests") == "2"
    grader = root.find("testsuite[@name='mgrade']/testcase[@name='grader']/error")
    assert grader is not None and grader.get("type") == "internal"
    assert "KeyError('neg')" in (grader.get("message") or "")


def test_junit_empty_report(empty_report: GradeReport) -> None:
    root = ET.fromstring(render_junit(empty_report))
    assert root.get("tests") == "0" and root.findall("testsuite") == []


def test_junit_can_leave_out_hidden_checks(report: GradeReport) -> None:
    root = ET.fromstring(render_junit(report, include_hidden=False))
    names = [c.get("name") for c in root.iter("testcase")]
    assert "engine.tanh.backward" not in names and len(names) == 5


# --- Markdown ---------------------------------------------------------------------------------

_UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


def test_markdown_headline_and_table_rows(report: GradeReport) -> None:
    md = render_markdown(report)
    assert md.startswith(f"## mgrade: 3.25/8.5 ({100 * 3.25 / 8.5:.1f}%)\n")
    rows = [line for line in md.splitlines() if line.startswith("| ")]
    assert rows[:2] == ["| Check | Points | Status | Reason |", "| --- | ---: | --- | --- |"]
    body = rows[2:]
    assert len(body) == len(report.results)
    assert all(len(_UNESCAPED_PIPE.findall(row)) == 5 for row in body)
    hostile = next(row for row in body if "engine\\.hostile" in row)
    assert "a\\|b" in hostile and "\\`tick\\`" in hostile
    assert "<script>" not in hostile
    assert "engine\\.tanh\\.backward _\\(hidden\\)_" in md


def test_markdown_details_for_each_failure(report: GradeReport) -> None:
    md = render_markdown(report)
    assert md.count("<details>") == len(report.failed) == 4
    assert md.count("</details>\n") >= 4
    assert "- fix engine\\.neg\\.forward first" in md
    assert "```python\n" + WRONG_REPRO + "\n```" in md
    # The hostile feedback holds a ``` line, so its fence is longer and contains it whole.
    assert "````text\n" in md and "```\nnot the end of the fence\n```" in md
    assert "\x00" not in md and "\x1b" not in md


def test_markdown_stays_under_step_summary_limit() -> None:
    results = [
        result(
            f"engine.op{i}.backward",
            Outcome.WRONG,
            0,
            1,
            "wrong",
            feedback="q" * 60_000,
            repro="r" * 60_000,
        )
        for i in range(100)
    ]
    md = render_markdown(make_report(results))
    assert len(md.encode("utf-8")) <= DOCUMENT_LIMIT
    assert "more failed checks were left out" in md
    assert md.count("| engine\\.op") == 100  # the table itself is never cut


def test_markdown_empty_and_internal_error(
    empty_report: GradeReport, internal_report: GradeReport
) -> None:
    assert "_No checks were run._" in render_markdown(empty_report)
    md = render_markdown(internal_report)
    assert "**Grader error.**" in md and "KeyError\\(\\'neg\\'\\) \\<b\\>" in md


def test_write_markdown_creates_parents(tmp_path: Path, report: GradeReport) -> None:
    path = write_markdown(report, tmp_path / "a" / "b" / "summary.md")
    assert path.read_text("utf-8") == render_markdown(report)


# --- HTML -------------------------------------------------------------------------------------


class _TagCollector(HTMLParser):
    """Records start tags and checks that block elements nest and close properly."""

    CHECKED = {"html", "head", "body", "table", "tr", "td", "section", "pre", "ul", "li", "p"}

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.stack: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += attrs
        if tag in self.CHECKED:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.CHECKED:
            assert self.stack and self.stack[-1] == tag, f"</{tag}> closes {self.stack[-1:]}"
            self.stack.pop()


def test_html_is_self_contained_and_escapes_student_text(report: GradeReport) -> None:
    page = render_html(report)
    parser = _TagCollector()
    parser.feed(page)
    parser.close()
    assert parser.stack == []
    assert "script" not in parser.tags and "b" not in parser.tags
    assert "link" not in parser.tags and "img" not in parser.tags
    assert not any(name == "src" for name, _ in parser.attrs)
    assert "&lt;script&gt;x&lt;/script&gt;" in page
    assert "<script" not in page.lower()
    assert "<style>" in page


def test_html_content(report: GradeReport) -> None:
    page = render_html(report)
    assert "3.25/8.5" in page
    assert page.count('<tr class="check passed"') == 2
    assert page.count('<tr class="check failed"') == 3
    assert page.count('<tr class="check error"') == 1
    # a detail row under each failed check that says more than its summary (not the timeout)
    assert page.count('<tr class="detail ') == 3
    assert '<pre class="repro"><code>from micrograd.engine import Value' in page
    assert "(hidden)" in page
    assert "<title>alice: 3.25/8.5" in page  # the tab names the submission
    assert "engine sub backward" in page  # the check's title
    # one section per assignment, linked from the summary, with unique ids everywhere
    ids = re.findall(r'id="([^"]+)"', page)
    hrefs = re.findall(r'href="#([^"]+)"', page)
    assert sorted(hrefs) == ["a-engine", "a-nn"] and set(hrefs) <= set(ids)
    assert len(set(ids)) == len(ids)


def test_html_empty_and_internal_error(
    tmp_path: Path, empty_report: GradeReport, internal_report: GradeReport
) -> None:
    assert "No checks were run." in render_html(empty_report)
    path = write_html(internal_report, tmp_path / "out" / "report.html")
    page = path.read_text("utf-8")
    assert "Grader error." in page and "KeyError(&#x27;neg&#x27;) &lt;b&gt;" in page


# --- atomic writes and write_reports ----------------------------------------------------------


def test_atomic_write_replaces_whole_file_and_leaves_no_temp(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "dir" / "out.txt"
    atomic_write_text(path, "long old content\n" * 1000)
    atomic_write_text(path, "new")
    assert path.read_text() == "new"
    assert os.listdir(path.parent) == ["out.txt"]


def test_atomic_write_failure_keeps_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "out.txt"
    path.write_text("old")

    def broken_replace(src: str, dst: object) -> None:
        raise OSError("disk on fire")

    monkeypatch.setattr(atomic_module.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk on fire"):
        atomic_write_text(path, "new")
    assert path.read_text() == "old"
    assert os.listdir(tmp_path) == ["out.txt"]


def test_atomic_write_keeps_existing_mode(tmp_path: Path) -> None:
    path = tmp_path / "out.txt"
    path.write_text("old")
    path.chmod(0o640)
    atomic_write_text(path, "new")
    assert path.stat().st_mode & 0o777 == 0o640
    fresh = atomic_write_text(tmp_path / "fresh.txt", "x")
    assert fresh.stat().st_mode & 0o777 == 0o644


def test_write_reports_writes_every_requested_file(tmp_path: Path, report: GradeReport) -> None:
    paths = write_reports(
        report,
        json_path=tmp_path / "gs" / "results.json",
        junit_path=tmp_path / "ci" / "junit.xml",
        md_path=tmp_path / "ci" / "summary.md",
        html_path=tmp_path / "html" / "report.html",
    )
    assert [p.name for p in paths] == ["results.json", "junit.xml", "summary.md", "report.html"]
    assert json.loads(paths[0].read_text("utf-8"))["score"] == report.score
    ET.parse(paths[1])
    assert paths[2].read_text("utf-8") == render_markdown(report)
    assert paths[3].read_text("utf-8") == render_html(report)
    assert write_reports(report) == []


def test_write_reports_continues_past_a_failure(tmp_path: Path, report: GradeReport) -> None:
    blocked = tmp_path / "summary.md"
    blocked.mkdir()  # a directory where the file should go: os.replace fails
    with pytest.raises(ReportWriteError) as caught:
        write_reports(
            report,
            json_path=tmp_path / "results.json",
            junit_path=tmp_path / "junit.xml",
            md_path=blocked,
            html_path=tmp_path / "report.html",
        )
    error = caught.value
    assert [p.name for p in error.written] == ["results.json", "junit.xml", "report.html"]
    assert list(error.failures) == ["markdown"]
    assert error.failures["markdown"][0] == blocked
    assert isinstance(error.__cause__, OSError)
    assert "markdown report" in str(error) and str(blocked) in str(error)
    assert (tmp_path / "report.html").exists()
    assert sorted(os.listdir(tmp_path)) == [
        "junit.xml",
        "report.html",
        "results.json",
        "summary.md",
    ]


def test_release_after_due_date_is_marked_and_withheld_like_hidden() -> None:
    later = make_report(
        [
            result("engine.add.forward", Outcome.PASSED, 1.0, 1.0, "ok"),
            result(
                "engine.exp.backward",
                Outcome.WRONG,
                0.0,
                1.0,
                "late reveal",
                visibility="after_due_date",
            ),
        ]
    )
    assert "engine.exp.backward (after due date)" in record_text(later)
    assert gradescope_json(later)["tests"][1]["visibility"] == "after_due_date"
    assert "engine.exp.backward" not in gradescope_json(later)["output"]
    assert "engine\\.exp\\.backward" not in render_markdown(later, include_hidden=False)
    assert "engine.exp.backward" not in render_html(later, include_hidden=False)


# --- any student text ---------------------------------------------------------------------------

_CELL_SPLIT = re.compile(r"(?<!\\)(?:\\\\)*\|")  # a pipe after an even number of backslashes


@settings(max_examples=60)
@given(
    summary=st.text(max_size=80),
    feedback=st.text(max_size=300),
    repro=st.none() | st.text(max_size=120),
    note=st.text(max_size=40),
    message=st.text(max_size=60),
)
def test_every_format_survives_arbitrary_student_text(
    summary: str, feedback: str, repro: str | None, note: str, message: str
) -> None:
    odd = make_report(
        [
            result("engine.add.forward", Outcome.PASSED, 1, 1, summary),
            result(
                "engine.sub.backward",
                Outcome.RAISED,
                0,
                1,
                summary,
                feedback=feedback,
                repro=repro,
                notes=(note,),
            ),
        ],
        messages=[message],
    )
    out = record_text(odd)
    assert "engine.sub.backward" in out and "\x1b" not in out
    data = gradescope_json(odd)
    json.dumps(data, allow_nan=False).encode("utf-8")
    ET.fromstring(render_junit(odd))
    rows = [line for line in render_markdown(odd).splitlines() if line.startswith("| engine")]
    assert [len(_CELL_SPLIT.findall(row)) for row in rows] == [5, 5]
    page = render_html(odd)
    parser = _TagCollector()
    parser.feed(page)
    parser.close()
    assert parser.stack == [] and "script" not in parser.tags


def test_every_format_shows_a_blocked_check_as_blocked_with_zero_points() -> None:
    blocked = result("engine.backward.deep", Outcome.BLOCKED, 0.0, 1.0,
                     "blocked by engine.add.backward",
                     feedback="Not tested: the chain is built from `+`. Fix that check first.",
                     assignment="backprop")
    failed = result("engine.add.backward", Outcome.WRONG, 0.0, 2.0, "a.grad is 1.0",
                    assignment="ops")
    report = make_report([failed, blocked], assignments=["ops", "backprop"])

    screen = io.StringIO()
    render_text(report, Console(file=screen, width=200, color_system=None))
    assert "blocked" in screen.getvalue() and "failed (blocked)" not in screen.getvalue()
    assert "0.0/1.0" in screen.getvalue()

    tests = {t["name"]: t for t in gradescope_json(report)["tests"]}
    assert tests["engine.backward.deep"]["status"] == "failed"
    assert tests["engine.backward.deep"]["score"] == 0
    assert "blocked" in tests["engine.backward.deep"]["tags"]
    assert "blocked by engine.add.backward" in tests["engine.backward.deep"]["output"]

    root = ET.fromstring(render_junit(report))
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert suites["backprop"].get("skipped") == "1" and suites["backprop"].get("failures") == "0"
    assert suites["ops"].get("failures") == "1" and root.get("skipped") == "1"
    case = next(c for c in root.iter("testcase") if c.get("name") == "engine.backward.deep")
    skipped = case.find("skipped")
    assert skipped is not None and skipped.get("message") == "blocked by engine.add.backward"
    assert case.find("failure") is None

    markdown = render_markdown(report)
    assert "| ⛔ blocked | blocked by engine" in markdown and "❌ blocked" not in markdown
    page = render_html(report)
    assert 'data-status="blocked"' in page and "\u2298 blocked<" in page
