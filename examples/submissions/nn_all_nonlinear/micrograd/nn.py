"""A tiny neural-network library on top of `Value`: neurons, layers and a multi-layer perceptron.

The semantics match karpathy/micrograd 0.1.0 (weights drawn from uniform(-1, 1), a zero bias,
ReLU on every layer but the last), so a network here and one there, given the same random seed,
compute the same numbers. One upstream bug is fixed: a hidden layer with a single neuron returns
a bare Value, which upstream then passes to the next layer as if it were a list of inputs.
"""

from __future__ import annotations

import random

from .engine import Value


class Module:
    """Anything with parameters: it can list them and reset their gradients."""

    def zero_grad(self) -> None:
        """Set `.grad` of every parameter back to 0, before the next backward pass accumulates."""
        for p in self.parameters():
            p.grad = 0

    def parameters(self) -> list[Value]:
        """Every trainable Value, in a fixed order. A module without parameters returns []."""
        return []


class Neuron(Module):
    """One unit: `relu(w . x + b)`, or just `w . x + b` when `nonlin` is False."""

    def __init__(self, nin: int, nonlin: bool = True) -> None:
        """Make `nin` weights drawn from random.uniform(-1, 1) (`self.w`) and a bias Value(0)
        (`self.b`)."""
        self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]
        self.b = Value(0)
        self.nonlin = nonlin

    def __call__(self, x: list[Value | float]) -> Value:
        """Return the weighted sum of the inputs plus the bias, `sum(w_i * x_i) + b`, passed
        through relu() when `self.nonlin` is true. `x` must have exactly `nin` entries."""
        act = sum((wi * xi for wi, xi in zip(self.w, x, strict=True)), self.b)
        return act.relu() if self.nonlin else act

    def parameters(self) -> list[Value]:
        """The weights in order, then the bias: `w[0], ..., w[nin-1], b`."""
        return self.w + [self.b]

    def __repr__(self) -> str:
        return f"{'ReLU' if self.nonlin else 'Linear'}Neuron({len(self.w)})"


class Layer(Module):
    """`nout` neurons that all read the same inputs."""

    def __init__(self, nin: int, nout: int, **kwargs: bool) -> None:
        self.neurons = [Neuron(nin, **kwargs) for _ in range(nout)]

    def __call__(self, x: list[Value | float]) -> Value | list[Value]:
        """Return a list with each neuron's output, or the bare Value when there is one neuron."""
        out = [n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def parameters(self) -> list[Value]:
        """Every neuron's parameters, neuron after neuron."""
        return [p for n in self.neurons for p in n.parameters()]

    def __repr__(self) -> str:
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(Module):
    """A multi-layer perceptron: `nin` inputs, then one layer per entry of `nouts`.

    Every layer but the last applies ReLU; the last is linear, so the output can be any number.
    """

    def __init__(self, nin: int, nouts: list[int]) -> None:
        sz = [nin] + nouts
        self.layers = [
            Layer(sz[i], sz[i + 1]) for i in range(len(nouts))
        ]

    def __call__(self, x: list[Value | float]) -> Value | list[Value]:
        """Feed `x` through every layer in turn and return the last layer's output.

        A one-neuron layer returns a bare Value; wrap it back into a list before the next layer.
        """
        for layer in self.layers:
            if isinstance(x, Value):
                x = [x]
            x = layer(x)
        return x

    def parameters(self) -> list[Value]:
        """Every layer's parameters, first layer first."""
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self) -> str:
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"
