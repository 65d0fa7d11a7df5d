"""The reference network library: parameter layout, layer shapes, reprs, and a forward/backward pass
that equals a PyTorch network built from the same parameters.
"""

from __future__ import annotations

import random

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from util import reference

ref = reference()
Value = ref.engine.Value
Module, Neuron, Layer, MLP = ref.nn.Module, ref.nn.Neuron, ref.nn.Layer, ref.nn.MLP


@pytest.fixture(autouse=True)
def _seeded() -> None:
    random.seed(1234)


def test_neuron_parameters_are_its_weights_then_its_bias() -> None:
    n = Neuron(3)
    params = n.parameters()
    assert len(params) == 4
    assert all(p is w for p, w in zip(params[:3], n.w, strict=True))
    assert params[3] is n.b
    assert all(-1 <= w.data <= 1 for w in n.w)
    assert len({w.data for w in n.w}) == 3, "weights should be drawn independently"
    assert n.b.data == 0


def test_layer_parameters_go_neuron_by_neuron() -> None:
    layer = Layer(3, 4)
    expected = [p for n in layer.neurons for p in [*n.w, n.b]]
    params = layer.parameters()
    assert len(params) == 4 * (3 + 1)
    assert all(p is q for p, q in zip(params, expected, strict=True))


def test_mlp_parameters_go_layer_by_layer() -> None:
    mlp = MLP(3, [4, 5, 2])
    params = mlp.parameters()
    assert len(params) == (3 + 1) * 4 + (4 + 1) * 5 + (5 + 1) * 2
    expected = [p for layer in mlp.layers for p in layer.parameters()]
    assert all(p is q for p, q in zip(params, expected, strict=True))
    assert len({id(p) for p in params}) == len(params), "a parameter is listed twice"


def test_only_the_last_layer_is_linear() -> None:
    mlp = MLP(2, [3, 3, 2])
    assert [[n.nonlin for n in layer.neurons] for layer in mlp.layers] == [
        [True] * 3, [True] * 3, [False] * 2
    ]
    assert [len(layer.neurons[0].w) for layer in mlp.layers] == [2, 3, 3]


def test_a_module_without_parameters_has_none() -> None:
    assert Module().parameters() == []
    Module().zero_grad()  # nothing to zero, and no error


def test_one_neuron_layer_returns_a_bare_value() -> None:
    out = Layer(2, 1)([1.0, -2.0])
    assert isinstance(out, Value)
    many = Layer(2, 3)([1.0, -2.0])
    assert isinstance(many, list) and len(many) == 3 and all(isinstance(v, Value) for v in many)


def test_mlp_with_a_one_neuron_hidden_layer_works() -> None:
    mlp = MLP(2, [16, 1, 1])
    out = mlp([0.5, -1.5])
    assert isinstance(out, Value)
    out.backward()
    # out = w * h + b, where h is the one hidden neuron's output: d out / d w = h
    hidden, last = mlp.layers[1].neurons[0], mlp.layers[2].neurons[0]
    h = hidden(mlp.layers[0]([0.5, -1.5]))
    assert out.data == pytest.approx(last.w[0].data * h.data + last.b.data, rel=1e-15)
    assert (last.w[0].grad, last.b.grad) == (h.data, 1)


def test_upstream_micrograd_fails_on_a_one_neuron_hidden_layer() -> None:
    """The bug the reference fixes: upstream hands the bare Value to the next layer as inputs."""
    upstream = pytest.importorskip("micrograd.nn")
    with pytest.raises(TypeError):
        upstream.MLP(2, [16, 1, 1])([0.5, -1.5])


def test_neuron_output_is_relu_of_the_weighted_sum() -> None:
    n = Neuron(3)
    x = [0.5, -1.0, 2.0]
    weighted = sum(w.data * xi for w, xi in zip(n.w, x, strict=True)) + n.b.data
    assert n(x).data == pytest.approx(max(0.0, weighted), rel=1e-15)
    n.nonlin = False
    assert n(x).data == pytest.approx(weighted, rel=1e-15)


def test_neuron_rejects_inputs_of_the_wrong_length() -> None:
    with pytest.raises(ValueError):
        Neuron(3)([1.0, 2.0])


def test_reprs_match_upstream() -> None:
    assert repr(Neuron(2)) == "ReLUNeuron(2)"
    assert repr(Neuron(2, nonlin=False)) == "LinearNeuron(2)"
    assert repr(Layer(2, 2)) == "Layer of [ReLUNeuron(2), ReLUNeuron(2)]"
    assert repr(MLP(2, [2, 1])) == (
        "MLP of [Layer of [ReLUNeuron(2), ReLUNeuron(2)], Layer of [LinearNeuron(2)]]"
    )
    upstream = pytest.importorskip("micrograd.nn")
    assert repr(MLP(3, [4, 4, 1])) == repr(upstream.MLP(3, [4, 4, 1]))


def test_same_seed_gives_the_same_network_as_upstream() -> None:
    upstream = pytest.importorskip("micrograd.nn")
    random.seed(7)
    ours = MLP(3, [4, 4, 1])
    random.seed(7)
    theirs = upstream.MLP(3, [4, 4, 1])
    assert [p.data for p in ours.parameters()] == [p.data for p in theirs.parameters()]
    x = [0.3, -1.2, 2.0]
    assert ours(x).data == theirs(x).data


def test_zero_grad_zeroes_every_parameter() -> None:
    mlp = MLP(3, [4, 4, 2])
    loss = sum(out * out for out in mlp([1.0, -2.0, 0.5]))
    loss.backward()
    assert any(p.grad != 0 for p in mlp.parameters())
    mlp.zero_grad()
    assert [p.grad for p in mlp.parameters()] == [0] * len(mlp.parameters())


def torch_twin(mlp) -> tuple[list[tuple[torch.Tensor, torch.Tensor]], list[bool]]:
    """The MLP's weights as float64 tensors: per layer a (nout, nin) matrix and a bias vector."""
    layers = []
    for layer in mlp.layers:
        w = torch.tensor([[wi.data for wi in n.w] for n in layer.neurons], dtype=torch.float64,
                         requires_grad=True)
        b = torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64,
                         requires_grad=True)
        layers.append((w, b))
    return layers, [layer.neurons[0].nonlin for layer in mlp.layers]


inputs = st.lists(st.floats(-3.0, 3.0), min_size=3, max_size=3)


@settings(max_examples=40)
@given(seed=st.integers(0, 2**32 - 1), x=inputs, target=st.floats(-2.0, 2.0))
def test_forward_and_parameter_gradients_match_torch(seed: int, x: list[float],
                                                     target: float) -> None:
    random.seed(seed)
    mlp = MLP(3, [5, 4, 2])
    outs = mlp(x)
    loss = sum((o - target) ** 2 for o in outs)
    loss.backward()

    layers, nonlin = torch_twin(mlp)
    h = torch.tensor(x, dtype=torch.float64)
    for (w, b), relu in zip(layers, nonlin, strict=True):
        h = w @ h + b
        h = torch.relu(h) if relu else h
    expected_loss = ((h - target) ** 2).sum()
    expected_loss.backward()

    assert [o.data for o in outs] == pytest.approx(h.tolist(), rel=1e-12, abs=1e-12)
    assert loss.data == pytest.approx(expected_loss.item(), rel=1e-12, abs=1e-12)
    ours = [p.grad for p in mlp.parameters()]
    theirs = [g for w, b in layers for row, gb in zip(w.grad, b.grad, strict=True)
              for g in (*row.tolist(), gb.item())]  # w then b, neuron by neuron, like parameters()
    assert ours == pytest.approx(theirs, rel=1e-10, abs=1e-12), f"seed {seed}, input {x}"
