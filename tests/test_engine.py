"""The reference engine against PyTorch (float64): every op's value and gradient, random graphs with
shared nodes, micrograd's README example, deep chains, and the API details upstream code relies on.
"""

from __future__ import annotations

import math
import operator
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from util import reference

Value = reference().engine.Value

REL = 1e-12
# tanh'(x) = 1 - tanh(x)**2 cancels for large |x|: one ulp of difference in tanh(x) between math
# and torch is ~1e-16 absolute in the derivative, whatever its relative size.
ABS = 1e-15


def assert_close(what: str, ours: float, theirs: float, rel: float = REL, abs_: float = ABS
                 ) -> None:
    assert math.isclose(ours, theirs, rel_tol=rel, abs_tol=abs_), (
        f"{what}: reference gives {ours!r}, torch gives {theirs!r} "
        f"(difference {abs(ours - theirs):.3g}, allowed rel {rel:g} / abs {abs_:g})"
    )


def leaf(x: float) -> torch.Tensor:
    return torch.tensor(x, dtype=torch.float64, requires_grad=True)


def grad_of(t: torch.Tensor) -> float:
    """torch leaves the grad of an input the output does not depend on as None; micrograd has 0."""
    return 0.0 if t.grad is None else t.grad.item()


def reals(bound: float = 1e3) -> st.SearchStrategy[float]:
    return st.floats(-bound, bound, allow_nan=False, allow_infinity=False)


def away_from_zero(low: float = 0.1, high: float = 1e3) -> st.SearchStrategy[float]:
    return st.floats(low, high) | st.floats(-high, -low)


# A plain Python number on the left or right of a Value: ints must work as well as floats.
numbers = st.integers(-100, 100) | reals()


@dataclass(frozen=True)
class OpCase:
    """One op applied to Values (and maybe a plain number), and the same op in torch."""

    name: str
    ours: Callable[..., Value]
    theirs: Callable[..., torch.Tensor]
    values: Sequence[st.SearchStrategy[float]]  # one strategy per Value operand
    number: st.SearchStrategy[float] | None = None  # the plain-number operand, if any


OP_CASES = [
    OpCase("add", operator.add, operator.add, [reals(), reals()]),
    OpCase("mul", operator.mul, operator.mul, [reals(), reals()]),
    OpCase("sub", operator.sub, operator.sub, [reals(), reals()]),
    OpCase("truediv", operator.truediv, operator.truediv, [reals(), away_from_zero()]),
    OpCase("neg", operator.neg, operator.neg, [reals()]),
    OpCase("radd", lambda a, k: k + a, lambda a, k: k + a, [reals()], numbers),
    OpCase("rsub", lambda a, k: k - a, lambda a, k: k - a, [reals()], numbers),
    OpCase("rmul", lambda a, k: k * a, lambda a, k: k * a, [reals()], numbers),
    OpCase("rtruediv", lambda a, k: k / a, lambda a, k: k / a, [away_from_zero()], numbers),
    OpCase("add_number", lambda a, k: a + k, lambda a, k: a + k, [reals()], numbers),
    OpCase("mul_number", lambda a, k: a * k, lambda a, k: a * k, [reals()], numbers),
    OpCase("pow_int", operator.pow, operator.pow, [away_from_zero(0.1, 50.0)], st.integers(-4, 5)),
    OpCase("pow_float", operator.pow, operator.pow, [st.floats(0.05, 100.0)],
           st.floats(-3.0, 3.0, allow_nan=False)),
    OpCase("relu", Value.relu, torch.relu, [reals()]),
    OpCase("tanh", Value.tanh, torch.tanh, [reals(40.0)]),
    OpCase("exp", Value.exp, torch.exp, [reals(50.0)]),
    OpCase("log", Value.log, torch.log, [st.floats(1e-6, 1e6)]),
    OpCase("sigmoid", Value.sigmoid, torch.sigmoid, [reals(700.0)]),
]


@st.composite
def op_inputs(draw: st.DrawFn, case: OpCase) -> tuple[list[float], list[float]]:
    """The Value operands, and the plain number as a one-element list (or an empty one)."""
    values = [draw(s) for s in case.values]
    number = [] if case.number is None else [draw(case.number)]
    return values, number


@pytest.mark.parametrize("case", OP_CASES, ids=lambda c: c.name)
@given(data=st.data())
def test_op_value_and_gradients_match_torch(case: OpCase, data: st.DataObject) -> None:
    xs, number = data.draw(op_inputs(case), label="inputs")
    ours = [Value(x) for x in xs]
    out = case.ours(*ours, *number)
    out.backward()

    theirs = [leaf(x) for x in xs]
    expected = case.theirs(*theirs, *number)
    expected.backward()

    where = f"{case.name} at inputs {xs}" + (f" with number {number[0]!r}" if number else "")
    assert_close(f"{where}: value", out.data, expected.item())
    for i, (v, t) in enumerate(zip(ours, theirs, strict=True)):
        assert_close(f"{where}: grad of input {i}", v.grad, grad_of(t))


PRIMITIVES = {c.name: c for c in OP_CASES if c.name in
              {"add", "mul", "pow_int", "pow_float", "relu", "tanh", "exp", "log", "sigmoid"}}


@pytest.mark.parametrize("case", PRIMITIVES.values(), ids=lambda c: c.name)
@given(data=st.data(), upstream=reals(10.0))
def test_local_backward_scales_with_the_output_gradient(
    case: OpCase, data: st.DataObject, upstream: float
) -> None:
    """An op's own _backward multiplies its local derivative by whatever gradient arrives."""
    xs, number = data.draw(op_inputs(case), label="inputs")
    ours = [Value(x) for x in xs]
    out = case.ours(*ours, *number)
    out.grad = upstream
    out._backward()

    theirs = [leaf(x) for x in xs]
    case.theirs(*theirs, *number).backward(torch.tensor(upstream, dtype=torch.float64))
    for i, (v, t) in enumerate(zip(ours, theirs, strict=True)):
        assert_close(f"{case.name} at {xs}, output grad {upstream}: grad of input {i}",
                     v.grad, grad_of(t), abs_=ABS * max(1.0, abs(upstream)))


def test_relu_at_exactly_zero_has_zero_gradient_like_torch() -> None:
    x = Value(0.0)
    out = x.relu()
    out.backward()
    t = leaf(0.0)
    torch.relu(t).backward()
    assert (out.data, x.grad) == (0.0, 0.0) == (0.0, t.grad.item())


@pytest.mark.parametrize("x", [-1e308, -1000.0, -40.0, 40.0, 1000.0, 1e308])
def test_tanh_and_sigmoid_stay_finite_for_large_inputs(x: float) -> None:
    for op, limit in ((Value.tanh, math.copysign(1.0, x)), (Value.sigmoid, float(x > 0))):
        v = Value(x)
        out = op(v)
        out.backward()
        assert out.data == pytest.approx(limit, abs=1e-15), f"{op.__name__}({x}) = {out.data}"
        assert v.grad == pytest.approx(0.0, abs=1e-15), f"{op.__name__}'({x}) = {v.grad}"


@pytest.mark.parametrize("x", [0.0, -0.0, -1.0, -1e-300])
def test_log_of_a_non_positive_number_raises_a_clear_value_error(x: float) -> None:
    with pytest.raises(ValueError, match="positive") as info:
        Value(x).log()
    assert repr(x) in str(info.value)


def test_pow_accepts_only_plain_number_exponents() -> None:
    with pytest.raises(AssertionError, match="int/float"):
        Value(2.0) ** Value(3.0)


# ---------------------------------------------------------------- random graphs with shared nodes

UNARY = {
    "neg": (operator.neg, operator.neg),
    # methods are called by name, so the same table drives upstream micrograd's Values too
    "relu": (lambda a: a.relu(), torch.relu),
    "tanh": (lambda a: a.tanh(), torch.tanh),
    "sigmoid": (lambda a: a.sigmoid(), torch.sigmoid),
    "exp": (lambda a: a.exp(), torch.exp),
    "square": (lambda a: a**2, lambda a: a**2),
    "cube_root_of_1_plus_square": (lambda a: (1 + a * a) ** (1 / 3),
                                   lambda a: (1 + a * a) ** (1 / 3)),
    "log_1_plus_square": (lambda a: (1 + a * a).log(), lambda a: torch.log(1 + a * a)),
    "scale": (lambda a: 0.5 * a - 1.5, lambda a: 0.5 * a - 1.5),
    "reciprocal": (lambda a: 2 / (1 + a * a), lambda a: 2 / (1 + a * a)),
}
BINARY = {
    "add": (operator.add, operator.add),
    "sub": (operator.sub, operator.sub),
    "mul": (operator.mul, operator.mul),
    "div": (lambda a, b: a / (1 + b * b), lambda a, b: a / (1 + b * b)),
}


@dataclass(frozen=True)
class Program:
    """Leaves, then steps that each apply an op to earlier nodes (any of them: nodes get reused)."""

    leaves: list[float]
    steps: list[tuple[str, tuple[int, ...]]]


@st.composite
def programs(draw: st.DrawFn, unary: Sequence[str], binary: Sequence[str]) -> Program:
    leaves = draw(st.lists(st.floats(-2.0, 2.0), min_size=1, max_size=4), label="leaves")
    steps: list[tuple[str, tuple[int, ...]]] = []
    for made in range(len(leaves), len(leaves) + draw(st.integers(1, 14), label="steps")):
        node = st.integers(0, made - 1)
        if draw(st.booleans()):
            steps.append((draw(st.sampled_from(unary)), (draw(node),)))
        else:
            steps.append((draw(st.sampled_from(binary)), (draw(node), draw(node))))
    return Program(leaves, steps)


def run_program(program: Program, make_leaf: Callable, side: int, finish: Callable) -> list:
    """Build the program's graph (`side` 0 = micrograd ops, 1 = torch ops) and sum every node made
    by a step into the output, so every step is on a path to it."""
    nodes = [make_leaf(x) for x in program.leaves]
    for name, args in program.steps:
        table = UNARY if len(args) == 1 else BINARY
        nodes.append(table[name][side](*(nodes[i] for i in args)))
        finish(nodes[-1])
    return nodes


def output_of(nodes: list, n_leaves: int):
    out = nodes[n_leaves]
    for node in nodes[n_leaves + 1 :]:
        out = out + node
    return out


@settings(max_examples=300)
@given(programs(sorted(UNARY), sorted(BINARY)))
def test_random_graphs_match_torch(program: Program) -> None:
    ours = run_program(program, Value, 0, lambda v: None)
    assume(all(abs(v.data) < 1e6 for v in ours))  # keep exp/mul chains from overflowing
    out = output_of(ours, len(program.leaves))
    out.backward()
    assume(all(abs(v.grad) < 1e9 for v in ours))

    theirs = run_program(program, leaf, 1, lambda t: t.retain_grad())
    expected = output_of(theirs, len(program.leaves))
    expected.backward()

    # Rounding differs by an ulp here and there (tanh, exp, a / b versus a * b**-1); cancellation
    # can make that ulp large next to a small result, but never next to the graph's scale.
    scale = max(1.0, *(abs(v.data) for v in ours), *(abs(v.grad) for v in ours))
    tol = {"rel": 1e-9, "abs_": 1e-12 * scale}
    assert_close(f"output of {program}", out.data, expected.item(), **tol)
    for i, (v, t) in enumerate(zip(ours, theirs, strict=True)):
        assert_close(f"node {i} value in {program}", v.data, t.item(), **tol)
        assert_close(f"node {i} grad in {program}", v.grad, grad_of(t), **tol)


@settings(max_examples=200)
@given(programs(["relu", "square", "scale", "reciprocal"], ["add", "sub", "mul", "div"]))
def test_random_graphs_match_upstream_micrograd(program: Program) -> None:
    """Same answers as PyPI micrograd 0.1.0 on the ops it has (graphs stay small: it recurses)."""
    upstream = pytest.importorskip("micrograd.engine")
    ours = run_program(program, Value, 0, lambda v: None)
    assume(all(abs(v.data) < 1e6 for v in ours))
    theirs = run_program(program, upstream.Value, 0, lambda v: None)
    out, expected = output_of(ours, len(program.leaves)), output_of(theirs, len(program.leaves))
    out.backward()
    expected.backward()

    scale = max(1.0, *(abs(v.data) for v in ours), *(abs(v.grad) for v in ours))
    for i, (v, u) in enumerate(zip(ours, theirs, strict=True)):
        assert v.data == u.data, f"node {i} in {program}: value {v.data!r} vs upstream {u.data!r}"
        # Gradients are sums whose order follows set iteration, which can differ between engines.
        assert_close(f"node {i} grad in {program}", v.grad, u.grad, abs_=1e-13 * scale)


# ---------------------------------------------------------------- fixed examples


def test_micrograd_readme_example() -> None:
    def compute(make):
        a, b = make(-4.0), make(2.0)
        c = a + b
        d = a * b + b**3
        c += c + 1
        c += 1 + c + (-a)
        d += d * 2 + (b + a).relu()
        d += 3 * d + (b - a).relu()
        e = c - d
        f = e**2
        g = f / 2.0
        g += 10.0 / f
        g.backward()
        return a, b, g

    a, b, g = compute(Value)
    assert g.data == pytest.approx(24.7041, abs=1e-4)
    assert a.grad == pytest.approx(138.8338, abs=1e-4)
    assert b.grad == pytest.approx(645.5773, abs=1e-4)

    ta, tb, tg = compute(leaf)
    assert_close("README g", g.data, tg.item())
    assert_close("README dg/da", a.grad, ta.grad.item())
    assert_close("README dg/db", b.grad, tb.grad.item())


@pytest.mark.parametrize(
    ("name", "build", "value", "grad"),
    [
        ("x + x", lambda x: x + x, 6.0, 2.0),
        ("x - x", lambda x: x - x, 0.0, 0.0),
        ("x * x", lambda x: x * x, 9.0, 6.0),
        ("x / x", lambda x: x / x, 1.0, 0.0),
        ("x * x * x", lambda x: x * x * x, 27.0, 27.0),
        ("x ** 2 + x", lambda x: x**2 + x, 12.0, 7.0),
        # a diamond: x feeds two branches that meet again
        ("(x * 2) * (x + 1)", lambda x: (x * 2) * (x + 1), 24.0, 14.0),
        # one node reused at several depths: y = 2x; z = y * y + y
        ("y*y + y, y = 2x", lambda x: (lambda y: y * y + y)(x * 2), 42.0, 26.0),
    ],
)
def test_reused_nodes_accumulate_gradient(name: str, build, value: float, grad: float) -> None:
    x = Value(3.0)
    out = build(x)
    out.backward()
    assert (out.data, x.grad) == pytest.approx((value, grad), rel=1e-15), (
        f"{name} at x = 3: expected value {value} and dx {grad}, got {out.data} and {x.grad}"
    )


def test_backward_on_a_leaf_seeds_its_own_gradient() -> None:
    x = Value(5.0)
    x.backward()
    assert x.grad == 1


def test_backward_twice_accumulates_like_upstream() -> None:
    x = Value(3.0)
    y = x * x
    y.backward()
    y.backward()
    assert x.grad == 12.0  # 6 + 6: gradients accumulate until someone zeroes them


def test_chain_deeper_than_the_recursion_limit() -> None:
    depth = 3 * sys.getrecursionlimit()
    x = Value(1.0)
    node = x
    for _ in range(depth):
        node = node * 1.0 + x  # node_k = k + 1, d node_k / dx = k + 1
    node.backward()
    assert (node.data, x.grad) == (depth + 1.0, depth + 1.0)


def test_deep_chain_backward() -> None:
    """Ten times the depth `engine.backward.deep` grades, far past the default recursion limit."""
    depth = 100_000
    x = Value(0.5)
    node = x
    for _ in range(depth):
        node = node + x
    node.backward()
    assert node.data == 0.5 * (depth + 1)
    assert x.grad == depth + 1  # once per `+ x`, plus once as the chain's first node


# ---------------------------------------------------------------- API compatibility with upstream


def test_repr_matches_upstream() -> None:
    x = Value(2.0)
    y = x * 3.5
    y.backward()
    assert repr(y) == "Value(data=7.0, grad=1)"
    assert repr(x) == "Value(data=2.0, grad=3.5)"
    assert repr(Value(-1)) == "Value(data=-1, grad=0)"

    upstream = pytest.importorskip("micrograd.engine")
    u = upstream.Value(2.0)
    v = u * 3.5
    v.backward()
    assert (repr(x), repr(y)) == (repr(u), repr(v))


def test_node_attributes_match_upstream() -> None:
    a, b = Value(2.0), Value(3.0)
    out = a * b
    # _prev is a set, as upstream: `a + a` has one child, so draw_dot draws one edge
    assert out._prev == {a, b}
    assert (a + a)._prev == {a}
    upstream = pytest.importorskip("micrograd.engine")
    u = upstream.Value(2.0)
    assert type((u + u)._prev) is type((a + a)._prev) and len((u + u)._prev) == 1
    assert Value(1.0, (a, b), "custom")._op == "custom"
    ops = {
        "+": a + b, "*": a * b, "**2": a**2, "**-1": a**-1, "**0.5": a**0.5, "ReLU": a.relu(),
        "tanh": a.tanh(), "exp": a.exp(), "log": a.log(), "sigmoid": a.sigmoid(),
    }
    assert {op: v._op for op, v in ops.items()} == {op: op for op in ops}
    assert a._op == "" and len(a._prev) == 0 and a.grad == 0
    a._backward()  # a leaf's backward is a harmless no-op
    assert a.grad == 0


def test_lecture_attributes_can_be_added() -> None:
    """The micrograd lecture labels nodes (`a.label = 'a'`); a Value takes new attributes."""
    a = Value(2.0)
    a.label = "a"
    b = a * 3
    b.label = "b"
    assert (a.label, b.label) == ("a", "b")


@pytest.mark.parametrize(
    ("name", "build", "last_op"),
    [
        ("-a", lambda a, b: -a, "*"),
        ("a - b", lambda a, b: a - b, "+"),
        ("a / b", lambda a, b: a / b, "*"),
        ("2 + a", lambda a, b: 2 + a, "+"),
        ("2 - a", lambda a, b: 2 - a, "+"),
        ("2 * a", lambda a, b: 2 * a, "*"),
        ("2 / a", lambda a, b: 2 / a, "*"),
    ],
)
def test_derived_ops_are_built_from_add_mul_pow(name: str, build, last_op: str) -> None:
    out = build(Value(2.0), Value(4.0))
    assert out._op == last_op, f"{name} should end in a {last_op!r} node, got {out._op!r}"
