"""The pure-Python self-check oracle agrees with the torch oracle: every op, graphs, networks."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograder.checks.graphs import graphs
from autograder.compare import GRAPH_RTOL, close
from autograder.ir import Program
from autograder.ops import OPS, OPS_BY_NAME
from autograder.oracles import PythonOracle, TorchOracle, load_oracle

torch_oracle = TorchOracle()
python_oracle = PythonOracle()


def _op_program(op, inputs, upstream, preset):
    program = Program()
    refs = {name: program.value(inputs[name], preset) for name in op.operands}
    refs |= {name: program.num(inputs[name]) for name in op.params}
    out = program.apply(op.expr, refs)
    program.read(out, "data")
    program.local_backward(out, upstream)
    for name in op.operands:
        program.read(refs[name], "grad")
    return program


@pytest.mark.parametrize("op", OPS, ids=lambda op: op.name)
def test_every_op_agrees(op):
    @settings(max_examples=60)
    @given(op.domain(), st.floats(-5, 5), st.floats(-5, 5))
    def agree(inputs, upstream, preset):
        program = _op_program(op, inputs, upstream, preset)
        expected = torch_oracle.run(program)
        got = python_oracle.run(program)
        assert len(got) == len(expected)
        for g, e in zip(got, expected, strict=True):
            assert close(g, e, 1e-12, abs(upstream) + abs(preset)), (inputs, g, e)

    agree()


@settings(max_examples=150)
@given(graphs([op.name for op in OPS], max_nodes=10, share=True))
def test_random_graphs_agree(graph):
    program = Program()
    slots = graph.build(program)
    program.backward(slots[-1])
    for slot in slots:
        program.read(slot, "grad")
    program.read(slots[-1], "data")
    expected = torch_oracle.run(program)
    got = python_oracle.run(program)
    scale = max(abs(v) for v in expected)
    for g, e in zip(got, expected, strict=True):
        assert close(g, e, GRAPH_RTOL, scale), (graph, g, e)


def test_deep_chain_and_relu_at_zero():
    program = Program()
    x = program.value(0.0)
    relu = program.apply(OPS_BY_NAME["relu"].expr, {"a": x})
    step = program.value(0.5)
    out = program.chain("a + b", relu, 5000, {"b": step})
    program.backward(out)
    for slot in (x, step, out):
        program.read(slot, "grad")
    program.read(out, "data")
    assert python_oracle.run(program) == torch_oracle.run(program) == [0.0, 5000.0, 1.0, 2500.0]


def test_load_oracle_names_itself():
    assert load_oracle("torch").name.startswith("torch")
    assert "self-check" in load_oracle("python").name
    assert load_oracle("auto").name.startswith("torch")  # torch is installed in the dev setup
    with pytest.raises(ValueError, match="unknown oracle"):
        load_oracle("numpy")
    log_program = _op_program(OPS_BY_NAME["log"], {"a": 2.0}, 1.0, 0.0)
    assert math.isfinite(python_oracle.run(log_program)[0])


@settings(max_examples=40)
@given(
    st.sampled_from([((3, 4, True), (4, 1, False)), ((2, 3, True), (3, 1, True), (1, 2, False))]),
    st.data(),
)
def test_network_twins_agree(layers, data):
    from autograder.oracles import network_size

    size = network_size(layers)
    params = data.draw(st.lists(st.floats(-1, 1), min_size=size, max_size=size))
    batch = data.draw(st.lists(st.lists(st.floats(-2, 2), min_size=layers[0][0],
                                        max_size=layers[0][0]), min_size=1, max_size=3))
    nout = layers[-1][1]
    for loss, targets in (("hinge", [1.0 if i % 2 else -1.0 for i in range(len(batch))]),
                          ("mse", [[0.5] * nout for _ in batch]), ("sum", None)):
        if loss == "hinge" and nout != 1:
            continue
        want = torch_oracle.network(layers, params, batch, loss, targets, lr=0.1)
        got = python_oracle.network(layers, params, batch, loss, targets, lr=0.1)
        pairs = [(got.loss, want.loss), *zip(got.grads, want.grads, strict=True),
                 *zip(got.stepped, want.stepped, strict=True),
                 *zip(sum(got.outputs_after, []), sum(want.outputs_after, []), strict=True)]
        for g, e in pairs:
            assert close(g, e, GRAPH_RTOL, 1.0), (loss, g, e)


@pytest.mark.slow
def test_feedback_names_the_oracle_that_produced_the_expected_values(tmp_path: Path) -> None:
    """A self-check's "expected" values come from the pure-Python oracle: its feedback says so,
    and only the official grade's feedback says PyTorch."""
    from autograder.demo import discover, materialize
    from autograder.grading import GradeOptions, grade

    example = next(e for e in discover() if e.name == "wrong_tanh_derivative")
    submission = materialize(example, tmp_path)
    texts = {}
    for oracle in ("python", "torch"):
        report = grade(submission, GradeOptions(assignments=["ops"], oracle=oracle))
        (tanh,) = [r for r in report.results if r.check_id == "engine.tanh.backward"]
        passed = next(r for r in report.results if r.passed)
        texts[oracle] = "\n".join([tanh.verdict.summary, tanh.verdict.feedback,
                                   tanh.verdict.repro or "", passed.verdict.summary])
    assert "PyTorch" not in texts["python"] and "(the self-check oracle)" in texts["python"]
    assert "matches the self-check oracle" in texts["python"]
    assert "(PyTorch)" in texts["torch"] and "matches PyTorch" in texts["torch"]
