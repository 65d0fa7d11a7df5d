"""nn.neuron.forward, nn.layer.forward, nn.mlp.forward: outputs against the torch twin."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hypothesis import strategies as st

from autograder.checks.base import (
    CheckContext,
    Failure,
    run_property,
    verdict_from,
)
from autograder.checks.network.mistakes import forward_diagnosis, outputs_match
from autograder.checks.network.nets import Net, parameters_check
from autograder.checks.network.program import NetProgram, execute
from autograder.checks.network.snippets import inputs_text, setup_lines, show_list
from autograder.checks.network.strategies import grid, positive_grid, rows
from autograder.compare import show
from autograder.model import Outcome, Verdict

# ---- forward checks (nn.neuron.forward, nn.layer.forward, nn.mlp.forward) -----------------------


@dataclass(frozen=True)
class ForwardCase:
    net: Net
    params: list[float]
    batch: list[list[float]]


def forward_cases(nets: st.SearchStrategy[Net]) -> st.SearchStrategy[ForwardCase]:
    @st.composite
    def build(draw: st.DrawFn) -> ForwardCase:
        net = draw(nets)
        params = draw(st.lists(grid(), min_size=net.size, max_size=net.size))
        return ForwardCase(net, params, draw(rows(net.nin, (1, 3))))

    return build()


def positive_forward_cases(net: Net) -> st.SearchStrategy[ForwardCase]:
    """Positive parameters and inputs: every ReLU passes its input through, so the outputs
    test how values flow between layers, whichever layers apply ReLU."""
    row = st.lists(positive_grid(), min_size=net.nin, max_size=net.nin)
    return st.builds(ForwardCase, st.just(net),
                     st.lists(positive_grid(), min_size=net.size, max_size=net.size),
                     st.lists(row, min_size=1, max_size=3))




def forward_property(ctx: CheckContext, check_id: str, cases: st.SearchStrategy[ForwardCase],
                     passed: str, explicit: tuple[ForwardCase, ...] = ()) -> Verdict:
    """`passed`: the verdict's summary when every case passes; `{oracle}` names the oracle."""
    def body(case: ForwardCase) -> None:
        net = case.net
        prog = NetProgram(net, case.params)
        for x in case.batch:
            for slot in prog.forward(x):
                prog.read(slot)

        def snippet(comment: str, x: Sequence[float] | None = None) -> str:
            row = case.batch[0] if x is None else x
            show_out = "out.data" if net.nout == 1 else "[o.data for o in out]"
            return "\n".join(setup_lines(net, case.params) + [
                f"out = model({inputs_text(row)})", f"print({show_out})  # {comment}"])

        got = execute(ctx, prog, snippet, parameters_check(net))
        want = ctx.oracle.network(net.layers, case.params, case.batch).outputs
        if outputs_match(got, want):
            return
        per = net.nout
        index = next((i for i in range(len(case.batch))
                      if not outputs_match(got[i * per:(i + 1) * per], [want[i]])), 0)
        x, mine, theirs = case.batch[index], got[index * per:(index + 1) * per], want[index]
        got_text = show(mine[0]) if per == 1 else show_list(mine)
        want_text = repr(theirs[0]) if per == 1 else repr(theirs)
        summary = (f"{net.text} with the parameters below returned {got_text} for input "
                   f"{list(x)!r}, expected {want_text} ({ctx.oracle.label})")
        diagnosis = forward_diagnosis(ctx, net, case.params, case.batch, got)
        feedback = (f"{net.text}, parameters set through parameters() to "
                    f"{show_list(case.params)}, input {list(x)!r}: output {got_text}, expected "
                    f"{want_text}." + (f"\n{diagnosis}" if diagnosis else ""))
        raise Failure(Outcome.WRONG, summary, feedback,
                      snippet(f"expected {want_text} ({ctx.oracle.label}), got {got_text}", x))

    tried, failure = run_property(ctx, check_id, cases, body, explicit)
    return verdict_from(check_id, tried, failure, passed.format(oracle=ctx.oracle.label))


def neuron_forward(ctx: CheckContext) -> Verdict:
    nets = st.builds(lambda nin, nonlin: Net("Neuron", nin, (1,), nonlin), st.integers(1, 4),
                     st.sampled_from([None, False, True]))
    return forward_property(ctx, "nn.neuron.forward", forward_cases(nets),
                            "Neuron(nin) and Neuron(nin, nonlin=False) match {oracle}")


def layer_forward(ctx: CheckContext) -> Verdict:
    """Layers of every shape: one neuron returns its Value, more return a list of them."""
    layers = st.builds(lambda nin, nout, nonlin: Net("Layer", nin, (nout,), nonlin),
                       st.integers(1, 3), st.integers(1, 4), st.sampled_from([None, False]))
    always = (ForwardCase(Net("Layer", 3, (1,)), [0.5, -1.0, 0.25, 0.125], [[1.0, 0.5, -2.0]]),)
    return forward_property(ctx, "nn.layer.forward", forward_cases(layers),
                            "Layer(nin, 1) returns a Value, Layer(nin, nout) a list of nout "
                            "Values, both match {oracle}", always)


HIDDEN_SINGLE = Net("MLP", 2, (3, 1, 1))  # a one-neuron hidden layer hands a lone Value on


def single_neuron_layer(ctx: CheckContext) -> Verdict:
    """An MLP with a one-neuron hidden layer, whose lone Value the next layer must accept.

    Upstream micrograd 0.1.0 does not handle it, so it is a check of its own, worth less than a
    layer's forward pass. It runs on positive values only, so its output does not depend on
    whether the last layer is linear: that is nn.mlp.forward's to check, and is not charged twice.
    """
    always = (ForwardCase(HIDDEN_SINGLE, [(k % 7 + 1) / 8 for k in range(HIDDEN_SINGLE.size)],
                          [[0.25, 0.75]]),)
    return forward_property(ctx, "nn.layer.single_neuron", positive_forward_cases(HIDDEN_SINGLE),
                            "MLP(2, [3, 1, 1]) works: a one-neuron hidden layer's Value feeds "
                            "the next layer, and the output matches {oracle}", always)


MLP_SHAPES = (Net("MLP", 3, (4, 4, 1)), Net("MLP", 2, (3, 1)), Net("MLP", 2, (3, 2)),
              Net("MLP", 1, (2, 2, 1)))


def mlp_forward(ctx: CheckContext) -> Verdict:
    negative = Net("MLP", 2, (3, 1))  # all zero but the output bias: the score must be -0.5
    always = (ForwardCase(negative, [0.0] * (negative.size - 1) + [-0.5], [[1.0, -1.0]]),)
    return forward_property(ctx, "nn.mlp.forward", forward_cases(st.sampled_from(MLP_SHAPES)),
                            "MLP outputs match {oracle} (ReLU hidden layers, linear output layer)",
                            always)
