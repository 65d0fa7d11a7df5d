"""The op table: the one description of every op, from which everything about ops is derived.

Each row says how an op is applied (`a + b`, `k - a`, `a.tanh()`: the same expression runs on the
student's Values in the worker and, or its `torch_expr`, on float64 tensors in the torch oracle),
which names are Values and which are plain numbers, where its inputs come from, its math on plain
floats (forward value and local derivative, side by side, as in micrograd's engine), and which ops
it is usually built from (so feedback can name a root cause).

Derived from the table: the `engine.<op>.forward` / `engine.<op>.backward` checks, the
pure-Python oracle's tape, the torch oracle's expressions, the random graphs of the
`engine.backward.*` checks, the methods the worker reports at start-up, the op table of
docs/CHECKS.md (`python -m autograder.ops` prints it) and the notebooks' table of each op's math
(`tex`). Adding an op is adding a row.

Calling convention of `forward`, `local` and `safe`: the operand values, then the plain numbers,
in the order of `operands + params` (`local` gets the forward's result first). The method named
by `method` is called on the Value `a`, with the other names as its arguments, as Python does for
`a - b` (`a.__sub__(b)`) or `k - a` (`a.__rsub__(k)`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from hypothesis import strategies as st

from autograder import domains


@dataclass(frozen=True)
class Op:
    name: str  # check ids are engine.<name>.forward / engine.<name>.backward
    expr: str  # how it is applied, over `a`, `b` (Values) and `k` (a plain number)
    method: str  # what the student implements
    operands: tuple[str, ...]  # names bound to Values; the method is called on the first, `a`
    params: tuple[str, ...]  # names bound to plain Python numbers
    domain: Callable[[], st.SearchStrategy[dict[str, float]]]  # draws {name: value} for its checks
    forward: Callable[..., float]  # its value on plain floats
    local: Callable[..., tuple[float, ...]]  # d out / d operand, per operand, given (out, *inputs)
    inputs_doc: str  # its checks' inputs in words (docs/CHECKS.md)
    builds_on: tuple[str, ...] = ()  # ops it is usually built from (micrograd style)
    pinned: tuple[dict[str, float], ...] = ()  # edge examples always tried
    graph_ks: tuple[float, ...] = ()  # the plain numbers random graphs use, when it takes one
    safe: Callable[..., bool] | None = None  # where random graphs may apply it (well-conditioned)
    torch_expr: str | None = None  # the torch twin (may use `torch.`), when it differs from `expr`
    # The magnitude the usual formula passes through besides its inputs and output: tanh's
    # lecture formula (e**2x - 1) / (e**2x + 1) and sigmoid's 1 / (1 + e**-x) add 1 to an
    # exponential, so near 0 their rounding error is absolute (~1e-16), not relative. Forward
    # values are compared within FORWARD_RTOL * (|expected| + unit).
    unit: float = 0.0
    # Its math as the lecture writes it (LaTeX): the value and the local derivative, side by
    # side; and, for an op usually built from others, the expression it is built as.
    tex: tuple[str, str] = ("", "")
    built_as: str = ""

    def __post_init__(self) -> None:
        if self.operands[:1] != ("a",):
            raise ValueError(f"op {self.name}: the first operand must be `a`, the method's self")
        if self.params and not self.graph_ks:
            raise ValueError(f"op {self.name}: takes {', '.join(self.params)}, so it needs "
                             "graph_ks (the values random graphs use)")
        if not all(self.tex):
            raise ValueError(f"op {self.name}: tex needs its value and its local derivative")

    @property
    def torch_twin(self) -> str:
        return self.torch_expr or self.expr

    @property
    def derived(self) -> bool:
        """Built from other ops: its backward spans several nodes, not one `_backward`."""
        return bool(self.builds_on)

    @property
    def kind(self) -> str:
        """`core` or `derived`, the tag a manifest can give its checks (`{kind}`)."""
        return "derived" if self.derived else "core"

    @property
    def operation(self) -> str:
        """The expression in words for titles: `a ** k, k a plain number`."""
        return ", ".join([self.expr] + [f"{name} a plain number" for name in self.params])


def engine_methods(ops: Sequence[Op]) -> tuple[str, ...]:
    """What the worker reports on at start-up: every op's method, then `backward`."""
    return tuple(dict.fromkeys([op.method for op in ops] + ["backward"]))


def markdown_table(ops: Sequence[Op]) -> str:
    """The op table of docs/CHECKS.md (a row's inputs read "same" when they repeat the last)."""
    lines = ["| op | expression | student implements | inputs | usually built from |",
             "| --- | --- | --- | --- | --- |"]
    previous = None
    for op in ops:
        inputs = "same" if op.inputs_doc == previous else op.inputs_doc.replace("|", "\\|")
        previous = op.inputs_doc
        cells = (op.name, f"`{op.expr}`", f"`{op.method}`", inputs, ", ".join(op.builds_on))
        lines.append("|" + "|".join(f" {cell} " if cell else " " for cell in cells) + "|")
    return "\n".join(lines) + "\n"


def sigmoid(x: float) -> float:
    """1 / (1 + e**-x), without overflow for large |x|."""
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


def _inputs(**parts: st.SearchStrategy) -> Callable[[], st.SearchStrategy[dict[str, float]]]:
    return lambda: st.fixed_dictionaries(parts)


def _pow_inputs() -> st.SearchStrategy[dict[str, float]]:
    integer = st.fixed_dictionaries({"a": domains.away_from_zero(0.1, 50.0),
                                     "k": domains.integer_exponents()})
    real = st.fixed_dictionaries({"a": domains.positives(0.05, 100.0),
                                  "k": domains.float_exponents()})
    return st.one_of(integer, real)


_REALS = "any in [-1e3, 1e3], tiny ones too"
_PLAIN = "k a float in [-100, 100] or an int in [-5, 5]"

OPS: tuple[Op, ...] = (
    Op("add", "a + b", "__add__", ("a", "b"), (),
       _inputs(a=domains.reals(), b=domains.reals()),
       forward=lambda a, b: a + b, local=lambda out, a, b: (1.0, 1.0), inputs_doc=_REALS,
       tex=(r"a + b",
            r"\frac{\partial}{\partial a} = 1,\ \frac{\partial}{\partial b} = 1")),
    Op("mul", "a * b", "__mul__", ("a", "b"), (),
       _inputs(a=domains.reals(), b=domains.reals()),
       forward=lambda a, b: a * b, local=lambda out, a, b: (b, a), inputs_doc=_REALS,
       tex=(r"a \cdot b",
            r"\frac{\partial}{\partial a} = b,\ \frac{\partial}{\partial b} = a")),
    Op("pow", "a ** k", "__pow__", ("a",), ("k",), _pow_inputs,
       forward=lambda a, k: a ** k, local=lambda out, a, k: (k * a ** (k - 1),),
       inputs_doc="integer k in [-3, 4] with |a| in [0.1, 50]; real k in [-3, 3] with a in "
                  "[0.05, 100]",
       pinned=({"a": 2.0, "k": 3}, {"a": 4.0, "k": 0.5}, {"a": 2.0, "k": -1}),
       graph_ks=(2, 3, -1, 2.0, 0.5), safe=lambda a, k: 0.2 <= abs(a) <= 20,
       tex=(r"a^k",
            r"\frac{d}{da} = k\,a^{k-1}")),
    Op("neg", "-a", "__neg__", ("a",), (), _inputs(a=domains.reals()),
       forward=lambda a: -a, local=lambda out, a: (-1.0,), inputs_doc=_REALS, builds_on=("mul",),
       tex=(r"-a",
            r"\frac{d}{da} = -1"), built_as="`a * -1`"),
    Op("sub", "a - b", "__sub__", ("a", "b"), (),
       _inputs(a=domains.reals(), b=domains.reals()),
       forward=lambda a, b: a - b, local=lambda out, a, b: (1.0, -1.0), inputs_doc=_REALS,
       builds_on=("add", "neg"),
       tex=(r"a - b",
            r"\frac{\partial}{\partial a} = 1,\ \frac{\partial}{\partial b} = -1"),
       built_as="`a + (-b)`"),
    Op("truediv", "a / b", "__truediv__", ("a", "b"), (),
       _inputs(a=domains.reals(), b=domains.away_from_zero()),
       forward=lambda a, b: a / b, local=lambda out, a, b: (1.0 / b, -a / (b * b)),
       inputs_doc="|b| in [0.1, 1e3]", builds_on=("mul", "pow"), safe=lambda a, b: abs(b) >= 0.2,
       tex=(r"a / b",
            r"\frac{\partial}{\partial a} = \frac{1}{b},\ "
            r"\frac{\partial}{\partial b} = -\frac{a}{b^2}"),
       built_as="`a * b**-1`"),
    Op("radd", "k + a", "__radd__", ("a",), ("k",),
       _inputs(a=domains.reals(), k=domains.plain_numbers()),
       forward=lambda a, k: k + a, local=lambda out, a, k: (1.0,), inputs_doc=_PLAIN,
       builds_on=("add",), graph_ks=(1.0, 2.0, -0.5),
       tex=(r"k + a",
            r"\frac{d}{da} = 1"), built_as="`a + k`"),
    Op("rsub", "k - a", "__rsub__", ("a",), ("k",),
       _inputs(a=domains.reals(), k=domains.plain_numbers()),
       forward=lambda a, k: k - a, local=lambda out, a, k: (-1.0,), inputs_doc=_PLAIN,
       builds_on=("add", "neg"), graph_ks=(1.0, 2.0, -0.5),
       tex=(r"k - a",
            r"\frac{d}{da} = -1"), built_as="`k + (-a)`"),
    Op("rmul", "k * a", "__rmul__", ("a",), ("k",),
       _inputs(a=domains.reals(), k=domains.plain_numbers()),
       forward=lambda a, k: k * a, local=lambda out, a, k: (k,), inputs_doc=_PLAIN,
       builds_on=("mul",), graph_ks=(2.0, -3.0, 0.5),
       tex=(r"k \cdot a",
            r"\frac{d}{da} = k"), built_as="`a * k`"),
    Op("rtruediv", "k / a", "__rtruediv__", ("a",), ("k",),
       _inputs(a=domains.away_from_zero(), k=domains.plain_numbers()),
       forward=lambda a, k: k / a, local=lambda out, a, k: (-k / (a * a),),
       inputs_doc="|a| in [0.1, 1e3]", builds_on=("mul", "pow"), graph_ks=(1.0, 2.0, -1.5),
       safe=lambda a, k: abs(a) >= 0.2,
       tex=(r"k / a",
            r"\frac{d}{da} = -\frac{k}{a^2}"), built_as="`k * a**-1`"),
    Op("relu", "a.relu()", "relu", ("a",), (), _inputs(a=domains.reals()),
       forward=lambda a: max(a, 0.0), local=lambda out, a: (1.0 if a > 0 else 0.0,),
       inputs_doc="any, plus exactly 0 (derivative 0 there, as in PyTorch)",
       pinned=({"a": 0.0}, {"a": -1.5}, {"a": 2.5}),
       tex=(r"\max(0, a)",
            r"\frac{d}{da} = 1 \text{ if } a > 0 \text{ else } 0")),
    Op("tanh", "a.tanh()", "tanh", ("a",), (), _inputs(a=domains.reals(20.0)),
       forward=math.tanh, local=lambda out, a: (1.0 - out * out,), inputs_doc="[-20, 20]",
       pinned=({"a": 0.0}, {"a": 0.5}), unit=1.0,
       tex=(r"\tanh a",
            r"\frac{d}{da} = 1 - \tanh^2 a")),
    Op("exp", "a.exp()", "exp", ("a",), (), _inputs(a=domains.reals(30.0)),
       forward=math.exp, local=lambda out, a: (out,), inputs_doc="[-30, 30]",
       pinned=({"a": 0.0}, {"a": 1.0}), safe=lambda a: abs(a) <= 10,
       tex=(r"e^a",
            r"\frac{d}{da} = e^a")),
    Op("log", "a.log()", "log", ("a",), (), _inputs(a=domains.positives(1e-3, 1e4)),
       forward=math.log, local=lambda out, a: (1.0 / a,), inputs_doc="[1e-3, 1e4]",
       pinned=({"a": 1.0}, {"a": 2.0}), safe=lambda a: a >= 0.1,
       tex=(r"\ln a",
            r"\frac{d}{da} = \frac{1}{a}")),
    Op("sigmoid", "a.sigmoid()", "sigmoid", ("a",), (), _inputs(a=domains.reals(30.0)),
       forward=sigmoid, local=lambda out, a: ((1.0 - out) * out,), inputs_doc="[-30, 30]",
       pinned=({"a": 0.0}, {"a": -2.0}), unit=1.0,
       tex=(r"\sigma(a) = \frac{1}{1 + e^{-a}}",
            r"\frac{d}{da} = \sigma(a)\,(1 - \sigma(a))")),
)


def by_name(ops: Sequence[Op]) -> Mapping[str, Op]:
    """A read-only {name: op} view of a table."""
    return MappingProxyType({op.name: op for op in ops})


OPS_BY_NAME: Mapping[str, Op] = by_name(OPS)


if __name__ == "__main__":
    print(markdown_table(OPS), end="")
