"""The oracle: PyTorch in float64. This is the only module that imports torch.

It runs the same programs the worker runs (see `autograder.ir`), with every Value replaced by a
float64 tensor, and returns the values the worker should have read. Op expressions such as
`a.tanh()` or `k - a` are valid on tensors as written, which is what keeps the op table the single
description of each op.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from autograder.ir import Evaluator
from autograder.worker import steps

Layers = Sequence[tuple[int, int, bool]]  # (nin, nout, nonlin) of each layer, input to output


@dataclass(frozen=True)
class NetworkRun:
    """What the torch twin of a micrograd network computed, as plain floats.

    `grads` and `stepped` list parameters in micrograd's order (layer by layer, neuron by neuron,
    each neuron's weights then its bias), so they line up with the student's `parameters()`.
    """

    outputs: list[list[float]]  # per example, one float per output neuron
    loss: float | None = None
    grads: list[float] = field(default_factory=list)
    stepped: list[float] = field(default_factory=list)  # parameters after one SGD step
    outputs_after: list[list[float]] = field(default_factory=list)  # outputs after that step


def network_size(layers: Layers) -> int:
    """How many parameters micrograd's network of these layers has: nout * (nin + 1) each."""
    return sum(nout * (nin + 1) for nin, nout, _ in layers)


class OracleUnavailable(RuntimeError):
    """torch is not installed: say how to install it, or which oracle to use instead."""


class TorchOracle(Evaluator):
    """Evaluate programs with torch autograd, float64, single-threaded (deterministic)."""

    def __init__(self) -> None:
        try:
            import torch
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise OracleUnavailable(
                "PyTorch is not installed, so the torch oracle cannot run. Install it with "
                "`pip install 'mgrade[oracle]' -c constraints.txt` (CPU build), or grade with "
                "`--oracle python` for a self-check."
            ) from exc
        torch.set_num_threads(1)
        super().__init__()
        self.torch = torch
        self.name = f"torch {torch.__version__} float64"

    def leaf(self, x: float, grad: float | None) -> Any:
        torch = self.torch
        node = torch.tensor(float(x), dtype=torch.float64, requires_grad=True)
        if grad is not None:
            node.grad = torch.tensor(float(grad), dtype=torch.float64)
        return node

    def track(self, node: Any) -> Any:
        if node.requires_grad and node.grad_fn is not None:
            node.retain_grad()  # micrograd keeps every node's grad; torch only a leaf's
        return node

    def backward(self, node: Any, seed: float) -> None:
        node.backward(gradient=self.torch.tensor(seed, dtype=self.torch.float64),
                      retain_graph=True)

    def read(self, node: Any, attr: str) -> float:
        if attr == "data":
            return float(node.detach().item())
        return float(node.grad.item()) if node.grad is not None else 0.0

    # ---- the torch twin of a micrograd network -------------------------------------------------

    def network(self, layers: Layers, params: Sequence[float], batch: Sequence[Sequence[float]],
                loss: str | None = None, targets: Sequence[Any] | None = None,
                lr: float | None = None) -> NetworkRun:
        """Run the network micrograd's `Neuron`/`Layer`/`MLP` describe, written with matrices.

        The parameters live in one flat float64 tensor in micrograd's order; each layer's block
        is viewed as an (nout, nin + 1) matrix whose last column is the bias, so the gradient of
        that tensor lines up with the student's `parameters()`. This is an independent
        implementation (matrix products, `torch.relu`), not a replay of the student's graph.

        `loss` is one of `autograder.worker.steps.loss`: `"hinge"` (`targets` are the labels y),
        `"mse"` (`targets` are lists) or `"sum"` (the sum of every output). With `lr`, one
        `torch.optim.SGD` step follows and the batch is run again.
        """
        torch = self.torch
        if network_size(layers) != len(params):
            raise ValueError(f"{len(params)} parameters for a network of {network_size(layers)}")
        theta = torch.tensor([float(p) for p in params], dtype=torch.float64, requires_grad=True)

        def forward(x: Sequence[float]) -> Any:
            h = torch.tensor([float(v) for v in x], dtype=torch.float64)
            offset = 0
            for nin, nout, nonlin in layers:
                block = theta[offset:offset + nout * (nin + 1)].view(nout, nin + 1)
                offset += nout * (nin + 1)
                h = block[:, :nin] @ h + block[:, nin]
                if nonlin:
                    h = torch.relu(h)
            return h

        outs = [forward(x) for x in batch]
        outputs = [[float(v) for v in out.detach().tolist()] for out in outs]
        if loss is None:
            return NetworkRun(outputs)
        elements = [list(out.unbind()) for out in outs]
        total = steps.loss(loss, elements, targets or [],
                           lambda x: torch.tensor(float(x), dtype=torch.float64), self.apply)
        total.backward()
        assert theta.grad is not None
        grads = [float(g) for g in theta.grad.tolist()]
        if lr is None:
            return NetworkRun(outputs, float(total.item()), grads)
        optimizer = torch.optim.SGD([theta], lr=lr)
        optimizer.step()
        with torch.no_grad():
            after = [[float(v) for v in forward(x).tolist()] for x in batch]
        return NetworkRun(outputs, float(total.item()), grads,
                          [float(p) for p in theta.detach().tolist()], after)


def load_oracle(kind: str = "auto") -> Any:
    """The oracle to grade with: `torch` (official), `python` (self-check), or `auto`.

    `auto` uses torch when it is installed and the pure-Python oracle otherwise, so a student's
    light install can self-check; every report names the oracle it used.
    """
    if kind in ("torch", "auto"):
        try:
            return TorchOracle()
        except OracleUnavailable:
            if kind == "torch":
                raise
    if kind in ("python", "auto"):
        from autograder.mathoracle import PythonOracle

        return PythonOracle()
    raise ValueError(f"unknown oracle {kind!r}: use torch, python or auto")
