"""`engine.backward.*`: the student's own `backward()` on graphs of growing difficulty.

These checks build graphs only from ops whose own checks passed in this grade, so a broken op
costs its own points and not these. A check tests its subject with whatever ops work (accumulation
through unary ops and a leaf that already holds a gradient, when no op joins two values); when
none does, it is BLOCKED: 0 points, and the pipeline names the failed checks it waited for.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
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
from autograder.checks.graphs import Graph, Node, forward_or_none, graphs
from autograder.compare import GRAPH_RTOL, close, is_number, show
from autograder.feedback import IMPORT_LINE, literal, substitute
from autograder.ir import Program
from autograder.model import Outcome, Verdict
from autograder.ops import OPS, OPS_BY_NAME

GROUP = "backprop"
DEFAULT_DEPTH = 10_000


def healthy_ops(ctx: CheckContext) -> list[str]:
    """Ops whose forward and backward checks both passed in this grade."""
    return [op.name for op in OPS
            if ctx.passed(f"engine.{op.name}.forward") and ctx.passed(f"engine.{op.name}.backward")]


def _blocked(check_id: str, reason: str) -> Verdict:
    """Nothing left to test with: 0 points; the root-cause pass adds "blocked by <checks>"."""
    return Verdict(check_id, Outcome.BLOCKED, reason)


NO_OP = "no op whose forward and backward checks passed is left to build a graph from"


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
            snippet = graph.snippet("out", 0.0, "", ctx.oracle.label).rsplit("\n", 1)[0]
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
                          graph.snippet(f"#{index}", want, show(got), ctx.oracle.label),
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
    if failure is None and ops:
        return _graph_check(check_id, ctx, graphs(ops, max_nodes=2, share=False),
                            "backward() seeds the output's grad with 1")
    return verdict_from(check_id, tried, failure, "backward() seeds a lone Value's grad with 1")


def order_check(ctx: CheckContext) -> Verdict:
    check_id = "engine.backward.order"
    ops = healthy_ops(ctx)
    if not ops:
        return _blocked(check_id, NO_OP)
    return _graph_check(check_id, ctx, graphs(ops, max_nodes=8, share=False, min_nodes=3),
                        "backward() reaches every node of multi-level graphs in order",
                        read_nodes=True)


ACCUMULATION_OPS = ("add", "mul", "sub", "tanh", "relu", "neg", "exp", "sigmoid")


def accumulates(graph: Graph) -> bool:
    """Some leaf or node reaches the output along two paths (a branch that does not lead to the
    output tests nothing)."""
    first = len(graph.leaves)
    live = {graph.output}
    for index in range(len(graph.nodes) - 1, -1, -1):
        if first + index in live:
            live.update(graph.nodes[index].args)
    uses = Counter(arg for index, node in enumerate(graph.nodes) if first + index in live
                   for arg in node.args)
    return any(count > 1 for count in uses.values())


def accumulation_check(ctx: CheckContext) -> Verdict:
    check_id = "engine.backward.accumulation"
    ops = healthy_ops(ctx)
    joining = [name for name in ops if name in ACCUMULATION_OPS
               and len(OPS_BY_NAME[name].operands) == 2]
    if joining:
        strategy = graphs([n for n in ops if n in ACCUMULATION_OPS], max_nodes=7, share=True,
                          min_nodes=2, leaves=2).filter(accumulates)
        return _graph_check(check_id, ctx, strategy,
                            "shared nodes, diamonds and `x op x` accumulate their gradients",
                            read_nodes=True)
    unary = [name for name in ops if len(OPS_BY_NAME[name].operands) == 1]
    if not unary:
        return _blocked(check_id, NO_OP)
    return _fanout_check(check_id, ctx, unary)


@dataclass(frozen=True)
class Fanout:
    """`x` (already holding `held` gradient) feeds two chains of unary ops, each backpropagated:
    `x.grad` must add up `held` and both chains' derivatives. Needs no op that joins two values."""

    x: float
    held: float
    chains: tuple[tuple[Node, ...], tuple[Node, ...]]

    def build(self, program: Program) -> tuple[int, list[int]]:
        x = program.value(self.x, self.held)
        outs = []
        for chain in self.chains:
            slot = x
            for node in chain:
                op = OPS_BY_NAME[node.op]
                refs = {"a": slot} | ({"k": program.num(node.k)} if op.params else {})
                slot = program.apply(op.expr, refs)
            outs.append(slot)
        return x, outs

    def snippet(self, expected: float, got: str, source: str) -> str:
        lines = [IMPORT_LINE, f"x = Value({literal(self.x)})",
                 f"x.grad = {literal(self.held)}  # gradient it already holds"]
        for name, chain in zip(("y", "z"), self.chains, strict=True):
            text = "x"
            for node in chain:
                op = OPS_BY_NAME[node.op]
                expr = substitute(op.expr, {"k": literal(node.k)} if op.params else {})
                text = substitute(expr, {"a": text if text == "x" else f"({text})"})
            lines.append(f"{name} = {text}")
        lines += ["y.backward()", "z.backward()",
                  f"print(x.grad)  # expected {literal(expected)} ({source}), got {got}"]
        return "\n".join(lines)


@st.composite
def fanouts(draw: st.DrawFn, ops: list[str]) -> Fanout:
    x = draw(st.floats(-2, 2, allow_nan=False, allow_subnormal=False).map(lambda v: round(v, 3)))
    held = draw(st.sampled_from([0.5, -1.25, 2.0]))
    chains = []
    for _ in range(2):
        value, chain = x, []
        for _ in range(draw(st.integers(1, 3))):
            name = draw(st.sampled_from(sorted(ops)))
            op = OPS_BY_NAME[name]
            k = draw(st.sampled_from(op.graph_ks)) if op.params else None
            out = forward_or_none(op, [value] + ([k] if op.params else []))
            if out is None:
                continue
            value = out
            chain.append(Node(name, (0,), k))
        assume(chain)
        chains.append(tuple(chain))
    return Fanout(x, held, (chains[0], chains[1]))


def _fanout_check(check_id: str, ctx: CheckContext, ops: list[str]) -> Verdict:
    def body(fanout: Fanout) -> None:
        program = Program()
        x, outs = fanout.build(program)
        for out in outs:
            program.backward(out)
        program.read(x, "grad")
        expected = ctx.oracle.run(program)
        assume(all(abs(v) < 1e8 for v in expected))
        reply = ctx.session.run(program.steps, program.reads)
        if not reply.ok:
            raise failure_from_error(reply, "backward() on two outputs sharing a leaf",
                                     fanout.snippet(expected[0], "?", ctx.oracle.label)
                                     .rsplit("\n", 1)[0])
        got, want = reply.values[0], expected[0]
        if not close(got, want, GRAPH_RTOL, max(abs(want), abs(fanout.held), 1.0)):
            summary = (f"after y.backward() and z.backward() on two outputs of x (which held "
                       f"grad {fanout.held!r}), x.grad is {show(got)}, expected {want!r}")
            raise Failure(Outcome.WRONG, summary, summary + ". Gradients must add up: the one a "
                          "leaf already holds and every path's contribution.",
                          fanout.snippet(want, show(got), ctx.oracle.label))

    tried, failure = run_property(ctx, check_id, fanouts(ops), body)
    return verdict_from(check_id, tried, failure, "gradients add up over two outputs and into "
                        "a gradient a leaf already holds (tested with unary ops only: no op "
                        "that joins two values works yet)")


def random_graphs_check(ctx: CheckContext) -> Verdict:
    check_id = "engine.backward.graphs"
    ops = healthy_ops(ctx)
    if not ops:
        return _blocked(check_id, NO_OP)
    return _graph_check(check_id, ctx, graphs(ops, max_nodes=10, share=True, min_nodes=2),
                        f"random graphs over every working op match {ctx.oracle.label}")


def deep_check(ctx: CheckContext) -> Verdict:
    """A chain `y = y + x` of `depth` nodes: recursive topological sorts hit the recursion limit."""
    check_id = "engine.backward.deep"
    depth = int(ctx.params.get("depth", DEFAULT_DEPTH))
    if "add" not in healthy_ops(ctx):
        return _blocked(check_id, f"the {depth:,}-node chain is built from `+`, which does not "
                        "work yet")
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


def _needs(ops: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(f"engine.{name}.{part}" for name in ops for part in ("forward", "backward"))


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
    every_op = _needs(tuple(op.name for op in OPS))  # healthy_ops() reads all of these
    return [CheckDef(cid, title, GROUP, fn,
                     _needs(("add",) if cid == "engine.backward.deep" else ("add", "mul")),
                     params=params.get(cid, ()), uses=every_op)
            for cid, title, fn in entries]
