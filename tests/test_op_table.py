"""The op table is the one source: an op added as one row gets everything that follows from it.

`softplus` below is one `Op` row appended to a copy of the table, and nothing else is edited. The
tests show it gets forward and backward checks that pass on a right engine and fail on a wrong
one, support in both oracles, random graphs, an entry in the worker's method report, a priced
place in a manifest written with selectors, and a docs row.
"""

from __future__ import annotations

import math
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autograder import domains
from autograder.checks import CheckContext, CheckDef
from autograder.checks.engine_ops import op_checks
from autograder.checks.graphs import graphs
from autograder.compare import FORWARD_RTOL, GRAPH_RTOL, close
from autograder.ir import Program
from autograder.loader import load_submission
from autograder.manifest import load_assignment
from autograder.model import Outcome
from autograder.ops import OPS, Op, by_name, engine_methods, markdown_table, sigmoid
from autograder.oracles import PythonOracle, TorchOracle
from autograder.sandbox import detect_isolation
from autograder.session import SessionConfig, WorkerSession

REPO = Path(__file__).resolve().parents[1]

SOFTPLUS = Op("softplus", "a.softplus()", "softplus", ("a",), (),
              lambda: st.fixed_dictionaries({"a": domains.reals(15.0)}),
              forward=lambda a: math.log1p(math.exp(-abs(a))) + max(a, 0.0),
              local=lambda out, a: (sigmoid(a),), inputs_doc="[-15, 15]", pinned=({"a": 0.0},),
              torch_expr="torch.nn.functional.softplus(a)",
              tex=(r"\ln(1 + e^a)", r"\frac{d}{da} = \sigma(a)"))
TABLE = (*OPS, SOFTPLUS)

SOFTPLUS_METHOD = """

def _softplus(self):
    out = Value(math.log1p(math.exp(-abs(self.data))) + max(self.data, 0.0), (self,), "softplus")

    def _backward():
        self.grad += {derivative} * out.grad

    out._backward = _backward
    return out


Value.softplus = _softplus
"""
RIGHT = "(1 / (1 + math.exp(-self.data)))"
WRONG = "(1 / (1 + math.exp(self.data)))"  # sigmoid(-x): a sign slip


def _engine(tmp_path: Path, name: str, derivative: str | None) -> Path:
    """The reference package, with a softplus method added unless `derivative` is None."""
    root = tmp_path / f"submission-{name}"
    shutil.copytree(REPO / "reference" / "micrograd", root / "micrograd",
                    ignore=shutil.ignore_patterns("__pycache__", "viz.py"))
    if derivative is not None:
        engine = root / "micrograd" / "engine.py"
        engine.write_text(engine.read_text() + SOFTPLUS_METHOD.format(derivative=derivative))
    return root


@pytest.fixture
def sessions(tmp_path: Path) -> Iterator[dict[str, WorkerSession]]:
    """One worker per engine (right, wrong, missing softplus), told to report the table's methods.
    """
    config = SessionConfig(call_timeout_s=20, methods=engine_methods(TABLE))
    made = {}
    for name, derivative in (("right", RIGHT), ("wrong", WRONG), ("missing", None)):
        staged = load_submission(_engine(tmp_path, name, derivative), tmp_path / f"stage-{name}")
        made[name] = WorkerSession(staged, detect_isolation("process"), config)
    yield made
    for session in made.values():
        session.close()


def _checks() -> dict[str, CheckDef]:
    return {check.id: check for check in op_checks(TABLE)}


def test_one_row_gives_the_op_its_two_checks() -> None:
    checks = _checks()
    forward, backward = checks["engine.softplus.forward"], checks["engine.softplus.backward"]
    assert (forward.group, backward.group) == ("ops", "ops")  # one worker for every op check
    assert backward.needs == ("engine.softplus.forward",)
    assert forward.placeholders == {"op": "softplus", "operation": "a.softplus()", "kind": "core"}
    assert list(checks)[:-2] == [check.id for check in op_checks(OPS)]


def test_the_worker_reports_the_new_method(sessions: dict[str, WorkerSession]) -> None:
    assert sessions["right"].ensure_started().methods["softplus"] == "ok"
    assert sessions["missing"].ensure_started().methods["softplus"] == "missing"
    assert engine_methods(TABLE) == engine_methods(OPS)[:-1] + ("softplus", "backward")


@pytest.mark.parametrize("oracle", [TorchOracle(TABLE), PythonOracle(TABLE)],
                         ids=["torch", "python"])
def test_the_new_op_is_graded_against_either_oracle(sessions: dict[str, WorkerSession],
                                                    oracle) -> None:
    checks = _checks()

    def verdict(engine: str, part: str):
        ctx = CheckContext(sessions[engine], oracle, 7, 15)
        return checks[f"engine.softplus.{part}"].run(ctx)

    assert verdict("right", "forward").outcome is Outcome.PASSED
    assert verdict("right", "backward").outcome is Outcome.PASSED
    assert verdict("wrong", "forward").outcome is Outcome.PASSED
    wrong = verdict("wrong", "backward")
    assert wrong.outcome is Outcome.WRONG
    assert "after backward through `a.softplus()`, a.grad is" in wrong.summary
    missing = verdict("missing", "forward")
    assert missing.outcome is Outcome.NOT_IMPLEMENTED
    assert "needs `Value.softplus`, which is not defined" in missing.summary


@settings(max_examples=60)
@given(st.floats(-15, 15, allow_nan=False), st.floats(-3, 3, allow_nan=False))
def test_both_oracles_run_the_new_op_from_its_row(x: float, upstream: float) -> None:
    program = Program()
    a = program.value(x)
    out = program.apply(SOFTPLUS.expr, {"a": a})
    program.read(out, "data")
    program.local_backward(out, upstream)
    program.read(a, "grad")
    torch_value, torch_grad = TorchOracle(TABLE).run(program)
    python_value, python_grad = PythonOracle(TABLE).run(program)
    assert close(python_value, torch_value, FORWARD_RTOL)
    assert close(python_grad, torch_grad, 1e-13, abs(upstream))
    assert close(torch_value, math.log1p(math.exp(x)), 1e-9)


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(graphs(["softplus", "add", "mul"], max_nodes=6, min_nodes=2, table=by_name(TABLE)))
def test_random_graphs_use_the_new_op(sessions: dict[str, WorkerSession], graph) -> None:
    program = Program()
    slots = graph.build(program)
    program.backward(slots[-1])
    for slot in slots[:len(graph.leaves)]:
        program.read(slot, "grad")
    program.read(slots[-1], "data")
    expected = TorchOracle(TABLE).run(program)
    scale = max(abs(v) for v in expected)
    python = PythonOracle(TABLE).run(program)
    worker = sessions["right"].run(program.steps, program.reads)
    assert worker.ok
    for got in (python, list(worker.values)):
        assert all(close(g, e, GRAPH_RTOL, scale) for g, e in zip(got, expected, strict=True))
    snippet = graph.snippet("out", expected[-1], "?", "PyTorch")
    assert ("softplus()" in snippet) == any(node.op == "softplus" for node in graph.nodes)


def test_some_random_graph_holds_the_new_op() -> None:
    found = []

    @settings(max_examples=30, database=None)
    @given(graphs(["softplus", "add"], table=by_name(TABLE)))
    def draw(graph) -> None:
        found.extend(node.op for node in graph.nodes)

    draw()
    assert "softplus" in found


def test_a_manifest_with_selectors_prices_the_new_op() -> None:
    known = {check.id: check for check in op_checks(TABLE)}
    ops = load_assignment(REPO / "assignments" / "ops", known)
    spec = ops.check("engine.softplus.backward")
    assert (spec.points, spec.title, spec.tags) == (
        2.0, "softplus: backward (local gradient) of a.softplus()", ("ops", "backward", "core"))
    assert ops.max_score == 38.0 + 3.0


def test_the_new_op_gets_a_docs_row() -> None:
    assert markdown_table(TABLE).splitlines()[-1] == (
        "| softplus | `a.softplus()` | `softplus` | [-15, 15] | |")


def test_the_docs_table_is_the_op_table() -> None:
    text = (REPO / "docs" / "CHECKS.md").read_text(encoding="utf-8")
    table = markdown_table(OPS)
    assert table in text, f"docs/CHECKS.md's op table is stale; replace it with:\n{table}"
    assert text.count("| --- | --- | --- | --- | --- |") == 1


def test_a_row_must_name_what_random_graphs_pass_for_its_number() -> None:
    with pytest.raises(ValueError, match="needs graph_ks"):
        Op("scale", "a * k", "__mul__", ("a",), ("k",), SOFTPLUS.domain,
           forward=lambda a, k: a * k, local=lambda out, a, k: (k,), inputs_doc="any")
