"""A pure-Python float64 oracle, so students can self-check without installing PyTorch.

It runs the same programs as `autograder.oracle.TorchOracle` (same steps, same reads) with a small
tape of `Var` nodes whose local derivatives follow PyTorch's own backward formulas. Official grades
use torch; this oracle is checked against it in the test suite, and every report names the oracle
that produced it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from autograder.ir import Evaluator
from autograder.oracle import Layers, NetworkRun, network_size
from autograder.worker import steps


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


class PythonOracle(Evaluator):
    """Evaluate programs in pure Python float64 (the self-check oracle)."""

    name = "python float64 (self-check oracle; official grades use torch)"

    def leaf(self, x: float, grad: float | None) -> Var:
        node = Var(x)
        if grad is not None:
            node.grad = float(grad)
        return node

    def backward(self, node: Var, seed: float) -> None:
        node.backward(seed)

    def read(self, node: Var, attr: str) -> float:
        return float(getattr(node, attr))

    # ---- the network twin (same contract as TorchOracle.network) -------------------------------

    def network(self, layers: Layers, params: Sequence[float], batch: Sequence[Sequence[float]],
                loss: str | None = None, targets: Sequence[Any] | None = None,
                lr: float | None = None) -> NetworkRun:
        """micrograd's MLP on the tape: parameters in micrograd's order (per neuron, w then b)."""
        if network_size(layers) != len(params):
            raise ValueError(f"{len(params)} parameters for a network of {network_size(layers)}")
        theta = [Var(p) for p in params]

        def forward(weights: list[Var], x: Sequence[float]) -> list[Var]:
            h = [Var(v) for v in x]
            offset = 0
            for nin, nout, nonlin in layers:
                out = []
                for _ in range(nout):
                    row = weights[offset:offset + nin + 1]
                    offset += nin + 1
                    total = row[nin]
                    for w, xi in zip(row[:nin], h, strict=True):
                        total = total + w * xi
                    out.append(total.relu() if nonlin else total)
                h = out
            return h

        outs = [forward(theta, x) for x in batch]
        outputs = [[v.data for v in out] for out in outs]
        if loss is None:
            return NetworkRun(outputs)
        total = steps.loss(loss, outs, targets or [], Var, self.apply)
        total.backward(1.0)
        grads = [p.grad for p in theta]
        if lr is None:
            return NetworkRun(outputs, total.data, grads)
        stepped = [p.data - lr * p.grad for p in theta]
        after = [[v.data for v in forward([Var(p) for p in stepped], x)] for x in batch]
        return NetworkRun(outputs, total.data, grads, stepped, after)
