"""`engine.backward.*`: the student's own `backward()` on graphs of growing difficulty.

These checks build graphs only from ops whose own checks passed in this grade, so a broken op
costs its own points and not these. When too few ops work, the check says which to fix first.
"""

from __future__ import annotations

from typing import Any

from hypothesis import assume
from hypothesis import strategies as st

from autograder.checks.base import (
    CheckContext,
    CheckDef,
    Failure,
    failure_from_error,
    run_property,
    verdict_from,
)
from autograder.checks.graphdata import backprop_graph
from autograder.checks.graphs import Graph, graphs
from autograder.compare import GRAPH_RTOL, close, is_number, show
from autograder.feedback import IMPORT_LINE, fix_first
from autograder.ir import Program
from autograder.model import Outcome, Verdict
from autograder.ops import OPS

GROUP = "backprop"
DEFAULT_DEPTH = 10_000


def healthy_ops(ctx: CheckContext) -> list[str]:
    """Ops whose forward and backward checks both passed in this grade."""
    return [op.name for op in OPS
            if ctx.passed(f"engine.{op.name}.forward") and ctx.passed(f"engine.{op.name}.backward")]


def _blocked(check_id: str, ctx: CheckContext, needed: list[str]) -> Verdict:
    failing = [f"engine.{name}.{part}" for name in needed for part in ("forward", "backward")
               if ctx.passed(f"engine.{name}.{part}") is False]
    summary = "cannot test backward(): none of the ops it needs works yet"
    # The "fix X first" note itself is added by the pipeline from the check's `needs`.
    return Verdict(check_id, Outcome.WRONG, summary,
                   summary + ". " + fix_first(failing or [f"engine.{n}.backward" for n in needed]))


def _graph_check(check_id: str, ctx: CheckContext, strategy: st.SearchStrategy[Graph],
                 passed: str, read_nodes: bool = False) -> Verdict:
    """Run the student's backward() on drawn graphs; compare output and leaf grads with torch."""

    def body(graph: Graph) -> None:
        program = Program()
        slots = graph.build(program)
        out = slots[-1]
        program.backward(out)
        targets = list(range(len(graph.leaves)))
        if read_nodes:
            targets += list(range(len(graph.leaves), len(slots) - 1))
        for index in targets:
            program.read(slots[index], "grad")
        program.read(out, "grad")
        expected = ctx.oracle.run(program)
        assume(all(abs(v) < 1e8 for v in expected))
        reply = ctx.session.run(program.steps, program.reads)
        if not reply.ok:
            assert reply.error is not None
            snippet = graph.snippet("out", 0.0, "").rsplit("\n", 1)[0]
            raise failure_from_error(reply, "backward() on this graph", snippet)
        scale = max(abs(v) for v in expected)
        names = [f"x{i}" for i in range(len(graph.leaves))] + [
            f"n{i}" for i in range(len(graph.leaves), len(slots))]
        read = targets + [len(slots) - 1]
        wrong = [i for i, (index, got, want) in enumerate(zip(read, reply.values, expected,
                                                              strict=True))
                 if not close(got, want, GRAPH_RTOL, scale)]
        if wrong:
            index, got, want = read[wrong[0]], reply.values[wrong[0]], expected[wrong[0]]
            summary = (f"after {names[-1]}.backward(), {names[index]}.grad is {show(got)}, "
                       f"expected {want!r}")
            raise Failure(Outcome.WRONG, summary, summary + ".",
                          graph.snippet(f"#{index}", want, show(got)),
                          data=(graph, read, reply.values, expected, {read[i] for i in wrong}))

    tried, failure = run_property(ctx, check_id, strategy, body)
    if failure is not None and failure.data:  # drawn once, for the shrunk example only
        try:
            failure.graph = backprop_graph(failure.data[0], ctx.oracle, *failure.data[1:])
        except Exception:  # noqa: BLE001 - the picture must never cost the verdict
            failure.graph = None
    return verdict_from(check_id, tried, failure, passed)


def seed_check(ctx: CheckContext) -> Verdict:
    check_id = "engine.backward.seed"
    ops = healthy_ops(ctx)
    if not ops:
        return _blocked(check_id, ctx, ["add", "mul"])

    def body(value: float) -> None:
        program = Program()
        leaf = program.value(value)
        program.backward(leaf)
        program.read(leaf, "grad")
        reply = ctx.session.run(program.steps, program.reads)
        snippet = f"{IMPORT_LINE}\nx = Value({value!r})\nx.backward()"
        if not reply.ok:
            raise failure_from_error(reply, f"Value({value!r}).backward()", snippet)
        got = reply.values[0]
        if not close(got, 1.0, 0.0):
            summary = f"after x.backward() on a lone Value, x.grad is {show(got)}, expected 1.0"
            raise Failure(Outcome.WRONG, summary,
                          summary + ". backward() must seed the output's gradient with 1 "
                          "(d out / d out = 1) before propagating.",
                          snippet + f"\nprint(x.grad)  # expected 1.0, got {show(got)}")

    tried, failure = run_property(ctx, check_id, st.floats(-10, 10, allow_nan=False), body)
    if failure is None:
        return _graph_check(check_id, ctx, graphs(ops, max_nodes=2, share=False),
                            "backward() seeds the output's grad with 1")
    return verdict_from(check_id, tried, failure, "")


def order_check(ctx: CheckContext) -> Verdict:
    check_id = "engine.backward.order"
    ops = healthy_ops(ctx)
    if not ops:
        return _blocked(check_id, ctx, ["add", "mul"])
    return _graph_check(check_id, ctx, graphs(ops, max_nodes=8, share=False, min_nodes=3),
                        "backward() reaches every node of multi-level graphs in order",
                        read_nodes=True)


def accumulation_check(ctx: CheckContext) -> Verdict:
    check_id = "engine.backward.accumulation"
    ops = [name for name in healthy_ops(ctx) if name in ("add", "mul", "sub", "tanh", "relu",
                                                         "neg", "exp", "sigmoid")]
    if not ops:
        return _blocked(check_id, ctx, ["add", "mul"])
    strategy = graphs(ops, max_nodes=7, share=True, min_nodes=2, leaves=2).filter(
        lambda g: g.shared())
    return _graph_check(check_id, ctx, strategy,
                        "shared nodes, diamonds and `x op x` accumulate their gradients",
                        read_nodes=True)


def random_graphs_check(ctx: CheckContext) -> Verdict:
    check_id = "engine.backward.graphs"
    ops = healthy_ops(ctx)
    if not ops:
        return _blocked(check_id, ctx, ["add", "mul"])
    return _graph_check(check_id, ctx, graphs(ops, max_nodes=10, share=True, min_nodes=2),
                        "random graphs over every working op match PyTorch")


def deep_check(ctx: CheckContext) -> Verdict:
    """A chain `y = y + x` of `depth` nodes: recursive topological sorts hit the recursion limit."""
    check_id = "engine.backward.deep"
    depth = int(ctx.params.get("depth", DEFAULT_DEPTH))
    if "add" not in healthy_ops(ctx):
        return _blocked(check_id, ctx, ["add"])
    program = Program()
    x = program.value(0.5)
    step = program.value(0.001)
    out = program.chain("a + b", x, depth, {"b": step})
    program.backward(out)
    program.read(x, "grad")
    program.read(step, "grad")
    snippet = (f"{IMPORT_LINE}\nx = Value(0.5)\nstep = Value(0.001)\ny = x\n"
               f"for _ in range({depth}):\n    y = y + step\ny.backward()\n"
               f"print(x.grad, step.grad)  # expected 1.0 {float(depth)!r}")
    reply = ctx.session.run(program.steps, program.reads, timeout_s=ctx.session.config
                            .call_timeout_s * 3)
    if not reply.ok:
        assert reply.error is not None
        failure = failure_from_error(reply, f"backward() on a chain of {depth} nodes", snippet)
        if reply.error.type == "RecursionError":
            failure.feedback += ("\nYour backward() (or its topological sort) is recursive, and "
                                 "Python's recursion limit is about 1,000 frames. Build the "
                                 "order with an explicit stack instead.")
        return verdict_from(check_id, 1, failure, "")
    expected = ctx.oracle.run(program)
    for label, got, want in zip(("x.grad", "step.grad"), reply.values, expected, strict=True):
        if not close(got, want, GRAPH_RTOL, float(depth)):
            summary = f"after backward() on a chain of {depth} nodes, {label} is {show(got)}, " \
                      f"expected {want!r}"
            return verdict_from(check_id, 1, Failure(Outcome.WRONG, summary, summary + ".",
                                                     snippet), "")
    assert all(is_number(v) for v in reply.values)
    return Verdict(check_id, Outcome.PASSED, f"backward() handles a chain of {depth} nodes",
                   examples=1)


def _needs() -> tuple[str, ...]:
    return tuple(f"engine.{name}.{part}" for name in ("add", "mul") for part in
                 ("forward", "backward"))


def backprop_checks() -> list[CheckDef]:
    entries: list[tuple[str, str, Any]] = [
        ("engine.backward.seed", "backward() seeds the output with 1", seed_check),
        ("engine.backward.order", "backward() visits multi-level graphs in topological order",
         order_check),
        ("engine.backward.accumulation", "shared subexpressions accumulate gradients",
         accumulation_check),
        ("engine.backward.graphs", "random graphs over all ops match PyTorch",
         random_graphs_check),
        ("engine.backward.deep", "backward() on a 10,000-node chain (no recursion)", deep_check),
    ]
    params = {"engine.backward.deep": ("depth",)}
    return [CheckDef(cid, title, GROUP, fn, _needs(), params=params.get(cid, ()))
            for cid, title, fn in entries]
