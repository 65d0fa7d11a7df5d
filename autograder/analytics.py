"""Class analytics over a tree of results.json files (what `grade-all` writes, or any copies).

Reads every `results.json` below a folder, at any depth; the folder holding one names its
submission (`out/alice/results.json` is "alice"). From them: each submission's score, each
check's pass rate, the most common failure messages per check (numbers folded, so "a.grad is
0.5" and "a.grad is 0.25" count as one message), and the pairs of checks that fail together most
often, which points an instructor at a shared root cause.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

RESULTS_NAME = "results.json"
_NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?(?![\w])"
                     r"|(?<![\w])-?(?:nan|inf)(?![\w])")


class ResultsError(Exception):
    """A results tree that cannot be read; the message names the file and the problem."""


@dataclass(frozen=True)
class TestRecord:
    check_id: str
    assignment: str
    passed: bool
    outcome: str
    message: str  # the first line of the test's output
    title: str = ""


@dataclass(frozen=True)
class Submission:
    name: str
    path: Path
    score: float
    max_score: float
    tests: tuple[TestRecord, ...]

    @property
    def percent(self) -> float | None:
        return 100.0 * self.score / self.max_score if self.max_score > 0 else None

    @property
    def failed(self) -> set[str]:
        return {t.check_id for t in self.tests if not t.passed}


@dataclass
class CheckStats:
    check_id: str
    assignment: str
    title: str
    graded: int = 0
    passed: int = 0
    messages: Counter[str] = field(default_factory=Counter)  # folded message -> count
    examples: dict[str, str] = field(default_factory=dict)  # folded message -> one as written

    @property
    def failed(self) -> int:
        return self.graded - self.passed

    @property
    def pass_rate(self) -> float:
        return self.passed / self.graded if self.graded else 0.0


@dataclass(frozen=True)
class Pair:
    first: str
    second: str
    both: int  # submissions failing both
    either: int  # submissions failing at least one

    @property
    def jaccard(self) -> float:
        return self.both / self.either if self.either else 0.0


@dataclass(frozen=True)
class ClassStats:
    submissions: list[Submission]
    checks: list[CheckStats]  # in first-seen order
    pairs: list[Pair]  # most frequent co-failures first


def fold(message: str) -> str:
    """A failure message with its numbers replaced by "#", so the same mistake counts once."""
    return _NUMBER.sub("#", message)


def find_results(root: Path) -> list[Path]:
    """Every results.json at or below `root` (a folder, or one results file), sorted."""
    if root.is_file():
        return [root]
    if not root.is_dir():
        raise ResultsError(f"{root}: no such folder")
    found = sorted(p for p in root.rglob(RESULTS_NAME) if p.is_file())
    if not found:
        raise ResultsError(f"{root}: no {RESULTS_NAME} files found at any depth below it "
                           "(grade a class first: mgrade grade-all SUBMISSIONS --out DIR)")
    return found


def _name(path: Path, root: Path) -> str:
    if root.is_file() or path.parent == root:
        return path.parent.resolve().name or str(path)
    return path.parent.relative_to(root).as_posix()


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{where} is {value!r}, not a number")
    return float(value)


def read_submission(path: Path, name: str) -> Submission:
    """One results.json; raises ResultsError naming the file and what is wrong with it."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ResultsError(f"{path}: cannot read it: {exc}") from None
    except json.JSONDecodeError as exc:
        raise ResultsError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno}, "
                           f"column {exc.colno})") from None
    try:
        if not isinstance(data, dict) or not isinstance(data.get("tests"), list):
            raise ValueError("it has no \"tests\" list, so it is not a results.json from mgrade")
        tests = []
        for i, test in enumerate(data["tests"]):
            where = f"tests[{i}]"
            if not isinstance(test, dict) or not isinstance(test.get("name"), str):
                raise ValueError(f"{where} has no check name")
            extra = test.get("extra_data") if isinstance(test.get("extra_data"), dict) else {}
            tags = test.get("tags") if isinstance(test.get("tags"), list) else []
            output = str(test.get("output") or "").strip()
            tests.append(TestRecord(
                check_id=test["name"], assignment=str(tags[0]) if tags else "",
                passed=test.get("status") == "passed",
                outcome=str(extra.get("outcome") or test.get("status") or ""),
                message=output.split("\n", 1)[0], title=str(extra.get("title") or "")))
        max_score = sum(_number(t.get("max_score", 0), f"tests[{i}].max_score")
                        for i, t in enumerate(data["tests"]))
        score = _number(data.get("score", 0), "score")
    except ValueError as exc:
        raise ResultsError(f"{path}: {exc}") from None
    return Submission(name, path, score, max_score, tuple(tests))


def load_class(root: Path) -> list[Submission]:
    """Every submission below `root`; one ResultsError lists every file that could not be read."""
    submissions, problems = [], []
    for path in find_results(root):
        try:
            submissions.append(read_submission(path, _name(path, root)))
        except ResultsError as exc:
            problems.append(str(exc))
    if problems:
        raise ResultsError("\n".join(problems))
    return submissions


def analyse(submissions: list[Submission], titles: dict[str, str] | None = None,
            top_pairs: int = 15) -> ClassStats:
    titles = titles or {}
    checks: dict[str, CheckStats] = {}
    for sub in submissions:
        for test in sub.tests:
            stats = checks.get(test.check_id)
            if stats is None:
                stats = checks[test.check_id] = CheckStats(
                    test.check_id, test.assignment, test.title or titles.get(test.check_id, ""))
            stats.graded += 1
            if test.passed:
                stats.passed += 1
            else:
                key = fold(test.message) or f"({test.outcome})"
                stats.messages[key] += 1
                stats.examples.setdefault(key, test.message)
    failing = [sub.failed for sub in submissions]
    pairs = []
    for a, b in itertools.combinations(list(checks), 2):
        both = sum(1 for f in failing if a in f and b in f)
        if both:
            either = sum(1 for f in failing if a in f or b in f)
            pairs.append(Pair(a, b, both, either))
    pairs.sort(key=lambda p: (-p.both, -p.jaccard, p.first, p.second))
    return ClassStats(submissions, list(checks.values()), pairs[:top_pairs])


def pass_rates_csv(stats: ClassStats) -> str:
    """check, assignment, title, graded, passed, failed, pass_rate: one row per check."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["check", "assignment", "title", "graded", "passed", "failed", "pass_rate"])
    for c in stats.checks:
        writer.writerow([c.check_id, c.assignment, c.title, c.graded, c.passed, c.failed,
                         f"{c.pass_rate:.4f}"])
    return buffer.getvalue()
