"""The op table: the data every engine check is generated from.

Each row says how an op is applied (`a + b`, `k - a`, `a.tanh()`: the same expression runs on the
student's Values in the worker and on float64 tensors in the torch oracle), which names are Values
and which are plain numbers, where its inputs come from, and which ops it is usually built from
(so feedback can name a root cause). Adding an op is adding a row; its checks follow.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from hypothesis import strategies as st

from autograder import domains


@dataclass(frozen=True)
class Op:
    name: str  # check ids are engine.<name>.forward / engine.<name>.backward
    expr: str  # how it is applied, over `a`, `b` (Values) and `k` (a plain number)
    method: str  # what the student implements
    operands: tuple[str, ...]  # names bound to Values
    params: tuple[str, ...]  # names bound to plain Python numbers
    domain: Callable[[], st.SearchStrategy[dict[str, float]]]  # draws {name: value}
    builds_on: tuple[str, ...] = ()  # ops it is usually built from (micrograd style)
    pinned: tuple[dict[str, float], ...] = ()  # edge examples always tried
    torch_expr: str | None = None  # the torch twin, when it differs from `expr`
    # The magnitude the usual formula passes through besides its inputs and output: tanh's
    # lecture formula (e**2x - 1) / (e**2x + 1) and sigmoid's 1 / (1 + e**-x) add 1 to an
    # exponential, so near 0 their rounding error is absolute (~1e-16), not relative. Forward
    # values are compared within FORWARD_RTOL * (|expected| + unit).
    unit: float = 0.0

    @property
    def arity(self) -> int:
        return len(self.operands) + len(self.params)

    @property
    def torch_twin(self) -> str:
        return self.torch_expr or self.expr

    @property
    def derived(self) -> bool:
        """Built from other ops: its backward spans several nodes, not one `_backward`."""
        return bool(self.builds_on)

    def call_text(self) -> str:
        """How a student would write the call, e.g. `2 - Value(3.0)` -> the method `__rsub__`."""
        return self.expr


def _inputs(**parts: st.SearchStrategy) -> Callable[[], st.SearchStrategy[dict[str, float]]]:
    return lambda: st.fixed_dictionaries(parts)


def _pow_inputs() -> st.SearchStrategy[dict[str, float]]:
    integer = st.fixed_dictionaries({"a": domains.away_from_zero(0.1, 50.0),
                                     "k": domains.integer_exponents()})
    real = st.fixed_dictionaries({"a": domains.positives(0.05, 100.0),
                                  "k": domains.float_exponents()})
    return st.one_of(integer, real)


OPS: tuple[Op, ...] = (
    Op("add", "a + b", "__add__", ("a", "b"), (), _inputs(a=domains.reals(), b=domains.reals())),
    Op("mul", "a * b", "__mul__", ("a", "b"), (), _inputs(a=domains.reals(), b=domains.reals())),
    Op("pow", "a ** k", "__pow__", ("a",), ("k",), _pow_inputs,
       pinned=({"a": 2.0, "k": 3}, {"a": 4.0, "k": 0.5}, {"a": 2.0, "k": -1})),
    Op("neg", "-a", "__neg__", ("a",), (), _inputs(a=domains.reals()), builds_on=("mul",)),
    Op("sub", "a - b", "__sub__", ("a", "b"), (), _inputs(a=domains.reals(), b=domains.reals()),
       builds_on=("add", "neg")),
    Op("truediv", "a / b", "__truediv__", ("a", "b"), (),
       _inputs(a=domains.reals(), b=domains.away_from_zero()), builds_on=("mul", "pow")),
    Op("radd", "k + a", "__radd__", ("a",), ("k",),
       _inputs(a=domains.reals(), k=domains.plain_numbers()), builds_on=("add",)),
    Op("rsub", "k - a", "__rsub__", ("a",), ("k",),
       _inputs(a=domains.reals(), k=domains.plain_numbers()), builds_on=("add", "neg")),
    Op("rmul", "k * a", "__rmul__", ("a",), ("k",),
       _inputs(a=domains.reals(), k=domains.plain_numbers()), builds_on=("mul",)),
    Op("rtruediv", "k / a", "__rtruediv__", ("a",), ("k",),
       _inputs(a=domains.away_from_zero(), k=domains.plain_numbers()), builds_on=("mul", "pow")),
    Op("relu", "a.relu()", "relu", ("a",), (), _inputs(a=domains.reals()),
       pinned=({"a": 0.0}, {"a": -1.5}, {"a": 2.5})),
    Op("tanh", "a.tanh()", "tanh", ("a",), (), _inputs(a=domains.reals(20.0)),
       pinned=({"a": 0.0}, {"a": 0.5}), unit=1.0),
    Op("exp", "a.exp()", "exp", ("a",), (), _inputs(a=domains.reals(30.0)),
       pinned=({"a": 0.0}, {"a": 1.0})),
    Op("log", "a.log()", "log", ("a",), (), _inputs(a=domains.positives(1e-3, 1e4)),
       pinned=({"a": 1.0}, {"a": 2.0})),
    Op("sigmoid", "a.sigmoid()", "sigmoid", ("a",), (), _inputs(a=domains.reals(30.0)),
       pinned=({"a": 0.0}, {"a": -2.0}), unit=1.0),
)

OPS_BY_NAME: dict[str, Op] = {op.name: op for op in OPS}
