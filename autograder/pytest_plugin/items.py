"""What pytest collects from a student kit: one File per kit manifest, one Item per visible check.

Node ids read `assignments/ops/assignment.toml::engine.tanh.backward`, so `pytest -k tanh`,
`pytest -m ops` (one marker per assignment) and a node id pasted from the output all work, and an
editor's test panel jumps to the check's table in the manifest. Nothing here starts a worker or
imports the submission: collecting is reading TOML.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from autograder.pytest_plugin.grades import CheckFailed, judge

if TYPE_CHECKING:
    from autograder.manifest import Assignment

# pytest's own marks change how a test runs; an assignment named like one gets no marker.
_PYTEST_MARKS = frozenset({"skip", "skipif", "xfail", "parametrize", "usefixtures",
                           "filterwarnings"})
_CHECK_TABLE = re.compile(r'^\s*\[\s*checks\s*\.\s*(?:"([^"]+)"|([A-Za-z0-9_-]+))\s*\]')


class KitManifest(pytest.File):
    """`assignments/<id>/assignment.toml` of a kit: its visible checks, in manifest order."""

    assignment: Assignment

    def collect(self) -> Iterator[CheckItem]:
        from autograder.checks import catalogue
        from autograder.kitcheck import visible_checks
        from autograder.manifest import load_assignment

        self.assignment = load_assignment(self.path, catalogue().keys())
        marker = _register_marker(self.config, self.assignment)
        lines = _check_lines(self.path.read_text(encoding="utf-8"))
        for position, check_id in enumerate(visible_checks([self.assignment])):
            item = CheckItem.from_parent(self, name=check_id, assignment=self.assignment.id,
                                         position=position, line=lines.get(check_id))
            if marker:
                item.add_marker(marker)
            yield item

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> Any:
        from autograder.manifest import ManifestError

        if isinstance(excinfo.value, ManifestError):
            return str(excinfo.value)  # it names the file, the key and the problem
        return super().repr_failure(excinfo)


class CheckItem(pytest.Item):
    """One visible check of a kit. Its verdict comes from the kit's shared grade (`grades`)."""

    def __init__(self, *, assignment: str, position: int, line: int | None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.assignment = assignment
        self.position = position  # in the manifest
        self.line = line  # 0-based line of its [checks."<id>"] table, if found

    @property
    def kit(self) -> Path:
        """The graded folder: the one holding `assignments/` (and the student's `micrograd/`)."""
        return self.path.parent.parent.parent

    def runtest(self) -> None:
        judge(self)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> Any:
        if isinstance(excinfo.value, CheckFailed):
            return str(excinfo.value)  # the grader's words, with no traceback around them
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, self.line, f"{self.assignment}: {self.name}"


def in_suggested_order(items: Sequence[CheckItem]) -> list[CheckItem]:
    """`items` kit by kit (in the order first seen), each kit's in the order of its README:
    assignments by `suggested_order`, checks by their place in the manifest."""
    from autograder.release.kit import suggested_order

    kits = list(dict.fromkeys(item.kit for item in items))
    rank: dict[tuple[Path, str], int] = {}
    for kit in kits:
        by_id = {item.parent.assignment.id: item.parent.assignment
                 for item in items if item.kit == kit and isinstance(item.parent, KitManifest)}
        rank |= {(kit, a): i for i, a in enumerate(suggested_order(list(by_id), by_id))}
    return sorted(items, key=lambda item: (kits.index(item.kit),
                                           rank.get((item.kit, item.assignment), len(rank)),
                                           item.position))


def _register_marker(config: pytest.Config, assignment: Assignment) -> str | None:
    """Register the assignment's marker (so `--strict-markers` accepts it); None when its id is
    one of pytest's own marks, which would change how the checks run."""
    if assignment.id in _PYTEST_MARKS:
        warnings.warn(pytest.PytestWarning(
            f"{assignment.path}: the assignment id {assignment.id!r} is also a pytest mark, so "
            f"its checks get no marker; select them with -k instead of -m"), stacklevel=1)
        return None
    known = {line.split(":", 1)[0].split("(", 1)[0].strip()
             for line in config.getini("markers")}
    if assignment.id not in known:
        config.addinivalue_line("markers", f"{assignment.id}: the checks of {assignment.title}")
    return assignment.id


def _check_lines(text: str) -> dict[str, int]:
    """Check id -> the 0-based line of its table in the manifest's text."""
    found: dict[str, int] = {}
    for number, line in enumerate(text.splitlines()):
        match = _CHECK_TABLE.match(line)
        if match:
            found.setdefault(match.group(1) or match.group(2), number)
    return found
