"""The HTML reports as a browser shows them: headless Chromium (Debian's), driven by playwright.

Skipped, with the reason, where playwright or Chromium is missing. Each test saves a full-page
screenshot under out/test-artifacts/ and prints its path.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from browser import chromium_path, open_page, screenshot
from reportdata import graded

from autograder.analytics import analyse, load_class
from autograder.reporters import write_gradescope, write_html
from autograder.reporters.class_html import write_class_html

pytest.importorskip("graphviz")
pytestmark = pytest.mark.slow  # grades two submissions and starts a browser


@pytest.fixture(autouse=True)
def _browser_present() -> None:
    chromium_path()  # skip, saying why, before spending time on grading


def test_a_buggy_submission_report_in_the_browser(tmp_path: Path) -> None:
    report = graded("wrong_tanh_derivative")
    path = write_html(report, tmp_path / "report.html")
    with open_page(path) as page:
        assert page.title().startswith("wrong_tanh_derivative: ")
        rows = page.locator("tr.check")
        assert rows.count() == len(report.results) > 30
        failed = page.locator('tr.check[data-status="failed"]')
        assert failed.count() == 1
        assert failed.get_attribute("data-check") == "engine.tanh.backward"
        assert "tanh" in failed.locator(".title").inner_text()
        # the whole row is tinted, not just the status word
        background = failed.locator("td.check").evaluate(
            "e => getComputedStyle(e).backgroundColor")
        assert background == "rgb(255, 235, 233)"
        detail = page.locator("tr.detail.failed")
        svg = detail.locator("figure.graph svg")
        assert svg.count() == 1 and svg.is_visible()
        wrong = svg.locator("g.node.wrong")
        assert wrong.count() == 1
        assert wrong.locator("title").text_content() == "a"  # SVG: text_content, not inner_text
        assert "WRONG grad" in (wrong.text_content() or "")  # a marker readable without colour
        assert svg.locator("g.node.unread").count() == 1  # out: seeded, not read
        callout = detail.locator(".first-wrong").inner_text()
        assert callout.startswith("The first wrong gradient in backward order is a:")
        assert detail.locator("pre.repro code").inner_text().startswith(
            "from micrograd.engine import Value")
        # code in feedback is code, not literal backticks
        assert detail.locator(".feedback code").count() >= 1
        assert "`" not in detail.locator(".feedback").inner_text()
        shot = screenshot(page, "report-wrong_tanh_derivative.png")
    assert shot.stat().st_size > 10_000


def test_the_class_report_in_the_browser(tmp_path: Path) -> None:
    root = tmp_path / "graded"
    layout = {"sec1/alice": "wrong_tanh_derivative", "sec1/bob": "topo_not_reversed",
              "sec2/carol/attempt1": "wrong_tanh_derivative"}
    for student, example in layout.items():
        write_gradescope(graded(example), root / student / "results.json")
    stats = analyse(load_class(root))
    path = write_class_html(stats, str(root), tmp_path / "class.html")
    with open_page(path) as page:
        assert page.title() == "Class report: 3 submissions \u00b7 mgrade"
        assert page.locator("#scores svg").count() == 1
        rates = page.locator("#pass-rates svg")
        assert rates.count() == 1 and "engine.tanh.backward" in (rates.text_content() or "")
        row = page.locator('#pass-rates tr[data-check="engine.tanh.backward"]')
        assert row.locator("td").nth(2).inner_text() == "1"  # passed by bob only
        assert row.locator("td").nth(4).inner_text() == "33%"
        pairs = page.locator("#co-failures table.pairs tbody tr")
        assert pairs.count() >= 1
        # bob fails the five engine.backward checks together, and nothing else does
        cells = pairs.first.locator("td")
        pair = {cells.nth(0).inner_text(), cells.nth(1).inner_text()}
        assert len(pair) == 2 and all(c.startswith("engine.backward.") for c in pair)
        assert (cells.nth(2).inner_text(), cells.nth(3).inner_text()) == ("1", "100%")
        assert pairs.count() == 10  # 5 checks, every pair once
        tanh = page.locator('#failures .check-failures[data-check="engine.tanh.backward"]')
        assert "failed by 2 of 3" in tanh.inner_text()
        assert "2\u00d7" in tanh.locator("li").first.inner_text()
        screenshot(page, "class-report.png")
    stored = json.loads((root / "sec1/bob/results.json").read_text())
    assert any("graph" in t["extra_data"] for t in stored["tests"])
