"""The networks under test: which micrograd network to build, and the facts of its geometry.

Every fact about where a parameter sits (its layer, its neuron, whether it is a bias, how many
there are) comes from `Net.blocks`, micrograd's order: layer by layer, neuron by neuron, each
neuron's weights then its bias.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from autograder.worker import steps as S


@dataclass(frozen=True)
class Block:
    """One layer's parameters: `nout` neurons of `nin` weights and a bias, from `offset` on."""

    layer: int
    nin: int
    nout: int
    nonlin: bool
    offset: int

    @property
    def size(self) -> int:
        return self.nout * (self.nin + 1)


@dataclass(frozen=True)
class Net:
    """A micrograd network to build: `Neuron(nin)`, `Layer(nin, nout)` or `MLP(nin, nouts)`."""

    cls: str
    nin: int
    nouts: tuple[int, ...]
    nonlin: bool | None = None  # the `nonlin=` keyword of a Neuron or Layer; None: not passed

    @property
    def layers(self) -> list[tuple[int, int, bool]]:
        """(nin, nout, nonlin) per layer, as micrograd builds them (an MLP's last layer linear)."""
        if self.cls == "MLP":
            sizes = (self.nin, *self.nouts)
            last = len(self.nouts) - 1
            return [(sizes[i], sizes[i + 1], i != last) for i in range(len(self.nouts))]
        return [(self.nin, self.nouts[0], True if self.nonlin is None else self.nonlin)]

    def blocks(self) -> Iterator[Block]:
        offset = 0
        for layer, (nin, nout, nonlin) in enumerate(self.layers):
            block = Block(layer, nin, nout, nonlin, offset)
            yield block
            offset += block.size

    @property
    def nout(self) -> int:
        return self.nouts[-1]

    @property
    def size(self) -> int:
        return sum(block.size for block in self.blocks())

    @property
    def args(self) -> list[Any]:
        return {"MLP": [self.nin, list(self.nouts)], "Layer": [self.nin, self.nouts[0]],
                "Neuron": [self.nin]}[self.cls]

    @property
    def kwargs(self) -> dict[str, Any]:
        return {} if self.nonlin is None else {"nonlin": self.nonlin}

    @property
    def text(self) -> str:
        args = ", ".join([*map(repr, self.args), *(f"{k}={v!r}" for k, v in self.kwargs.items())])
        return f"{self.cls}({args})"

    def step(self) -> Any:
        return S.Module(self.cls, self.args, self.kwargs)

    def _block_of(self, index: int) -> Block | None:
        return next((b for b in self.blocks() if index < b.offset + b.size), None)

    def label(self, index: int) -> str:
        """`parameters()[7] (layer 1, neuron 0, w[2])`: where a flat index sits in the network."""
        block = self._block_of(index)
        if block is None:
            return f"parameters()[{index}]"
        neuron, k = divmod(index - block.offset, block.nin + 1)
        part = f"w[{k}]" if k < block.nin else "b"
        where = {"Neuron": part, "Layer": f"neuron {neuron}, {part}"}.get(
            self.cls, f"layer {block.layer}, neuron {neuron}, {part}")
        return f"parameters()[{index}] ({where})"

    def layer_of(self, index: int) -> int | None:
        """Which layer a flat parameter index falls in (None: past the end)."""
        block = self._block_of(index)
        return None if block is None else block.layer

    def bias_indices(self) -> list[int]:
        return [b.offset + j * (b.nin + 1) + b.nin for b in self.blocks() for j in range(b.nout)]

    def initial_values(self, seed: int) -> list[float]:
        """micrograd's initialisation, drawn by the grader: weights uniform(-1, 1), biases 0."""
        rng = random.Random(seed)
        values: list[float] = []
        for block in self.blocks():
            for _ in range(block.nout):
                values += [rng.uniform(-1, 1) for _ in range(block.nin)] + [0.0]
        return values


def parameters_check(net: Net) -> str:
    """The check that vouches for `net.parameters()`, which every other check relies on."""
    return "nn.mlp.parameters" if net.cls == "MLP" else "nn.neuron.parameters"


def count_problem(net: Net, got: int) -> str:
    """`MLP(3, [4, 4, 1]).parameters() returned 36 values; expected 41 (...) — are biases ...?`"""
    blocks = list(net.blocks())
    if net.cls == "Neuron":
        formula = f"{net.nin} weight{'s' if net.nin != 1 else ''} + 1 bias"
    else:
        formula = " + ".join(f"{b.nout}·({b.nin}+1)" for b in blocks)
    weights = sum(b.nout * b.nin for b in blocks)
    biases = sum(b.nout for b in blocks)
    sizes = [b.size for b in blocks]
    if got == 0:
        hint = "it is empty: collect the weights and bias of every neuron"
    elif got == weights:
        hint = "are biases included?"
    elif got == biases:
        hint = "are the weights included?"
    elif net.cls == "Layer" and got == net.nin + 1:
        hint = "that is one neuron's worth: Layer.parameters() must collect every neuron's"
    elif net.cls == "MLP" and got in sizes:
        hint = "that is one layer's worth: MLP.parameters() must collect every layer's"
    elif net.cls == "MLP" and any(got == net.size - size for size in sizes):
        hint = "one layer's parameters are missing"
    elif got > net.size:
        hint = "are some parameters listed twice?"
    else:
        hint = ("micrograd lists, layer by layer and neuron by neuron, each neuron's weights "
                "then its bias")
    values = "value" if got == 1 else "values"
    return (f"{net.text}.parameters() returned {got} {values}; expected {net.size} ({formula}) "
            f"— {hint}")
