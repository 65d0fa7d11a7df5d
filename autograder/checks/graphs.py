"""Random computation graphs for the `engine.backward.*` checks, as small composable strategies.

A `Graph` is leaves plus op nodes, each node naming its operands by index (leaves first). Forward
values are tracked in plain Python while drawing, so every node stays in a well-conditioned range
(no log of non-positives, no huge powers) without asking the worker or the oracle.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from hypothesis import assume
from hypothesis import strategies as st

from autograder.feedback import IMPORT_LINE, literal, substitute
from autograder.ir import Program
from autograder.ops import OPS_BY_NAME

LIMIT = 1e4  # every value in a drawn graph stays below this magnitude


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x))


# Plain-float forwards, used only to keep drawn graphs in range (grading compares with torch).
FORWARD: dict[str, Callable[[float, float | None, float | None], float]] = {
    "add": lambda a, b, k: a + b,
    "mul": lambda a, b, k: a * b,
    "pow": lambda a, b, k: a ** k,
    "neg": lambda a, b, k: -a,
    "sub": lambda a, b, k: a - b,
    "truediv": lambda a, b, k: a / b,
    "radd": lambda a, b, k: k + a,
    "rsub": lambda a, b, k: k - a,
    "rmul": lambda a, b, k: k * a,
    "rtruediv": lambda a, b, k: k / a,
    "relu": lambda a, b, k: max(a, 0.0),
    "tanh": lambda a, b, k: math.tanh(a),
    "exp": lambda a, b, k: math.exp(a),
    "log": lambda a, b, k: math.log(a),
    "sigmoid": lambda a, b, k: _sigmoid(a),
}

VALID: dict[str, Callable[[float, float | None, float | None], bool]] = {
    "pow": lambda a, b, k: abs(a) >= 0.2 and abs(a) <= 20,
    "truediv": lambda a, b, k: b is not None and abs(b) >= 0.2,
    "rtruediv": lambda a, b, k: abs(a) >= 0.2,
    "exp": lambda a, b, k: abs(a) <= 10,
    "log": lambda a, b, k: a >= 0.1,
}

PARAMS: dict[str, st.SearchStrategy] = {
    "pow": st.sampled_from([2, 3, -1, 2.0, 0.5]),
    "radd": st.sampled_from([1.0, 2.0, -0.5]),
    "rsub": st.sampled_from([1.0, 2.0, -0.5]),
    "rmul": st.sampled_from([2.0, -3.0, 0.5]),
    "rtruediv": st.sampled_from([1.0, 2.0, -1.5]),
}


@dataclass(frozen=True)
class Node:
    op: str
    args: tuple[int, ...]  # operand indices (leaves first, then nodes)
    k: float | int | None = None  # the plain number of pow and reflected ops


@dataclass(frozen=True)
class Graph:
    leaves: tuple[float, ...]
    nodes: tuple[Node, ...]

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
            op = OPS_BY_NAME[node.op]
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
            op = OPS_BY_NAME[node.op]
            text = substitute(op.expr, {"k": literal(node.k)} if op.params else {})
            texts.append(substitute(text, dict(zip(op.operands, (names[a] for a in node.args),
                                                   strict=True))))
        return texts

    def values(self) -> list[float]:
        """Every leaf's and node's forward value, in plain floats."""
        values = list(self.leaves)
        for node in self.nodes:
            a = values[node.args[0]]
            b = values[node.args[1]] if len(node.args) > 1 else None
            values.append(FORWARD[node.op](a, b, node.k))
        return values

    def snippet(self, ask: str, expected: float, got: str) -> str:
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
        lines.append(f"print({target}.grad)  # expected {literal(expected)} (PyTorch), got {got}")
        return "\n".join(lines)


def _value_ok(x: float) -> bool:
    return math.isfinite(x) and abs(x) <= LIMIT


@st.composite
def graphs(draw: st.DrawFn, ops: Sequence[str], max_nodes: int = 6, share: bool = True,
           min_nodes: int = 1, leaves: int = 3) -> Graph:
    """A DAG over `ops`. With `share=False` every node and leaf is used at most once (a tree)."""
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
        op = OPS_BY_NAME[name]
        candidates = [i for i in range(len(values)) if share or used[i] == 0]
        if len(candidates) < len(op.operands):
            continue
        # favour recent nodes, so graphs are deep rather than wide
        args = tuple(draw(st.sampled_from(candidates[::-1])) for _ in op.operands)
        if not share and len(set(args)) < len(args):
            continue
        k = draw(PARAMS[name]) if name in PARAMS else None
        a = values[args[0]]
        b = values[args[1]] if len(args) > 1 else None
        if name in VALID and not VALID[name](a, b, k):
            continue
        try:
            out = FORWARD[name](a, b, k)
        except (ValueError, ZeroDivisionError, OverflowError):
            continue
        if isinstance(out, complex) or not _value_ok(out):
            continue
        for arg in args:
            used[arg] += 1
        used.append(0)
        values.append(out)
        nodes.append(Node(name, args, k))
    assume(len(nodes) >= min_nodes)
    return Graph(leaf_values, tuple(nodes))
