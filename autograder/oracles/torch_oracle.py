"""The official oracle: PyTorch in float64, the only module that imports torch.

It runs the same programs the worker runs (see `autograder.ir`), with every Value replaced by a
float64 tensor, and returns the values the worker should have read. Op expressions such as
`a.tanh()` or `k - a` are valid on tensors as written; an op whose expression is not names its
`torch_expr` in the op table, which stays the single description of each op.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from autograder.ops import OPS, Op
from autograder.oracles.base import Layers, NetworkRun, OracleUnavailable, network_size
from autograder.oracles.evaluator import Evaluator
from autograder.worker import steps


def torch_version() -> str | None:
    """The installed torch's version, or None when torch is not installed."""
    try:
        import torch
    except ImportError:
        return None
    return str(torch.__version__)


class TorchOracle(Evaluator):
    """Evaluate programs with torch autograd, float64, single-threaded (deterministic)."""

    def __init__(self, ops: Sequence[Op] = OPS) -> None:
        try:
            import torch
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise OracleUnavailable(
                "PyTorch is not installed, so the torch oracle cannot run. Install it with "
                "`pip install 'mgrade[oracle]' -c constraints.txt` (CPU build), or grade with "
                "`--oracle python` for a self-check."
            ) from exc
        torch.set_num_threads(1)
        super().__init__({"torch": torch})
        self.torch = torch
        self.name = f"torch {torch.__version__} float64"
        self.label = "PyTorch"
        # an op whose expression is no tensor method (`a.softplus()`) names its torch twin
        self.twins = {op.expr: op.torch_twin for op in ops if op.torch_twin != op.expr}

    def apply(self, expr: str, env: dict[str, Any]) -> Any:
        return super().apply(self.twins.get(expr, expr), env)

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
        # d(node * seed)/d(node) is seed exactly, so every gradient is what
        # node.backward(gradient=seed) gives; passing a gradient tensor would make torch import
        # its symbolic-shapes machinery (sympy), 0.7 s of a cold grade.
        (node * seed).backward(retain_graph=True)

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
