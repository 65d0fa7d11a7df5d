"""The `nn.*` checks: the torch twin, the messages, mutants of the reference network, full grades.

Fast tests run single checks against small mutants of the reference `nn.py` in one worker each;
the slow ones grade the reference, the template and the buggy examples with the real `mlp`
manifest (each submission once per module) and hold the examples to their READMEs.
"""

from __future__ import annotations

import importlib.util
import random
import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from util import REPO, reference

from autograder import grading
from autograder.checks import catalogue
from autograder.checks.network import Net, count_problem
from autograder.compare import GRAPH_RTOL, close
from autograder.demo import discover, materialize
from autograder.graderun import GradeRun
from autograder.grading import GradeOptions, grade, load_assignments
from autograder.loader import load_submission
from autograder.manifest import CheckSpec, load_assignment
from autograder.model import GradeReport, Outcome, Verdict
from autograder.oracles import TorchOracle
from autograder.prerequisites import Planned
from autograder.sandbox import detect_isolation

ORACLE = TorchOracle()
NN_EXAMPLES = ["nn_no_bias", "nn_all_nonlinear", "nn_zero_grad_noop"]
NN_CHECKS = [cid for cid in catalogue() if cid.startswith("nn.")]


# ---- messages that need no worker ---------------------------------------------------------------


def test_a_parameter_count_without_biases_says_so() -> None:
    assert count_problem(Net("MLP", 3, (4, 4, 1)), 32) == (
        "MLP(3, [4, 4, 1]).parameters() returned 32 values; expected 41 "
        "(4·(3+1) + 4·(4+1) + 1·(4+1)) — are biases included?")


@pytest.mark.parametrize(("net", "got", "hint"), [
    (Net("MLP", 3, (4, 4, 1)), 36, "one layer's parameters are missing"),
    (Net("MLP", 3, (4, 4, 1)), 16, "one layer's worth"),
    (Net("MLP", 3, (4, 4, 1)), 82, "listed twice"),
    (Net("Neuron", 3, (1,)), 3, "are biases included?"),
    (Net("Neuron", 3, (1,)), 0, "it is empty"),
    (Net("Layer", 3, (2,)), 4, "one neuron's worth"),
])
def test_a_wrong_parameter_count_gets_a_specific_hint(net: Net, got: int, hint: str) -> None:
    message = count_problem(net, got)
    assert message.startswith(f"{net.text}.parameters() returned {got} ")
    assert f"expected {net.size} " in message and hint in message


def test_parameter_labels_name_layer_neuron_and_weight() -> None:
    net = Net("MLP", 3, (4, 4, 1))
    assert net.size == 41
    assert net.label(0) == "parameters()[0] (layer 0, neuron 0, w[0])"
    assert net.label(3) == "parameters()[3] (layer 0, neuron 0, b)"
    assert net.label(4) == "parameters()[4] (layer 0, neuron 1, w[0])"
    assert net.label(40) == "parameters()[40] (layer 2, neuron 0, b)"
    assert Net("Neuron", 2, (1,)).label(2) == "parameters()[2] (b)"
    assert net.layers == [(3, 4, True), (4, 4, True), (4, 1, False)]


# ---- the torch twin against the reference network, in process -----------------------------------


def _reference_run(sizes: tuple[int, list[int]], params: list[float], batch: list[list[float]],
                   loss: str, targets: list, lr: float) -> dict[str, list[float]]:
    """The reference micrograd network, written the obvious way, for the twin to agree with."""
    ref = reference()
    value = ref.engine.Value
    model = ref.nn.MLP(*sizes)
    for p, v in zip(model.parameters(), params, strict=True):
        p.data = v
    outs = [model([value(x) for x in row]) for row in batch]
    outs = [o if isinstance(o, list) else [o] for o in outs]
    if loss == "hinge":
        terms = [(1 + -y * out[0]).relu() for y, out in zip(targets, outs, strict=True)]
    else:
        terms = [sum((o - t) ** 2 for o, t in zip(out, target, strict=True))
                 for out, target in zip(outs, targets, strict=True)]
    total = sum(terms) * (1.0 / len(terms))
    total.backward()
    result = {"outputs": [o.data for out in outs for o in out], "loss": [total.data],
              "grads": [float(p.grad) for p in model.parameters()]}
    result["stepped"] = [p.data - lr * p.grad for p in model.parameters()]
    return result


@settings(max_examples=30)
@given(st.sampled_from([((3, [4, 4, 1]), "hinge"), ((2, [3, 1]), "hinge"), ((2, [3, 2]), "mse")]),
       st.randoms(use_true_random=False), st.sampled_from([0.5, 0.1]))
def test_the_torch_twin_agrees_with_the_reference_network(shape, rng: random.Random,
                                                          lr: float) -> None:
    (nin, nouts), loss = shape
    net = Net("MLP", nin, tuple(nouts))
    params = [rng.uniform(-2, 2) for _ in range(net.size)]
    batch = [[rng.uniform(-2, 2) for _ in range(nin)] for _ in range(rng.randint(1, 4))]
    targets = ([rng.choice([1.0, -1.0]) for _ in batch] if loss == "hinge" else
               [[rng.uniform(-1, 1) for _ in range(nouts[-1])] for _ in batch])
    twin = ORACLE.network(net.layers, params, batch, loss, targets, lr=lr)
    ref = _reference_run((nin, nouts), params, batch, loss, targets, lr)
    flat = [v for row in twin.outputs for v in row]
    assert twin.loss is not None
    for got, want in [(flat, ref["outputs"]), ([twin.loss], ref["loss"]),
                      (twin.grads, ref["grads"]), (twin.stepped, ref["stepped"])]:
        scale = max([abs(v) for v in want] + [1.0])
        assert all(close(g, w, GRAPH_RTOL, scale) for g, w in zip(got, want, strict=True))


def test_the_twin_applies_relu_only_where_asked() -> None:
    # one neuron, w = [1, -1], b = -0.5, input [0.25, 1.0]: w·x + b = -1.25
    layers_relu = [(2, 1, True)]
    layers_linear = [(2, 1, False)]
    params = [1.0, -1.0, -0.5]
    assert ORACLE.network(layers_relu, params, [[0.25, 1.0]]).outputs == [[0.0]]
    assert ORACLE.network(layers_linear, params, [[0.25, 1.0]]).outputs == [[-1.25]]
    run = ORACLE.network(layers_linear, params, [[0.25, 1.0]], "sum")
    assert run.grads == [0.25, 1.0, 1.0]  # d out / d w = x, d out / d b = 1


# ---- single checks on mutants of the reference network ------------------------------------------


def _submission(tmp_path: Path, edits: list[tuple[str, str]], engine: Path | None = None) -> Path:
    """The reference package with `nn.py` edited (each `old` must occur exactly once)."""
    root = tmp_path / "submission"
    shutil.copytree(REPO / "reference" / "micrograd", root / "micrograd",
                    ignore=shutil.ignore_patterns("__pycache__", "viz.py"))
    nn = root / "micrograd" / "nn.py"
    text = nn.read_text(encoding="utf-8")
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    nn.write_text(text, encoding="utf-8")
    if engine is not None:
        shutil.copy(engine, root / "micrograd" / "engine.py")
    return root


MLP = load_assignments(["mlp"], [])[0]


@pytest.fixture
def run_checks(tmp_path: Path) -> Callable[..., dict[str, Verdict]]:
    """Run checks (by id, in order) against a submission through the grading run's public
    `run_checks`, with a small example budget and the root-cause pass applied."""
    counter = iter(range(1000))

    def run(submission: Path, ids: list[str], params: dict | None = None) -> dict[str, Verdict]:
        staged = load_submission(submission, tmp_path / f"stage{next(counter)}")
        assignment = replace(MLP, seed=7, limits=replace(MLP.limits, max_examples=10,
                                                         call_timeout_s=20))
        every = catalogue()
        planned = [Planned(every[cid], CheckSpec(cid, 1, params=dict(params or {})), assignment,
                           assignment.seed) for cid in ids]
        graded = grading.run_checks(staged, GradeRun(planned), detect_isolation("process"),
                                    ORACLE)
        return graded.final_verdicts()

    return run


BIAS_FIRST = [("        return self.w + [self.b]\n", "        return [self.b] + self.w\n")]


def test_bias_first_parameters_are_named(tmp_path: Path, run_checks) -> None:
    verdicts = run_checks(_submission(tmp_path, BIAS_FIRST),
                          ["nn.neuron.parameters", "nn.mlp.parameters", "nn.neuron.forward"])
    neuron, mlp = verdicts["nn.neuron.parameters"], verdicts["nn.mlp.parameters"]
    assert neuron.outcome is Outcome.WRONG
    assert "parameters() lists the bias first" in neuron.feedback
    assert mlp.outcome is Outcome.WRONG
    assert "right count but the wrong order" in mlp.summary
    assert "bias comes before its weights" in mlp.feedback
    # a forward check that sets values through the misordered list fails too
    forward = verdicts["nn.neuron.forward"]
    assert forward.outcome is Outcome.WRONG
    assert "from micrograd.nn import Neuron" in (forward.repro or "")


def test_parameters_that_are_copies_are_caught(tmp_path: Path, run_checks) -> None:
    copies = [("        return self.w + [self.b]\n",
               "        return [Value(p.data) for p in self.w + [self.b]]\n")]
    verdict = run_checks(_submission(tmp_path, copies), ["nn.neuron.parameters"])[
        "nn.neuron.parameters"]
    assert verdict.outcome is Outcome.WRONG
    assert "copies" in verdict.feedback


def test_a_one_neuron_layer_must_return_a_value(tmp_path: Path, run_checks) -> None:
    as_list = [("        return out[0] if len(out) == 1 else out\n", "        return out\n")]
    verdict = run_checks(_submission(tmp_path, as_list), ["nn.layer.forward"])[
        "nn.layer.forward"]
    assert verdict.outcome is Outcome.BAD_RETURN
    assert "returned a list" in verdict.summary and "expected a Value" in verdict.summary
    assert "out[0] if len(out) == 1 else out" in verdict.feedback


def test_upstream_micrograd_fails_only_the_one_neuron_hidden_layer_check(tmp_path: Path,
                                                                    run_checks) -> None:
    """PyPI micrograd 0.1.0 hands a lone Value to the next layer, which zips over it."""
    spec = importlib.util.find_spec("micrograd")
    assert spec is not None and spec.origin is not None
    submission = _submission(tmp_path, [])
    shutil.copy(Path(spec.origin).with_name("nn.py"), submission / "micrograd" / "nn.py")
    verdicts = run_checks(submission, ["nn.neuron.forward", "nn.layer.forward",
                                       "nn.mlp.forward", "nn.layer.single_neuron",
                                       "nn.mlp.backward"])
    assert {cid for cid, v in verdicts.items() if not v.passed} == {"nn.layer.single_neuron"}
    single = verdicts["nn.layer.single_neuron"]
    assert single.outcome is Outcome.RAISED
    assert "MLP(2, [3, 1, 1])" in single.summary
    assert "hidden layer with one neuron" in single.feedback


def test_the_one_neuron_hidden_layer_is_worth_less_than_a_layer() -> None:
    manifest = load_assignment(REPO / "assignments" / "mlp" / "assignment.toml", catalogue())
    points = {check.id: check.points for check in manifest.checks}
    assert 0 < points["nn.layer.single_neuron"] < points["nn.layer.forward"]


def test_a_zero_grad_that_misses_layers_says_which(tmp_path: Path, run_checks) -> None:
    last_only = [('''    def parameters(self) -> list[Value]:
        """Every layer's parameters, first layer first."""''', '''    def zero_grad(self) -> None:
        for p in self.layers[-1].parameters():
            p.grad = 0

    def parameters(self) -> list[Value]:
        """Every layer's parameters, first layer first."""''')]
    verdict = run_checks(_submission(tmp_path, last_only), ["nn.zero_grad"])["nn.zero_grad"]
    assert verdict.outcome is Outcome.WRONG
    assert "Only some were reset" in verdict.feedback
    assert "layer 0, 1" in verdict.feedback


def test_an_engine_bug_is_named_first(tmp_path: Path, run_checks) -> None:
    """`=` for `+=` in the engine: the network's gradients fail, and the feedback says why."""
    example = next(e for e in discover() if e.name == "eq_not_pluseq")
    engine = materialize(example, tmp_path / "examples") / "micrograd" / "engine.py"
    verdicts = run_checks(_submission(tmp_path, [], engine=engine),
                          ["engine.add.backward", "engine.mul.backward", "nn.mlp.forward",
                           "nn.mlp.backward"])
    assert not verdicts["engine.mul.backward"].passed
    assert verdicts["nn.mlp.forward"].passed
    backward = verdicts["nn.mlp.backward"]
    assert backward.outcome is Outcome.WRONG
    # named once, by the one root-cause pass, not again in the feedback
    assert backward.notes == (
        "Fix `engine.add.backward` and `engine.mul.backward` first: this check relies on them, "
        "and they failed in this grade.",)
    assert "engine.add.backward" not in backward.feedback + backward.summary
    assert "print(model.parameters()[" in (backward.repro or "")


def test_the_training_budget_comes_from_the_manifest_params(tmp_path: Path, run_checks) -> None:
    submission = _submission(tmp_path, [])
    easy = run_checks(submission, ["nn.train.moons"], {"steps": 3, "threshold": 0.0})
    hard = run_checks(submission, ["nn.train.moons"], {"steps": 3, "threshold": 1.01})
    passed, failed = easy["nn.train.moons"], hard["nn.train.moons"]
    assert passed.passed and "after 3 steps of MLP(2, [24, 1])" in passed.summary
    assert "Loss by step: 0: " in passed.feedback and ", 2: " in passed.feedback
    # the loss history a report draws: one finite loss per step
    assert len(passed.losses) == 3 and all(isinstance(v, float) for v in passed.losses)
    assert failed.outcome is Outcome.WRONG and "at least 101% is needed" in failed.feedback
    assert "random.seed(1337)" in (failed.repro or "")
    assert "rng, sizes = random.Random(1337), [2, 24, 1]" in (failed.repro or "")
    student_init = run_checks(submission, ["nn.train.moons"],
                              {"steps": 3, "threshold": 0.0, "init": "student"})
    assert student_init["nn.train.moons"].passed
    # the manifest loader rejects these first; a check handed them anyway is a grader error
    for bad, message in (({"stepz": 3}, "unknown params"), ({"init": "mine"}, "init must be")):
        verdict = run_checks(submission, ["nn.train.moons"], bad)["nn.train.moons"]
        assert verdict.outcome is Outcome.INTERNAL and message in verdict.feedback


def test_a_training_run_past_its_deadline_names_the_reference_time_only_for_the_default(
        tmp_path: Path, run_checks) -> None:
    submission = _submission(tmp_path, [])
    default = run_checks(submission, ["nn.train.moons"], {"timeout_s": 0.05})["nn.train.moons"]
    longer = run_checks(submission, ["nn.train.moons"],
                        {"timeout_s": 0.05, "steps": 3000})["nn.train.moons"]
    for verdict in (default, longer):
        assert verdict.outcome is Outcome.TIMEOUT, verdict.summary
        assert "Look for work repeated inside the training loop" in verdict.feedback
    assert "about a second for this run" in default.feedback
    assert "about a second" not in longer.feedback  # not measured for a budget the manifest sets


@pytest.mark.slow
def test_training_does_not_depend_on_the_students_initialisation(tmp_path: Path,
                                                                  run_checks) -> None:
    """A correct network with tiny initial weights trains as well as the reference: the grader
    sets micrograd's initialisation through parameters() (init = "grader", the default)."""
    tiny = [("        self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]\n",
             "        self.w = [Value(random.uniform(-0.1, 0.1)) for _ in range(nin)]\n")]
    verdict = run_checks(_submission(tmp_path / "tiny", tiny), ["nn.train.moons"])["nn.train.moons"]
    reference = run_checks(_submission(tmp_path / "reference", []),
                           ["nn.train.moons"])["nn.train.moons"]
    assert verdict.passed, verdict.feedback
    assert verdict.summary == reference.summary  # the same accuracy after the same steps


# ---- full grades with the real manifest (slow) --------------------------------------------------


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], GradeReport]:
    """Grade a submission with the `mlp` assignment the first time a test asks for it."""
    scratch = tmp_path_factory.mktemp("nn-examples")
    examples = {example.name: example for example in discover()}
    reports: dict[str, GradeReport] = {}

    def get(name: str) -> GradeReport:
        if name not in reports:
            submission = materialize(examples[name], scratch)
            reports[name] = grade(submission, GradeOptions(assignments=["mlp"]))
        return reports[name]

    return get


def _failed(report: GradeReport) -> dict[str, Outcome]:
    return {r.check_id: r.verdict.outcome for r in report.results if not r.passed}


@pytest.mark.slow
def test_the_reference_gets_full_marks(graded) -> None:
    report = graded("reference")
    assert report.internal_error is None
    assert [r.check_id for r in report.results] == NN_CHECKS
    assert _failed(report) == {}
    assert report.score == report.max_score > 0
    train = next(r for r in report.results if r.check_id == "nn.train.moons")
    assert "training accuracy" in train.verdict.summary
    assert "Loss by step: 0: " in train.verdict.feedback


@pytest.mark.slow
def test_the_template_gets_zero(graded) -> None:
    report = graded("template")
    assert report.internal_error is None
    assert report.score == 0 and report.max_score > 0
    assert set(_failed(report)) == set(NN_CHECKS)


@pytest.mark.slow
@pytest.mark.parametrize("name", NN_EXAMPLES)
def test_each_buggy_network_loses_exactly_its_checks(graded, name: str) -> None:
    expected = next(e for e in discover() if e.name == name).expected
    assert expected, f"{name}/README.md lists no expected verdicts"
    report = graded(name)
    assert report.internal_error is None
    assert _failed(report) == expected


@pytest.mark.slow
def test_the_buggy_networks_are_told_what_is_wrong(graded) -> None:
    def feedback(name: str, check_id: str) -> str:
        result = next(r for r in graded(name).results if r.check_id == check_id)
        return result.verdict.summary + "\n" + result.verdict.feedback

    assert ("MLP(3, [4, 4, 1]).parameters() returned 32 values; expected 41 "
            "(4·(3+1) + 4·(4+1) + 1·(4+1)) — are biases included?"
            in feedback("nn_no_bias", "nn.mlp.parameters"))
    blocked = next(r for r in graded("nn_no_bias").results if r.check_id == "nn.mlp.forward")
    assert blocked.verdict.summary == "blocked by nn.neuron.parameters" and blocked.score == 0
    assert "are biases included?" in blocked.verdict.feedback
    assert ("The output layer must be linear (scores can be negative)"
            in feedback("nn_all_nonlinear", "nn.mlp.forward"))
    assert "No point got a negative score" in feedback("nn_all_nonlinear", "nn.train.moons")
    assert "assigning to a loop variable" in feedback("nn_zero_grad_noop", "nn.zero_grad")
    train = feedback("nn_zero_grad_noop", "nn.train.moons")
    assert "Loss by step" in train and "The loss did not go down" in train
    notes = next(r for r in graded("nn_zero_grad_noop").results
                 if r.check_id == "nn.train.moons").verdict.notes
    assert any("`nn.zero_grad`" in note for note in notes)
