"""Random computation graphs for the `engine.backward.*` checks, as small composable strategies.

A `Graph` is leaves plus op nodes, each node naming its operands by index (leaves first). Forward
values are tracked in plain Python while drawing, so every node stays in a well-conditioned range
(no log of non-positives, no huge powers) without asking the worker or the oracle.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from hypothesis import assume
from hypothesis import strategies as st

from autograder.feedback import IMPORT_LINE, literal, substitute
from autograder.ir import Program
from autograder.ops import OPS_BY_NAME, Op

LIMIT = 1e4  # every value in a drawn graph stays below this magnitude


@dataclass(frozen=True)
class Node:
    op: str
    args: tuple[int, ...]  # operand indices (leaves first, then nodes)
    k: float | int | None = None  # the plain number of pow and reflected ops


@dataclass(frozen=True)
class Graph:
    leaves: tuple[float, ...]
    nodes: tuple[Node, ...]
    table: Mapping[str, Op] = field(default_factory=lambda: OPS_BY_NAME, repr=False,
                                    compare=False)  # what node.op names

    @property
    def output(self) -> int:
        return len(self.leaves) + len(self.nodes) - 1

    def uses(self) -> list[int]:
        """How many times each index is used as an operand (aliasing counts twice)."""
        counts = [0] * (len(self.leaves) + len(self.nodes))
        for node in self.nodes:
            for arg in node.args:
                counts[arg] += 1
        return counts

    def shared(self) -> bool:
        return any(c > 1 for c in self.uses())

    def build(self, program: Program) -> list[int]:
        """Add the graph to `program`; return the slot of every leaf and node, in order."""
        slots = [program.value(x) for x in self.leaves]
        for node in self.nodes:
            op = self.table[node.op]
            refs = {name: slots[arg] for name, arg in zip(op.operands, node.args, strict=True)}
            if op.params:
                refs["k"] = program.num(node.k)
            slots.append(program.apply(op.expr, refs))
        return slots

    def names(self) -> list[str]:
        """What the snippet calls each leaf and node: x0, x1, ..., then n3, n4, ..."""
        return [f"x{i}" for i in range(len(self.leaves))] + [
            f"n{len(self.leaves) + i}" for i in range(len(self.nodes))]

    def expressions(self) -> list[str]:
        """How each node is made, in the snippet's names: `x0 * n3`, `n4.tanh()`, `2.0 - x1`."""
        names = self.names()
        texts = []
        for node in self.nodes:
            op = self.table[node.op]
            text = substitute(op.expr, {"k": literal(node.k)} if op.params else {})
            texts.append(substitute(text, dict(zip(op.operands, (names[a] for a in node.args),
                                                   strict=True))))
        return texts

    def values(self) -> list[float]:
        """Every leaf's and node's forward value, in plain floats."""
        values = list(self.leaves)
        for node in self.nodes:
            op = self.table[node.op]
            values.append(op.forward(*[values[arg] for arg in node.args],
                                     *([node.k] if op.params else [])))
        return values

    def snippet(self, ask: str, expected: float, got: str, source: str) -> str:
        """The graph as code a student can paste: leaves x0.., nodes n3.., then backward."""
        names = self.names()
        lines = [IMPORT_LINE] + [f"{n} = Value({literal(x)})"
                                 for n, x in zip(names[:len(self.leaves)], self.leaves,
                                                 strict=True)]
        lines += [f"{name} = {text}" for name, text in
                  zip(names[len(self.leaves):], self.expressions(), strict=True)]
        out = names[-1]
        lines.append(f"{out}.backward()")
        target = names[int(ask[1:])] if ask.startswith("#") else out
        lines.append(f"print({target}.grad)  # expected {literal(expected)} ({source}), got {got}")
        return "\n".join(lines)


def _value_ok(x: float) -> bool:
    return math.isfinite(x) and abs(x) <= LIMIT


def forward_or_none(op: Op, inputs: list[float]) -> float | None:
    """`op`'s value at `inputs` when a random graph may use it there (inside the op's safe
    domain, defined, real and within LIMIT), else None."""
    if op.safe is not None and not op.safe(*inputs):
        return None
    try:
        out = op.forward(*inputs)
    except (ValueError, ZeroDivisionError, OverflowError):
        return None
    if isinstance(out, complex) or not _value_ok(out):
        return None
    return out


@st.composite
def graphs(draw: st.DrawFn, ops: Sequence[str], max_nodes: int = 6, share: bool = True,
           min_nodes: int = 1, leaves: int = 3, table: Mapping[str, Op] = OPS_BY_NAME) -> Graph:
    """A DAG over `ops` (names in `table`). With `share=False` every node and leaf is used at most
    once (a tree). Values are computed with each op's plain-float `forward` while drawing."""
    count = draw(st.integers(1, leaves))
    values = [draw(st.floats(-3, 3, allow_nan=False, allow_subnormal=False).map(
        lambda x: round(x, 3))) for _ in range(count)]
    leaf_values = tuple(values)
    nodes: list[Node] = []
    used = [0] * count
    target = draw(st.integers(min_nodes, max_nodes))
    for _ in range(target * 4):  # attempts; invalid choices are skipped
        if len(nodes) >= target:
            break
        name = draw(st.sampled_from(sorted(ops)))
        op = table[name]
        candidates = [i for i in range(len(values)) if share or used[i] == 0]
        if len(candidates) < len(op.operands):
            continue
        # favour recent nodes, so graphs are deep rather than wide
        args = tuple(draw(st.sampled_from(candidates[::-1])) for _ in op.operands)
        if not share and len(set(args)) < len(args):
            continue
        k = draw(st.sampled_from(op.graph_ks)) if op.params else None
        out = forward_or_none(op, [values[arg] for arg in args] + ([k] if op.params else []))
        if out is None:
            continue
        for arg in args:
            used[arg] += 1
        used.append(0)
        values.append(out)
        nodes.append(Node(name, args, k))
    assume(len(nodes) >= min_nodes)
    return Graph(leaf_values, tuple(nodes), table)
