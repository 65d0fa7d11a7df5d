"""The hostile catalogue itself: every threat of docs/SECURITY.md has a case, every case has its
files and a well-formed expectation. Fast, so it runs in `make test-fast` too."""

from __future__ import annotations

import re

from hostile_support import CASES_DIR, CATEGORIES, REPO, load_cases

from autograder.checks import catalogue
from autograder.model import Outcome

CASES = load_cases()
LEVELS = {"namespace", "uid", "process", "process-privileged"}


def _threats_in_security_doc() -> set[int]:
    text = (REPO / "docs" / "SECURITY.md").read_text()
    table = text.split("## Threats and the cases that test them", 1)[1]
    return {int(n) for n in re.findall(r"^\| (\d+) \|", table, flags=re.MULTILINE)}


def test_at_least_forty_cases_cover_every_threat() -> None:
    assert len(CASES) >= 40
    listed = _threats_in_security_doc()
    assert listed == set(range(1, 31))
    covered = {t for case in CASES for t in case.threats}
    assert covered >= listed, f"threats without a case: {sorted(listed - covered)}"


def test_security_doc_names_every_case() -> None:
    text = (REPO / "docs" / "SECURITY.md").read_text()
    missing = [case.name for case in CASES if f"`{case.name}`" not in text]
    assert missing == []


def test_every_case_has_files_and_every_folder_a_case() -> None:
    folders = {p.name for p in CASES_DIR.iterdir() if p.is_dir()}
    assert folders == {case.name for case in CASES}
    for case in CASES:
        folder = CASES_DIR / case.name
        assert (folder / "patch.py").exists() or (folder / "tree").is_dir(), case.name


def test_expectations_are_well_formed() -> None:
    known = set(catalogue())
    outcomes = {o.value for o in Outcome}
    for case in CASES:
        assert case.what and case.threats, case.name
        assert set(case.outcome) <= outcomes, case.name
        assert case.assignment in ("ops", "backprop"), case.name
        for pattern in case.fail + case.either:
            assert any(re.fullmatch(pattern.replace(".", r"\.").replace("*", ".*"), cid)
                       for cid in known), f"{case.name}: {pattern} matches no check"
        for level, gaps in case.gaps.items():
            assert level in LEVELS and set(gaps) <= set(CATEGORIES), case.name
        assert set(case.skip) <= LEVELS, case.name
        assert 0 < case.max_wall_s <= 60, case.name
