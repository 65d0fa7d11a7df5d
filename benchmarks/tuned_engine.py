"""The reference engine tuned for speed and memory: the same ops and API, with the tricks removed
from what students read (`__slots__`, `_prev` as a tuple, a shared no-op leaf `_backward`, operands
passed as default arguments instead of closure cells). `benchmarks/engine.py` times it beside the
reference and PyPI micrograd, to show what those tricks buy.

The original docstring follows.

A scalar-valued autodiff engine: every number is a `Value` that remembers how it was made.

Each op computes its result *and* records, in a small `_backward` function written right next to
the forward computation, how to push the gradient of its output back to its inputs (the chain rule,
one local derivative at a time). `backward()` then visits the graph in reverse topological order
and calls every `_backward` once.

The API matches karpathy/micrograd 0.1.0, so code written against it runs unchanged here.
"""

from __future__ import annotations

import math


def _no_backward() -> None:
    """A leaf has no inputs to pass gradient to; all leaves share this one function."""


class Value:
    """A scalar, its gradient, and the op and inputs that produced it."""

    # No per-instance __dict__: a large graph holds millions of these.
    __slots__ = ("data", "grad", "_backward", "_prev", "_op")

    def __init__(self, data: float, _children: tuple[Value, ...] = (), _op: str = "") -> None:
        self.data = data
        self.grad = 0
        # Internal bookkeeping for building and walking the graph:
        self._backward = _no_backward  # pushes self.grad into the inputs' .grad
        # The Values this one was computed from. Upstream keeps a set; a tuple iterates the same
        # way (`for child in v._prev`, `len`, `in`) at a quarter of the memory, and leaves share
        # the empty tuple.
        self._prev = _children
        self._op = _op  # the op that produced this node, for graphviz / debugging

    # ------------------------------------------------------------------ ops with their own backward

    def __add__(self, other: Value | float) -> Value:
        """Return `self + other` as a Value with `_op` `'+'` (a number is wrapped in a Value first).

        Local derivatives: d(a+b)/da = 1 and d(a+b)/db = 1, so each input gains `out.grad`.
        """
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other), "+")

        # Every _backward here takes its operands as default arguments instead of closing over
        # them. The body reads the same, but a closure makes one heap cell per captured name while
        # defaults share one tuple: a binary op's node is four objects instead of six, and on large
        # graphs most of the build time is the cycle collector traversing those objects.
        def _backward(self=self, other=other, out=out) -> None:
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other: Value | float) -> Value:
        """Return `self * other` as a Value with `_op` `'*'` (a number is wrapped in a Value first).

        Local derivatives: d(a*b)/da = b and d(a*b)/db = a.
        """
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward(self=self, other=other, out=out) -> None:
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def __pow__(self, other: int | float) -> Value:
        """Return `self ** other` for a plain int/float exponent; its `_op` is e.g. `'**2'`.

        Local derivative: d(a**k)/da = k * a**(k-1).
        """
        assert isinstance(other, (int, float)), "only supporting int/float powers for now"
        out = Value(self.data**other, (self,), f"**{other}")

        def _backward(self=self, other=other, out=out) -> None:
            self.grad += other * self.data ** (other - 1) * out.grad

        out._backward = _backward
        return out

    def relu(self) -> Value:
        """Return `max(0, self)` with `_op` `'ReLU'`.

        Local derivative: 1 where the output is positive, else 0 (also exactly at 0).
        """
        out = Value(self.data if self.data > 0 else 0.0, (self,), "ReLU")

        def _backward(self=self, out=out) -> None:
            if out.data > 0:
                self.grad += out.grad

        out._backward = _backward
        return out

    def tanh(self) -> Value:
        """Return `tanh(self)` with `_op` `'tanh'` (math.tanh stays accurate for large |x|).

        Local derivative: d tanh(a)/da = 1 - tanh(a)**2, which the output already holds.
        """
        out = Value(math.tanh(self.data), (self,), "tanh")

        def _backward(self=self, out=out) -> None:
            self.grad += (1 - out.data * out.data) * out.grad

        out._backward = _backward
        return out

    def exp(self) -> Value:
        """Return `e ** self` with `_op` `'exp'`.

        Local derivative: d exp(a)/da = exp(a), the output itself.
        """
        out = Value(math.exp(self.data), (self,), "exp")

        def _backward(self=self, out=out) -> None:
            self.grad += out.data * out.grad

        out._backward = _backward
        return out

    def log(self) -> Value:
        """Return the natural log of `self` with `_op` `'log'`; raise ValueError unless self > 0.

        Local derivative: d log(a)/da = 1 / a.
        """
        if self.data <= 0:
            raise ValueError(f"log is only defined for positive numbers, got log({self.data})")
        out = Value(math.log(self.data), (self,), "log")

        def _backward(self=self, out=out) -> None:
            self.grad += out.grad / self.data

        out._backward = _backward
        return out

    def sigmoid(self) -> Value:
        """Return `1 / (1 + e**-self)` with `_op` `'sigmoid'`, without overflowing for large |x|.

        Local derivative: d sigmoid(a)/da = sigmoid(a) * (1 - sigmoid(a)).
        """
        x = self.data
        if x >= 0:
            s = 1 / (1 + math.exp(-x))
        else:  # exp(-x) would overflow for very negative x; exp(x) cannot
            e = math.exp(x)
            s = e / (1 + e)
        out = Value(s, (self,), "sigmoid")

        def _backward(self=self, out=out) -> None:
            self.grad += out.grad * (1 - out.data) * out.data

        out._backward = _backward
        return out

    # ------------------------------------------------------------------ backpropagation

    def backward(self) -> None:
        """Fill in `.grad` of every Value this one depends on, seeding `self.grad = 1`.

        Order the graph topologically (every node after all of its inputs), then call each node's
        `_backward` from the output back to the leaves. Use an explicit stack, not recursion: a
        chain of a million nodes must not hit Python's recursion limit.
        """
        topo: list[Value] = []  # every node after all of its inputs
        expanded: set[Value] = set()  # nodes whose inputs have been pushed on the stack
        placed: set[Value] = set()  # nodes already in topo
        stack = [self]
        while stack:
            node = stack[-1]
            if node not in expanded:  # first visit: push its inputs, to be placed before it
                expanded.add(node)
                for child in node._prev:
                    if child not in expanded:
                        stack.append(child)
            else:  # back on top of the stack: all of its inputs are placed by now
                stack.pop()
                if node not in placed:
                    placed.add(node)
                    topo.append(node)

        self.grad = 1
        for node in reversed(topo):
            node._backward()

    # ---------------------------------------------------------------- ops built from the ones above

    def __neg__(self) -> Value:
        """Return `-self`, as `self * -1`."""
        return self * -1

    def __radd__(self, other: float) -> Value:
        """Return `other + self` when `other` is a plain number, as `self + other`."""
        return self + other

    def __sub__(self, other: Value | float) -> Value:
        """Return `self - other`, as `self + (-other)`."""
        return self + (-other)

    def __rsub__(self, other: float) -> Value:
        """Return `other - self` when `other` is a plain number, as `other + (-self)`."""
        return other + (-self)

    def __rmul__(self, other: float) -> Value:
        """Return `other * self` when `other` is a plain number, as `self * other`."""
        return self * other

    def __truediv__(self, other: Value | float) -> Value:
        """Return `self / other`, as `self * other**-1`."""
        return self * other**-1

    def __rtruediv__(self, other: float) -> Value:
        """Return `other / self` when `other` is a plain number, as `other * self**-1`."""
        return other * self**-1

    def __repr__(self) -> str:
        return f"Value(data={self.data}, grad={self.grad})"
