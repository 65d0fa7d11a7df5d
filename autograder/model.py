"""The grade's data model: what each pipeline stage hands to the next.

Checks produce `Verdict`s (what happened), scoring turns them into `CheckResult`s (what it is
worth), and a `GradeReport` is the one object every reporter reads. Nothing here touches student
objects: all values are plain Python data made in the grader's process.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Outcome(StrEnum):
    """Why a check passed or failed. Only PASSED earns points (docs/CHECKS.md, "Which statuses
    earn points"); reporters map everything else to "failed", BLOCKED to "blocked"."""

    PASSED = "passed"
    WRONG = "wrong"  # ran, but a value differs from the oracle
    RAISED = "raised"  # student code raised an exception
    NOT_IMPLEMENTED = "not_implemented"  # NotImplementedError, or the method does not exist
    BAD_RETURN = "bad_return"  # returned a float/None/non-Value where a Value was expected
    TIMEOUT = "timeout"  # wall-clock limit; the worker was killed
    CRASHED = "crashed"  # worker died: signal, exit() inside an op, memory limit
    PROTOCOL = "protocol"  # the worker sent something that is not a valid reply
    POLICY = "policy"  # a forbidden import (torch, numpy, ...) touched this check
    LOAD_ERROR = "load_error"  # the submission could not be found or imported
    INTERNAL = "internal"  # the grader itself failed; never the student's fault
    BLOCKED = "blocked"  # could not test what it names: a check it relies on failed

    @property
    def passed(self) -> bool:
        return self is Outcome.PASSED


VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")
# What a student sees while working: a kit's manifests, `mgrade check` and every student-audience
# report hold only these checks. The others are withheld until the course releases them.
STUDENT_VISIBLE = ("visible",)

Grad = float | str | None  # a gradient: a float, a worker tag ("nan", "bad:NoneType"), or unknown


@dataclass(frozen=True)
class GraphNode:
    """One Value of a counterexample graph, with what the grader expected and what it got."""

    id: str  # the name the repro snippet gives it: a, b, out, x0, n3
    label: str  # how it is made, e.g. "x0 * n3"; a leaf's label is its id
    op: str  # the op's name ("mul", "tanh"); "" for a leaf
    data: float | None  # its forward value, as computed by the grader
    expected_grad: Grad  # the oracle's gradient; None when not computed
    got_grad: Grad  # the submission's gradient; None when the check did not read it
    wrong: bool = False  # the check compared the two and they differ

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "label": self.label, "op": self.op, "data": self.data,
                "expected_grad": self.expected_grad, "got_grad": self.got_grad,
                "wrong": self.wrong}


@dataclass(frozen=True)
class ComputationGraph:
    """A failing example as a graph: what a report draws next to a wrong gradient.

    `nodes` are in topological order (every node after its inputs), so walking them backwards is
    one order backward() may use; `edges` are (input id, result id), once per use.
    """

    nodes: tuple[GraphNode, ...]
    edges: tuple[tuple[str, str], ...]

    @property
    def output(self) -> GraphNode:
        return self.nodes[-1]

    def first_wrong(self) -> GraphNode | None:
        """The first node, in backward order (output first), whose gradient is wrong."""
        return next((node for node in reversed(self.nodes) if node.wrong), None)

    def users(self, node_id: str) -> list[GraphNode]:
        """The nodes `node_id` feeds into (each once)."""
        ids = dict.fromkeys(dst for src, dst in self.edges if src == node_id)
        return [node for node in self.nodes if node.id in ids]

    def to_json(self) -> dict[str, Any]:
        return {"nodes": [n.to_json() for n in self.nodes], "edges": [list(e) for e in self.edges]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ComputationGraph:
        """The inverse of `to_json` (results.json's per-test `extra_data.graph`)."""
        nodes = tuple(GraphNode(str(n["id"]), str(n["label"]), str(n["op"]), n["data"],
                                n["expected_grad"], n["got_grad"], bool(n.get("wrong")))
                      for n in data["nodes"])
        return cls(nodes, tuple((str(a), str(b)) for a, b in data["edges"]))


@dataclass(frozen=True)
class Verdict:
    """What one check found. `summary` is one line; `feedback` is the full text a student reads."""

    check_id: str
    outcome: Outcome
    summary: str
    feedback: str = ""
    repro: str | None = None  # a snippet the student can paste and run
    examples: int = 0  # how many generated examples were tried
    notes: tuple[str, ...] = ()  # e.g. "fix engine.neg.forward first"
    graph: ComputationGraph | None = None  # a failing backward example, to draw
    losses: tuple[float | None, ...] = ()  # a training run's loss per step (None: not finite)

    @property
    def passed(self) -> bool:
        return self.outcome.passed


@dataclass(frozen=True)
class CheckResult:
    """A verdict with its points, as the assignment manifest prices it."""

    check_id: str
    title: str
    assignment: str
    max_score: float
    score: float
    visibility: str
    verdict: Verdict
    duration_s: float = 0.0
    tags: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return self.verdict.passed


@dataclass
class GradeReport:
    """Everything a reporter needs. Built once per submission; never mutated by reporters."""

    submission: str
    assignments: list[str]
    seed: int  # the --seed/MGRADE_SEED override, else the first assignment's manifest seed
    isolation: str
    isolation_note: str
    oracle: str
    grader_version: str
    results: list[CheckResult] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)  # top-level notes (policy, load errors, ...)
    execution_time: float = 0.0
    internal_error: str | None = None  # set when grading could not complete
    assignment_titles: dict[str, str] = field(default_factory=dict)  # id -> manifest title
    audience: str = "instructor"  # "student": withheld checks and the seed are left out

    @property
    def shows_seed(self) -> bool:
        """The seed picks the hidden inputs: with it a student could replay them, so only the
        instructor's view shows it."""
        return self.audience == "instructor"
    seeds: dict[str, int] = field(default_factory=dict)  # the seed each assignment was graded with

    @property
    def score(self) -> float:
        return round(sum(r.score for r in self.results), 6)

    @property
    def max_score(self) -> float:
        return round(sum(r.max_score for r in self.results), 6)

    @property
    def percent(self) -> float:
        return 100.0 * self.score / self.max_score if self.max_score else 0.0

    @property
    def failed(self) -> list[CheckResult]:
        return [r for r in self.results if not r.passed]
