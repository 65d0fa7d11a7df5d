"""What every oracle offers (`Oracle`), and the plain results it hands back.

An oracle computes what the student's engine should have computed: `run` evaluates a worker
program (see `autograder.ir`) on its own numbers, `network` runs an independent twin of
micrograd's MLP. Checks depend only on this protocol; `autograder.oracles.load_oracle` picks
the implementation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from autograder.ir import Program

Layers = Sequence[tuple[int, int, bool]]  # (nin, nout, nonlin) of each layer, input to output


@dataclass(frozen=True)
class NetworkRun:
    """What the twin of a micrograd network computed, as plain floats.

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


class Oracle(Protocol):
    """The reference numbers a check compares the worker's replies with."""

    @property
    def name(self) -> str:
        """Which oracle this is, as reports name it (`torch 2.13.0 float64`)."""
        ...

    @property
    def label(self) -> str:
        """What feedback calls the source of expected values: "PyTorch", "the self-check oracle"."""
        ...

    def run(self, program: Program) -> list[float]:
        """Evaluate `program`'s engine steps; return the values its `read` steps ask for."""
        ...

    def network(self, layers: Layers, params: Sequence[float], batch: Sequence[Sequence[float]],
                loss: str | None = None, targets: Sequence[Any] | None = None,
                lr: float | None = None) -> NetworkRun:
        """micrograd's MLP of `layers` with these parameters on `batch`; optionally a loss
        (`hinge`, `mse` or `sum`) with its gradient, and one SGD step of rate `lr`."""
        ...
