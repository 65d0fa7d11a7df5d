"""nn.neuron.parameters, nn.mlp.parameters: every weight and bias, in micrograd's order."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st

from autograder.checks.base import (
    CheckContext,
    Failure,
    run_property,
    verdict_from,
)
from autograder.checks.network.mistakes import grads_mismatch, outputs_match
from autograder.checks.network.nets import Net
from autograder.checks.network.program import NetProgram, execute
from autograder.checks.network.snippets import inputs_text, setup_lines, show_list
from autograder.checks.network.strategies import positive_grid
from autograder.compare import is_number, show
from autograder.model import Outcome, Verdict

# ---- parameter checks ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ProbeCase:
    net: Net
    params: list[float]
    x: list[float]


def probe_cases(nets: st.SearchStrategy[Net]) -> st.SearchStrategy[ProbeCase]:
    """All-positive parameters and inputs, all different: every ReLU passes its input through,
    so the network is linear here and a wrong order shows in the gradients."""

    @st.composite
    def build(draw: st.DrawFn) -> ProbeCase:
        net = draw(nets)
        params = draw(st.lists(positive_grid(), min_size=net.size, max_size=net.size,
                               unique=True))
        x = draw(st.lists(positive_grid().filter(lambda v: v != 1.0), min_size=net.nin,
                          max_size=net.nin, unique=True))
        return ProbeCase(net, params, x)

    return build()


def probe_program(case: ProbeCase) -> NetProgram:
    """Set the parameters, run one input, backward from the sum of the outputs, read it all."""
    prog = NetProgram(case.net, case.params)
    outs = prog.forward(case.x)
    total = prog.total(outs, "adding up the outputs")
    prog.backward(total)
    for slot in outs:
        prog.read(slot)
    prog.read_params("grad")
    return prog


def probe_snippet(case: ProbeCase, comment: str) -> str:
    net = case.net
    total = "out" if net.nout == 1 else "sum(out[1:], out[0])"
    return "\n".join(setup_lines(net, case.params) + [
        f"out = model({inputs_text(case.x)})", f"total = {total}", "total.backward()",
        f"print([p.grad for p in model.parameters()])  # {comment}"])


def neuron_parameters(ctx: CheckContext) -> Verdict:
    check_id = "nn.neuron.parameters"
    nets = st.integers(1, 4).map(lambda nin: Net("Neuron", nin, (1,)))

    def body(case: ProbeCase) -> None:
        prog = probe_program(case)
        values = execute(ctx, prog, lambda c: probe_snippet(case, c))
        grads = values[1:]
        want = [*case.x, 1.0]  # d out / d w_i = x_i and d out / d b = 1 (the ReLU is active)
        if not grads_mismatch(grads, want):
            return
        nin = case.net.nin
        if all(g == 0.0 for g in grads):
            hint = ("After out.backward() every Value in parameters() still has grad 0: "
                    "parameters() returns Values the forward pass does not use (copies?). Return "
                    "the neuron's own weight and bias Values.")
        elif not grads_mismatch(grads, [1.0, *case.x]):
            hint = ("parameters() lists the bias first; micrograd's order is the weights, then "
                    "the bias (`self.w + [self.b]`).")
        elif not grads_mismatch(grads, [*case.x, 0.0]):
            hint = ("The weights' gradients are right, but the bias's is 0: the bias Value that "
                    "parameters() returns is not part of the output. A neuron computes "
                    "relu(w·x + b): add the bias in the forward pass (micrograd: "
                    "`sum((wi * xi for ...), self.b)`), and return that same Value.")
        elif sorted(g for g in grads if is_number(g)) == sorted(want):
            hint = (f"parameters() holds the right Values in another order; expected w[0] ... "
                    f"w[{nin - 1}], then b.")
        else:
            hint = ("with out = w·x + b (positive, so the ReLU passes it through), d out/d w_i = "
                    "x_i and d out/d b = 1, so the gradients should be the inputs followed by 1.")
        summary = (f"after out = model({case.x!r}) and out.backward() on model = "
                   f"{case.net.text}, the gradients of parameters() are {show_list(grads)}, "
                   f"expected {want!r} (the inputs, then 1)")
        raise Failure(Outcome.WRONG, summary, summary + ".\n" + hint,
                      probe_snippet(case, f"expected {want!r}, got {show_list(grads, 99)}"))

    tried, failure = run_property(ctx, check_id, probe_cases(nets), body)
    return verdict_from(check_id, tried, failure,
                        "Neuron(nin).parameters() returns its nin weights then its bias")


def permutations(net: Net) -> list[tuple[str, list[int]]]:
    """Well-known wrong orders: student index i holds the canonical parameter perm[i]."""
    blocks: list[list[list[int]]] = []
    for b in net.blocks():
        blocks.append([list(range(b.offset + j * (b.nin + 1), b.offset + (j + 1) * (b.nin + 1)))
                       for j in range(b.nout)])
    bias_first = [i for layer in blocks for neuron in layer for i in [neuron[-1], *neuron[:-1]]]
    reversed_layers = [i for layer in reversed(blocks) for neuron in layer for i in neuron]
    grouped = [i for layer in blocks for i in
               [n for neuron in layer for n in neuron[:-1]] + [neuron[-1] for neuron in layer]]
    return [
        ("each neuron's bias comes before its weights; micrograd lists each neuron's weights, "
         "then its bias (`self.w + [self.b]`)", bias_first),
        ("the layers come in reverse order; MLP.parameters() lists the first layer's "
         "parameters first", reversed_layers),
        ("each layer lists all its weights, then all its biases; micrograd goes neuron by neuron, "
         "each neuron's weights then its bias", grouped),
    ]


def mlp_parameters(ctx: CheckContext) -> Verdict:
    check_id = "nn.mlp.parameters"
    nets = st.sampled_from((Net("MLP", 3, (4, 4, 1)), Net("MLP", 2, (3, 1)),
                            Net("MLP", 2, (3, 2))))

    def body(case: ProbeCase) -> None:
        net = case.net
        values = execute(ctx, probe_program(case), lambda c: probe_snippet(case, c))
        outs, grads = values[:net.nout], values[net.nout:]
        run = ctx.oracle.network(net.layers, case.params, [case.x], "sum")
        if outputs_match(outs, run.outputs) and not grads_mismatch(grads, run.grads):
            return
        for message, perm in permutations(net):
            canonical = [0.0] * net.size
            for student, target in enumerate(perm):
                canonical[target] = case.params[student]
            alt = ctx.oracle.network(net.layers, canonical, [case.x], "sum")
            if outputs_match(outs, alt.outputs) and not grads_mismatch(
                    grads, [alt.grads[target] for target in perm]):
                summary = f"{net.text}.parameters() has the right count but the wrong order"
                raise Failure(Outcome.WRONG, summary, f"{summary}: {message}.",
                              probe_snippet(case, "compare with the order micrograd uses"))
        if not outputs_match(outs, run.outputs):
            summary = (f"with every parameter and input positive (so every ReLU passes its input "
                       f"through), {net.text} returned {show_list(outs)}, expected "
                       f"{run.outputs[0]!r}")
            detail = ("No simple reordering of parameters() explains it; if nn.mlp.forward "
                      "fails too, fix that first.")
        else:
            wrong = grads_mismatch(grads, run.grads)
            first = wrong[0]
            summary = (f"after backward through {net.text}, {net.label(first)}.grad is "
                       f"{show(grads[first])}, expected {run.grads[first]!r} "
                       f"({len(wrong)} of {net.size} gradients differ)")
            detail = ("The output is right, so parameters() may hold Values the forward pass "
                      "does not use (copies), or list them in an order micrograd does not use "
                      "(layer by layer, neuron by neuron, each neuron's weights then its bias).")
        raise Failure(Outcome.WRONG, summary, f"{summary}.\n{detail}",
                      probe_snippet(case, f"expected {show_list(run.grads, 6)}"))

    tried, failure = run_property(ctx, check_id, probe_cases(nets), body)
    return verdict_from(check_id, tried, failure,
                        "MLP.parameters() lists every weight and bias once, in micrograd's order")
