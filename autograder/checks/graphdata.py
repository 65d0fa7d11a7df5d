"""The failing example of a backward check as a `ComputationGraph`, for reports to draw.

Built only from what the check already holds: the example's inputs, the gradients the worker
returned and the oracle's. Forward values come from the op table's plain-float forwards (the
backward checks use only ops whose forward passed). A gradient the check did not read stays
`None`; reports show it as "not read", never as a guess.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from autograder.checks.graphs import Graph
from autograder.feedback import expression, literal
from autograder.ir import Program
from autograder.model import ComputationGraph, Grad, GraphNode
from autograder.ops import Op
from autograder.oracles import Oracle


def _finite(x: float | None) -> float | None:
    return x if isinstance(x, float | int) and math.isfinite(x) else None


def _grad(value: float | str | None) -> Grad:
    """A worker value as JSON can carry it: a finite float, or a tag such as "nan"."""
    if isinstance(value, float | int) and not isinstance(value, bool):
        return float(value) if math.isfinite(value) else repr(float(value))
    return value


def op_graph(op: Op, inputs: dict[str, float], grads: dict[str, float], upstream: float,
             aliased: bool, got: dict[str, float | str], want: dict[str, float],
             wrong: set[str]) -> ComputationGraph:
    """leaves -> op -> out, as an `engine.<op>.backward` example builds it.

    `got` and `want` hold the leaves' gradients (after backward); out's gradient is the upstream
    gradient the grader seeded, which the check does not read back.
    """
    names = ("a",) if aliased else op.operands
    nodes = []
    for name in names:
        value = inputs["b"] if aliased else inputs[name]
        preset = grads.get(name)
        label = f"{name} (held grad {literal(preset)})" if preset else name
        nodes.append(GraphNode(name, label, "", _finite(value), _grad(want.get(name)),
                               _grad(got.get(name)), name in wrong))
    try:
        data = _finite(op.forward(*[inputs["b"] if aliased else inputs[name]
                                    for name in op.operands],
                                  *[inputs[name] for name in op.params]))
    except (ArithmeticError, ValueError, KeyError, TypeError):
        data = None
    nodes.append(GraphNode("out", f"out = {expression(op, inputs, aliased)}", op.name, data,
                           _grad(upstream), None))
    edges = tuple(("a" if aliased else name, "out") for name in op.operands)
    return ComputationGraph(tuple(nodes), edges)


def backprop_graph(graph: Graph, oracle: Oracle, read: Sequence[int],
                   got: Sequence[float | str], want: Sequence[float],
                   wrong: set[int]) -> ComputationGraph:
    """A drawn graph with every gradient the check read, and the oracle's for every node.

    The oracle (in the grader's process) is asked once more for all nodes' gradients, so the
    picture shows where the expected gradients go even for nodes the check did not read.
    """
    names = graph.names()
    expected: list[Grad] = [None] * len(names)
    for index, value in zip(read, want, strict=True):
        expected[index] = _grad(value)
    try:
        program = Program()
        slots = graph.build(program)
        program.backward(slots[-1])
        for slot in slots:
            program.read(slot, "grad")
        expected = [_grad(v) for v in oracle.run(program)]
    except Exception:  # noqa: BLE001 - the read gradients are enough to draw
        pass
    got_all: list[Grad] = [None] * len(names)
    for index, value in zip(read, got, strict=True):
        got_all[index] = _grad(value)
    try:
        values: list[float | None] = [_finite(v) for v in graph.values()]
    except (ArithmeticError, ValueError):
        values = [None] * len(names)
    labels = list(names[:len(graph.leaves)]) + [
        f"{name} = {text}" for name, text in
        zip(names[len(graph.leaves):], graph.expressions(), strict=True)]
    ops = [""] * len(graph.leaves) + [node.op for node in graph.nodes]
    nodes = tuple(GraphNode(names[i], labels[i], ops[i], values[i], expected[i], got_all[i],
                            i in wrong) for i in range(len(names)))
    edges = tuple((names[arg], names[len(graph.leaves) + i])
                  for i, node in enumerate(graph.nodes) for arg in node.args)
    return ComputationGraph(nodes, edges)
