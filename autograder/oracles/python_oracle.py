"""A pure-Python float64 oracle, so students can self-check without installing PyTorch.

It runs the same programs as the torch oracle (same steps, same reads) on a small tape of `Var`
nodes. Every op of the table is a method of the tape, made from the op's own `forward` and
`local` (the plain-float math in `autograder.ops`), so an op added to the table is understood here
too. Official grades use torch; this oracle is checked against it in the test suite, and every
report names the oracle that produced it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from autograder.ops import OPS, Op
from autograder.oracles.base import Layers, NetworkRun, network_size
from autograder.oracles.evaluator import Evaluator
from autograder.worker import steps


class Var:
    """A float64 scalar on a tape: its value, its grad, and (parent, local derivative) edges.

    The ops come from the table: `tape(ops)` makes the subclass that has them.
    """

    __slots__ = ("data", "grad", "edges")

    def __init__(self, data: float, edges: tuple[tuple[Var, float], ...] = ()) -> None:
        self.data = float(data)
        self.grad = 0.0
        self.edges = edges

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


def _method(op: Op) -> Callable[..., Var]:
    """`op.method` on the tape: called on `a` with the op's other names, as Python calls it."""
    others = len(op.operands) - 1

    def method(self: Var, *args: Any) -> Var:
        nodes = (self, *(x if isinstance(x, Var) else type(self)(x) for x in args[:others]))
        inputs = (*(node.data for node in nodes), *args[others:])
        out = op.forward(*inputs)
        return type(self)(out, tuple(zip(nodes, op.local(out, *inputs), strict=True)))

    method.__name__ = op.method
    return method


def tape(ops: Sequence[Op]) -> type[Var]:
    """A `Var` class with one method per op of `ops`."""
    return type("Var", (Var,), {"__slots__": (), **{op.method: _method(op) for op in ops}})


class PythonOracle(Evaluator):
    """Evaluate programs in pure Python float64 (the self-check oracle)."""

    name = "python float64 (self-check oracle; official grades use torch)"
    label = "the self-check oracle"

    def __init__(self, ops: Sequence[Op] = OPS) -> None:
        super().__init__()
        self.tape = tape(ops)

    def leaf(self, x: float, grad: float | None) -> Var:
        node = self.tape(x)
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
        var = self.tape
        theta = [var(p) for p in params]

        def forward(weights: list[Var], x: Sequence[float]) -> list[Var]:
            h = [var(v) for v in x]
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
        total = steps.loss(loss, outs, targets or [], var, self.apply)
        total.backward(1.0)
        grads = [p.grad for p in theta]
        if lr is None:
            return NetworkRun(outputs, total.data, grads)
        stepped = [p.data - lr * p.grad for p in theta]
        after = [[v.data for v in forward([var(p) for p in stepped], x)] for x in batch]
        return NetworkRun(outputs, total.data, grads, stepped, after)
