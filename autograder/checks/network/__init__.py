"""`nn.*`: the student's `Neuron`, `Layer` and `MLP` against a PyTorch twin of the same network.

Every check sets the network's parameters through the student's own `parameters()` (micrograd's
order: layer by layer, neuron by neuron, each neuron's weights then its bias) to values hypothesis
draws, runs it in the worker, and compares outputs, losses and every parameter's gradient with
`TorchOracle.network`, which computes the same network with matrices. Losses are built in the
worker from `+`, `*` and `relu()` only, so a broken reflected op (`1 - x`) costs its own engine
check and not these.

Drawn numbers are multiples of 1/8 (1/32 for positive draws), so sums and products in the worker
and in torch are exact: a ReLU never sits on a rounding error, and a mismatch is a real bug.

What each check does, the training budget and the worker's network steps: docs/CHECKS_NN.md.
"""

from __future__ import annotations

from collections.abc import Callable

from autograder.checks.base import CheckContext, CheckDef
from autograder.checks.network.backward import mlp_backward, sgd_step, zero_grad
from autograder.checks.network.forward import (
    layer_forward,
    mlp_forward,
    neuron_forward,
    single_neuron_layer,
)
from autograder.checks.network.nets import Net, count_problem
from autograder.checks.network.parameters import mlp_parameters, neuron_parameters
from autograder.checks.network.training import TRAIN_DEFAULTS, train_moons
from autograder.model import Verdict

__all__ = ["Net", "TRAIN_DEFAULTS", "count_problem", "network_checks"]

GROUP = "nn"
FORWARD_NEEDS = ("engine.add.forward", "engine.mul.forward", "engine.relu.forward")
BACKWARD_NEEDS = FORWARD_NEEDS + (
    "engine.add.backward", "engine.mul.backward", "engine.relu.backward",
    "engine.backward.order", "engine.backward.accumulation")


# ---- the catalogue entries -----------------------------------------------------------------------


def network_checks() -> list[CheckDef]:
    entries: list[tuple[str, str, Callable[[CheckContext], Verdict], tuple[str, ...]]] = [
        ("nn.neuron.parameters", "Neuron.parameters(): its weights then its bias",
         neuron_parameters, BACKWARD_NEEDS),
        ("nn.neuron.forward", "Neuron: forward pass relu(w·x + b) (or linear)",
         neuron_forward, FORWARD_NEEDS + ("nn.neuron.parameters",)),
        ("nn.layer.forward", "Layer: forward pass, a Value for one neuron, a list otherwise",
         layer_forward, FORWARD_NEEDS + ("nn.neuron.parameters", "nn.neuron.forward")),
        ("nn.mlp.parameters", "MLP.parameters(): every weight and bias, in micrograd's order",
         mlp_parameters, BACKWARD_NEEDS + ("nn.neuron.parameters",)),
        ("nn.mlp.forward", "MLP: forward pass (ReLU hidden layers, linear output layer)",
         mlp_forward, FORWARD_NEEDS + ("nn.layer.forward", "nn.mlp.parameters")),
        ("nn.layer.single_neuron", "MLP(2, [3, 1, 1]): a one-neuron hidden layer feeds the next",
         single_neuron_layer, FORWARD_NEEDS + ("nn.layer.forward", "nn.mlp.parameters")),
        ("nn.mlp.backward", "MLP: every parameter's gradient for hinge and MSE losses",
         mlp_backward, BACKWARD_NEEDS + ("nn.mlp.forward", "nn.mlp.parameters")),
        ("nn.zero_grad", "zero_grad() resets every parameter's gradient", zero_grad,
         BACKWARD_NEEDS),
        ("nn.sgd_step", "one SGD step matches torch.optim.SGD", sgd_step,
         BACKWARD_NEEDS + ("nn.mlp.backward",)),
        ("nn.train.moons", "training on the two moons reaches 95% accuracy", train_moons,
         BACKWARD_NEEDS + ("nn.mlp.backward", "nn.zero_grad", "nn.sgd_step")),
    ]
    return [CheckDef(cid, title, GROUP, run, needs, wants_nn=True,
                     params=tuple(TRAIN_DEFAULTS) if cid == "nn.train.moons" else ())
            for cid, title, run, needs in entries]
