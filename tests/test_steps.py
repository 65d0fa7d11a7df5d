"""Worker steps: one definition, one wire form, and the same loss wherever it is computed."""

from __future__ import annotations

import json

import pytest

from autograder.ops import OPS
from autograder.oracles.python_oracle import PythonOracle, tape
from autograder.worker import steps as S

EXAMPLES = [
    S.Leaf(1.5), S.Leaf(1.5, 0.25), S.Num(3), S.Apply("a + b", {"a": 0, "b": 1}),
    S.Chain("a + b", 0, 10, {"b": 1}), S.Backward(2), S.LocalBackward(2, 1.0), S.Read(2, "grad"),
    S.Module("MLP", [2, [3, 1]], {}), S.Module("Neuron", [2], {"nonlin": False}), S.Params(0),
    S.Distinct(1), S.SetData(1, [0.5, -1.0]), S.SetGrad(1, [1.0]), S.ReadAll(1, "data"),
    S.Call(0, [2, 3]), S.ExpectValue(4, "the call"), S.ExpectList(4, 2, "the call"),
    S.Item(5, 1), S.ZeroGrad(0), S.Sgd(1, 0.5), S.Seed(1337),
    S.Train(0, [[0.0, 1.0]], [1.0], 3, 1.0, 0.1, 1e-4, 10),
]

Var = tape(OPS)  # a tape variable with every op of the table


def test_every_kind_of_step_has_an_example_here() -> None:
    assert {type(step) for step in EXAMPLES} == set(S.BY_KIND.values())


@pytest.mark.parametrize("step", EXAMPLES, ids=lambda s: s.kind)
def test_a_step_survives_the_wire(step) -> None:
    raw = json.loads(json.dumps(S.encode(step)))
    assert raw[0] == step.kind
    assert S.decode(raw) == step


def test_a_leaf_without_a_gradient_is_sent_without_one() -> None:
    assert S.encode(S.Leaf(1.5)) == ["value", 1.5]


@pytest.mark.parametrize("raw, message", [
    (["value"], "takes the fields x, grad"), (["read", 1, "data", 3], "takes the fields"),
    (["nope", 1], "unknown step 'nope'"), ([], "must be a list"), ("value", "must be a list"),
])
def test_a_malformed_step_is_refused_with_its_reason(raw, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        S.decode(raw)


def test_the_losses_on_floats_match_their_formulas() -> None:
    def apply(expr: str, env: dict) -> Var:
        return PythonOracle().apply(expr, env)

    scores, labels = [Var(0.5), Var(-2.0), Var(1.5)], [1.0, 1.0, -1.0]
    hinge = S.loss("hinge", [[s] for s in scores], labels, Var, apply)
    assert hinge.data == pytest.approx((0.5 + 3.0 + 2.5) / 3)
    outs, targets = [[Var(1.0), Var(2.0)], [Var(0.0), Var(-1.0)]], [[0.5, 2.0], [1.0, 1.0]]
    mse = S.loss("mse", outs, targets, Var, apply)
    assert mse.data == pytest.approx((0.25 + 0.0 + 1.0 + 4.0) / 2)
    total = S.loss("sum", outs, [], Var, apply)
    assert total.data == 2.0
    with pytest.raises(ValueError, match="unknown loss"):
        S.loss("l1", outs, targets, Var, apply)
