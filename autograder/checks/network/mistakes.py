"""Well-known wrong networks, and how to tell which one a student's outputs come from.

A diagnosis is stated only when the evidence shows it: a mistake is named when its network
reproduces the student's numbers, on the failing example and on a second, fuller one.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from autograder.checks.base import CheckContext, Failure
from autograder.checks.network.nets import Net, parameters_check
from autograder.checks.network.program import NetProgram, execute
from autograder.compare import GRAPH_RTOL, close


def outputs_match(got: Sequence[float | str], want: Sequence[Sequence[float]]) -> bool:
    flat = [v for row in want for v in row]
    scale = max([abs(v) for v in flat] + [1.0])
    return len(got) == len(flat) and all(close(g, w, GRAPH_RTOL, scale)
                                         for g, w in zip(got, flat, strict=True))


def grads_mismatch(got: Sequence[float | str], want: Sequence[float]) -> list[int]:
    scale = max([abs(v) for v in want] + [1.0])
    return [i for i, (g, w) in enumerate(zip(got, want, strict=True))
            if not close(g, w, GRAPH_RTOL, scale)]


def zero_biases(net: Net, params: Sequence[float]) -> list[float]:
    out = list(params)
    for index in net.bias_indices():
        out[index] = 0.0
    return out


Variant = tuple[str, list[tuple[int, int, bool]], list[float]]  # mistake, its layers, its params


def variants(net: Net, params: Sequence[float], biases: bool = True) -> list[Variant]:
    """Well-known wrong networks: the layers (and parameters) a common mistake computes with."""
    layers = net.layers
    candidates: list[Variant] = []
    if net.cls == "MLP":
        candidates.append((
            "The output layer must be linear (scores can be negative): your MLP applies ReLU to "
            "its last layer too, so a negative score comes out as 0. micrograd builds the last "
            "layer with nonlin=False (`nonlin=i != len(nouts) - 1`).",
            [(a, b, True) for a, b, _ in layers], list(params)))
        if len(layers) > 1:
            candidates.append((
                "Your hidden layers do not apply ReLU: every layer but the last must be nonlinear.",
                [(a, b, False) for a, b, _ in layers], list(params)))
    else:
        nonlin = layers[0][2]
        candidates.append((
            "ReLU is not applied: a neuron is nonlinear unless built with nonlin=False."
            if nonlin else "With nonlin=False the neuron must return w·x + b without ReLU.",
            [(a, b, not nonlin) for a, b, _ in layers], list(params)))
    if biases:
        candidates.append(("The bias is not added: your outputs equal the network's with every "
                           "bias set to 0. A neuron computes relu(w·x + b).", layers,
                           zero_biases(net, params)))
    return candidates


def forward_diagnosis(ctx: CheckContext, net: Net, params: Sequence[float],
                      batch: Sequence[Sequence[float]], got: Sequence[float | str]) -> str:
    """Name the well-known mistake whose network reproduces the student's outputs, if any.

    A shrunk counterexample is small (mostly zeros), so a wrong network can match it by
    coincidence; a mistake is named only if it also reproduces a second, fuller example. When
    the parameters check failed, that is the root cause and no other mistake is guessed.
    """
    if ctx.passed(parameters_check(net)) is False:
        return ""
    rng = random.Random(ctx.seed_for(f"confirm {net.text}"))
    params2 = [rng.randint(-16, 16) / 8 for _ in range(net.size)]
    batch2 = [[rng.randint(-16, 16) / 8 for _ in range(net.nin)] for _ in range(3)]
    prog = NetProgram(net, params2)
    for x in batch2:
        for slot in prog.forward(x):
            prog.read(slot)
    try:
        got2 = execute(ctx, prog, lambda comment: "")
    except Failure:
        return ""
    for (message, layers, alt), (_, layers2, alt2) in zip(variants(net, params),
                                                           variants(net, params2), strict=True):
        if outputs_match(got, ctx.oracle.network(layers, alt, batch).outputs) and \
                outputs_match(got2, ctx.oracle.network(layers2, alt2, batch2).outputs):
            return message
    return ""
