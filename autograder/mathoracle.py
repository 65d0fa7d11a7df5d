"""A pure-Python float64 oracle, so students can self-check without installing PyTorch.

It runs the same programs as `autograder.oracle.TorchOracle` (same steps, same reads) with a small
tape of `Var` nodes whose local derivatives follow PyTorch's own backward formulas. Official grades
use torch; this oracle is checked against it in the test suite, and every report names the oracle
that produced it.
"""

from __future__ import annotations

import math
from typing import Any

from autograder.ir import Program


class Var:
    """A float64 scalar on a tape: its value, its grad, and (parent, local derivative) edges."""

    __slots__ = ("data", "grad", "edges")

    def __init__(self, data: float, edges: tuple[tuple[Var, float], ...] = ()) -> None:
        self.data = float(data)
        self.grad = 0.0
        self.edges = edges

    @staticmethod
    def lift(x: Var | float) -> Var:
        return x if isinstance(x, Var) else Var(float(x))

    def __add__(self, other: Var | float) -> Var:
        other = Var.lift(other)
        return Var(self.data + other.data, ((self, 1.0), (other, 1.0)))

    def __mul__(self, other: Var | float) -> Var:
        other = Var.lift(other)
        return Var(self.data * other.data, ((self, other.data), (other, self.data)))

    def __truediv__(self, other: Var | float) -> Var:
        other = Var.lift(other)
        b = other.data
        return Var(self.data / b, ((self, 1.0 / b), (other, -self.data / (b * b))))

    def __pow__(self, k: float) -> Var:
        return Var(self.data ** k, ((self, k * self.data ** (k - 1)),))

    def __neg__(self) -> Var:
        return Var(-self.data, ((self, -1.0),))

    def __sub__(self, other: Var | float) -> Var:
        other = Var.lift(other)
        return Var(self.data - other.data, ((self, 1.0), (other, -1.0)))

    def __radd__(self, k: float) -> Var:
        return self + k

    def __rmul__(self, k: float) -> Var:
        return self * k

    def __rsub__(self, k: float) -> Var:
        return Var(k - self.data, ((self, -1.0),))

    def __rtruediv__(self, k: float) -> Var:
        return Var.lift(k) / self

    def relu(self) -> Var:
        return Var(max(self.data, 0.0), ((self, 1.0 if self.data > 0 else 0.0),))

    def tanh(self) -> Var:
        t = math.tanh(self.data)
        return Var(t, ((self, 1.0 - t * t),))

    def exp(self) -> Var:
        e = math.exp(self.data)
        return Var(e, ((self, e),))

    def log(self) -> Var:
        return Var(math.log(self.data), ((self, 1.0 / self.data),))

    def sigmoid(self) -> Var:
        x = self.data
        s = 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))
        return Var(s, ((self, (1.0 - s) * s),))

    def backward(self, seed: float = 1.0) -> None:
        """Accumulate d(self)/d(node) * seed into every node, like torch with retain_grad()."""
        order: list[Var] = []
        seen: set[int] = set()
        stack: list[tuple[Var, bool]] = [(self, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                order.append(node)
            elif id(node) not in seen:
                seen.add(id(node))
                stack.append((node, True))
                stack.extend((parent, False) for parent, _ in node.edges if id(parent) not in seen)
        pending = {id(node): 0.0 for node in order}
        pending[id(self)] = seed
        for node in reversed(order):
            upstream = pending[id(node)]
            node.grad += upstream
            for parent, local in node.edges:
                pending[id(parent)] += upstream * local


class PythonOracle:
    """Evaluate programs in pure Python float64 (the self-check oracle)."""

    name = "python float64 (self-check oracle; official grades use torch)"

    def __init__(self) -> None:
        self._codes: dict[str, Any] = {}

    def _eval(self, expr: str, env: dict[str, Any]) -> Var:
        code = self._codes.get(expr)
        if code is None:
            code = self._codes[expr] = compile(expr, f"<oracle: {expr}>", "eval")
        return eval(code, {"__builtins__": {}}, env)  # noqa: S307 - op-table text

    def run(self, program: Program) -> list[float]:
        slots: list[Any] = []
        values: list[float] = []
        for step in program.steps:
            kind = step[0]
            result: Any = None
            if kind == "value":
                result = Var(step[1])
                if len(step) > 2:
                    result.grad = float(step[2])
            elif kind == "num":
                result = step[1]
            elif kind == "apply":
                result = self._eval(step[1], {n: slots[i] for n, i in step[2].items()})
            elif kind == "chain":
                node = slots[step[2]]
                env = {n: slots[i] for n, i in step[4].items()}
                for _ in range(step[3]):
                    env["a"] = node
                    node = self._eval(step[1], env)
                result = node
            elif kind == "backward":
                slots[step[1]].backward(1.0)
            elif kind == "local_backward":
                slots[step[1]].backward(float(step[2]))
            elif kind == "read":
                values.append(float(getattr(slots[step[1]], step[2])))
            else:
                raise ValueError(f"the python oracle does not run step {kind!r}")
            slots.append(result)
        return values
