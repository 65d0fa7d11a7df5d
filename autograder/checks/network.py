"""`nn.*`: the student's `Neuron`, `Layer` and `MLP` against a PyTorch twin of the same network.

Every check sets the network's parameters through the student's own `parameters()` (micrograd's
order: layer by layer, neuron by neuron, each neuron's weights then its bias) to values hypothesis
draws, runs it in the worker, and compares outputs, losses and every parameter's gradient with
`TorchOracle.network`, which computes the same network with matrices. Losses are built in the
worker from `+`, `*` and `relu()` only, so a broken reflected op (`1 - x`) costs its own engine
check and not these.

Drawn numbers are multiples of 1/8 (1/32 for positive draws), so sums and products in the worker
and in torch are exact: a ReLU never sits on a rounding error, and a mismatch is a real bug.

What each check does, the training budget and the worker's network steps: docs/CHECKS_NN.md.
"""

from __future__ import annotations

import csv
import math
import random
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from autograder.checks.base import (
    CheckContext,
    CheckDef,
    Failure,
    failure_from_error,
    run_property,
    verdict_from,
)
from autograder.compare import GRAPH_RTOL, close, is_number, show
from autograder.ir import Program
from autograder.model import Outcome, Verdict
from autograder.session import WorkerDied

GROUP = "nn"
REPO = Path(__file__).resolve().parents[2]
MOONS_CSV = REPO / "examples" / "moons" / "moons.csv"

FORWARD_NEEDS = ("engine.add.forward", "engine.mul.forward", "engine.relu.forward")
BACKWARD_NEEDS = FORWARD_NEEDS + (
    "engine.add.backward", "engine.mul.backward", "engine.relu.backward",
    "engine.backward.order", "engine.backward.accumulation")

# What nn.train.moons does unless the manifest's [checks."nn.train.moons".params] says otherwise.
TRAIN_DEFAULTS: dict[str, Any] = {
    "hidden": [16, 16, 1],  # MLP(2, hidden)
    "steps": 200,
    "batch_size": 10,  # points per step, taken in order and wrapping around; 0: all of them
    "seed": 1337,
    "init": "grader",  # "grader": initial_values() below; "student": the Neuron's own draws
    "lr_start": 1.0,  # the learning rate falls linearly from lr_start towards lr_end
    "lr_end": 0.1,
    "alpha": 1e-4,  # L2 regularisation strength
    "threshold": 0.95,  # training accuracy needed to pass
    "timeout_s": 120.0,  # wall clock for the whole training run
    "data": "",  # a CSV (x1,x2,y) relative to the repository; empty: the shipped moons
}
CURVE_EVERY = 10  # the feedback lists the loss at every 10th step


# ---- the networks under test ---------------------------------------------------------------------


@dataclass(frozen=True)
class Net:
    """A micrograd network to build: `Neuron(nin)`, `Layer(nin, nout)` or `MLP(nin, nouts)`."""

    cls: str
    nin: int
    nouts: tuple[int, ...]
    nonlin: bool | None = None  # the `nonlin=` keyword of a Neuron or Layer; None: not passed

    @property
    def layers(self) -> list[tuple[int, int, bool]]:
        """(nin, nout, nonlin) per layer, as micrograd builds them (an MLP's last layer linear)."""
        if self.cls == "MLP":
            sizes = (self.nin, *self.nouts)
            last = len(self.nouts) - 1
            return [(sizes[i], sizes[i + 1], i != last) for i in range(len(self.nouts))]
        return [(self.nin, self.nouts[0], True if self.nonlin is None else self.nonlin)]

    @property
    def nout(self) -> int:
        return self.nouts[-1]

    @property
    def size(self) -> int:
        return sum(nout * (nin + 1) for nin, nout, _ in self.layers)

    @property
    def text(self) -> str:
        if self.cls == "MLP":
            args = f"{self.nin}, {list(self.nouts)}"
        elif self.cls == "Layer":
            args = f"{self.nin}, {self.nouts[0]}"
        else:
            args = f"{self.nin}"
        if self.nonlin is not None:
            args += f", nonlin={self.nonlin}"
        return f"{self.cls}({args})"

    def step(self) -> list[Any]:
        args: list[Any] = {"MLP": [self.nin, list(self.nouts)], "Layer": [self.nin, self.nouts[0]],
                           "Neuron": [self.nin]}[self.cls]
        return ["module", self.cls, args, {} if self.nonlin is None else {"nonlin": self.nonlin}]

    def label(self, index: int) -> str:
        """`parameters()[7] (layer 1, neuron 0, w[2])`: where a flat index sits in the network."""
        offset = 0
        for layer, (nin, nout, _) in enumerate(self.layers):
            block = nout * (nin + 1)
            if index < offset + block:
                neuron, k = divmod(index - offset, nin + 1)
                part = f"w[{k}]" if k < nin else "b"
                where = {"Neuron": part, "Layer": f"neuron {neuron}, {part}"}.get(
                    self.cls, f"layer {layer}, neuron {neuron}, {part}")
                return f"parameters()[{index}] ({where})"
            offset += block
        return f"parameters()[{index}]"

    def layer_of(self, index: int) -> int | None:
        """Which layer a flat parameter index falls in (None: past the end)."""
        offset = 0
        for layer, (nin, nout, _) in enumerate(self.layers):
            offset += nout * (nin + 1)
            if index < offset:
                return layer
        return None

    def bias_indices(self) -> list[int]:
        indices, offset = [], 0
        for nin, nout, _ in self.layers:
            indices += [offset + j * (nin + 1) + nin for j in range(nout)]
            offset += nout * (nin + 1)
        return indices


def count_problem(net: Net, got: int) -> str:
    """`MLP(3, [4, 4, 1]).parameters() returned 36 values; expected 41 (...) — are biases ...?`"""
    layers = net.layers
    if net.cls == "Neuron":
        formula = f"{net.nin} weight{'s' if net.nin != 1 else ''} + 1 bias"
    else:
        formula = " + ".join(f"{nout}·({nin}+1)" for nin, nout, _ in layers)
    weights = sum(nout * nin for nin, nout, _ in layers)
    biases = sum(nout for _, nout, _ in layers)
    sizes = [nout * (nin + 1) for nin, nout, _ in layers]
    if got == 0:
        hint = "it is empty: collect the weights and bias of every neuron"
    elif got == weights:
        hint = "are biases included?"
    elif got == biases:
        hint = "are the weights included?"
    elif net.cls == "Layer" and got == net.nin + 1:
        hint = "that is one neuron's worth: Layer.parameters() must collect every neuron's"
    elif net.cls == "MLP" and got in sizes:
        hint = "that is one layer's worth: MLP.parameters() must collect every layer's"
    elif net.cls == "MLP" and any(got == net.size - size for size in sizes):
        hint = "one layer's parameters are missing"
    elif got > net.size:
        hint = "are some parameters listed twice?"
    else:
        hint = ("micrograd lists, layer by layer and neuron by neuron, each neuron's weights "
                "then its bias")
    values = "value" if got == 1 else "values"
    return (f"{net.text}.parameters() returned {got} {values}; expected {net.size} ({formula}) "
            f"— {hint}")


# ---- drawing inputs ------------------------------------------------------------------------------


def grid(limit: float = 2.0, denominator: int = 8) -> st.SearchStrategy[float]:
    """Multiples of 1/denominator in [-limit, limit]: exact in float64 sums and products."""
    top = int(limit * denominator)
    return st.integers(-top, top).map(lambda k: k / denominator)


def positive_grid() -> st.SearchStrategy[float]:
    """1/32 ... 2 in steps of 1/32: with positive inputs every ReLU passes its input through."""
    return st.integers(1, 64).map(lambda k: k / 32)


def rows(nin: int, size: tuple[int, int]) -> st.SearchStrategy[list[list[float]]]:
    return st.lists(st.lists(grid(), min_size=nin, max_size=nin), min_size=size[0],
                    max_size=size[1])


# ---- programs ------------------------------------------------------------------------------------


class NetProgram:
    """One worker program over one network. Remembers what each step does, for error messages.

    Every program starts the same way: build the module, read `len(parameters())` and how many
    distinct objects that list holds, then (optionally) set each parameter's `.data`.
    """

    def __init__(self, net: Net, params: Sequence[float] | None) -> None:
        self.net = net
        self.program = Program()
        self.doing: dict[int, str] = {}
        self.read_alls = 0  # how many `read_all` steps (each reads one value per parameter)
        self.count = net.size  # how many parameters the student's network turned out to have
        self.module = self._raw(net.step(), 0, f"`{net.text}`")
        self.params = self._raw(["params", self.module], 1, "`model.parameters()`")
        self._raw(["distinct", self.params], 1)
        if params is not None:
            self._raw(["set_data", self.params, list(params)], 0,
                      "setting `p.data` for each p in `model.parameters()`")

    def _raw(self, step: list[Any], reads: int = 0, doing: str = "") -> int:
        slot = self.program.raw(step, reads)
        if doing:
            self.doing[slot] = doing
        return slot

    def _apply(self, expr: str, refs: dict[str, int], doing: str) -> int:
        slot = self.program.apply(expr, refs)
        self.doing[slot] = doing
        return slot

    def forward(self, x: Sequence[float]) -> list[int]:
        """`model([Value(x0), ...])`; the slots of its output Values (one, or nout of them)."""
        inputs = [self.program.value(v) for v in x]
        call = f"`model({inputs_text(x)})` with model = {self.net.text}"
        out = self._raw(["call", self.module, inputs], 0, call)
        if self.net.nout == 1:
            return [self._raw(["expect_value", out, "the call"], 0, call)]
        items = self._raw(["expect_list", out, self.net.nout, "the call"], 0, call)
        return [self._raw(["item", items, k], 0, call) for k in range(self.net.nout)]

    def hinge(self, scores: list[int], labels: Sequence[float]) -> int:
        """mean((1 + -y * score).relu()), written with Value leaves so only +, * and relu run."""
        terms = []
        for score, label in zip(scores, labels, strict=True):
            one, neg = self.program.value(1.0), self.program.value(-label)
            terms.append(self._apply("(a + b * c).relu()", {"a": one, "b": neg, "c": score},
                                     "building the loss `(1 + -y * score).relu()`"))
        return self._mean(terms)

    def mse(self, outputs: list[list[int]], targets: Sequence[Sequence[float]]) -> int:
        """mean over examples of sum_k (out_k - t_k)**2, as (out + (-t)) * (out + (-t))."""
        doing = "building the loss `(out - t) * (out - t)`"
        terms = []
        for outs, target in zip(outputs, targets, strict=True):
            squares = []
            for out, t in zip(outs, target, strict=True):
                diff = self._apply("a + b", {"a": out, "b": self.program.value(-t)}, doing)
                squares.append(self._apply("a * a", {"a": diff}, doing))
            terms.append(self.total(squares, doing))
        return self._mean(terms)

    def total(self, terms: list[int], doing: str = "adding up the loss terms") -> int:
        total = terms[0]
        for term in terms[1:]:
            total = self._apply("a + b", {"a": total, "b": term}, doing)
        return total

    def _mean(self, terms: list[int]) -> int:
        scale = self.program.value(1.0 / len(terms))
        return self._apply("a * b", {"a": self.total(terms), "b": scale},
                           "averaging the loss terms")

    def backward(self, slot: int) -> None:
        self._raw(["backward", slot], 0, "`loss.backward()`")

    def read(self, slot: int) -> None:
        self.program.read(slot, "data")

    def read_params(self, attr: str) -> None:
        self.read_alls += 1
        self._raw(["read_all", self.params, attr], self.net.size)

    def set_grads(self, grads: Sequence[float]) -> None:
        self._raw(["set_grad", self.params, list(grads)], 0,
                  "setting `p.grad` for each p in `model.parameters()`")

    def zero_grad(self) -> None:
        self._raw(["zero_grad", self.module], 0, "`model.zero_grad()`")

    def sgd(self, lr: float) -> None:
        self._raw(["sgd", self.params, lr], 0, f"the SGD step `p.data -= {lr!r} * p.grad`")


def execute(ctx: CheckContext, prog: NetProgram, snippet: Callable[[str], str],
            blocked_by: str | None = None, exact_count: bool = True) -> list[float | str]:
    """Run `prog`; return the values it read after the parameter count, or raise a Failure.

    `snippet(comment)` writes the runnable repro. `blocked_by` names the parameters check this
    one relies on to set the network's values, for the message when the count is wrong. With
    `exact_count=False` any count is accepted (`prog.count` says which) and every `read_all`
    reads that many values.
    """
    reply = ctx.session.run(prog.program.steps)
    net = prog.net
    if not reply.ok:
        assert reply.error is not None
        step = reply.error.step
        doing = prog.doing.get(step, "running the network") if step is not None else \
            "running the network"
        raise failure_from_error(reply, doing, snippet("fails"), error_hint(net, reply.error))
    values = list(reply.values)
    count, distinct = values[0], values[1]
    if not exact_count and is_number(count):
        prog.count = int(count)
        if len(values) != prog.program.reads + prog.read_alls * (prog.count - net.size):
            raise Failure(Outcome.PROTOCOL, "the worker read the wrong number of values",
                          f"The worker returned {len(values)} values for a network of "
                          f"{prog.count} parameters.")
        return values[2:]
    if count != float(net.size):
        summary = count_problem(net, int(count) if is_number(count) else -1)
        feedback = summary + ("" if summary.endswith("?") else ".")
        if blocked_by:
            feedback += (f"\nThis check sets the network's weights and biases through "
                         f"parameters(), so it cannot compare {net.text} with PyTorch until "
                         f"`{blocked_by}` passes.")
        raise Failure(Outcome.WRONG, summary, feedback, count_snippet(net, count, distinct))
    if distinct != count:
        summary = (f"{net.text}.parameters() lists the same Value more than once "
                   f"({show(distinct)} different Values among {net.size})")
        raise Failure(Outcome.WRONG, summary, summary + ": each parameter must appear exactly "
                      "once, or one SGD step would update it several times.",
                      count_snippet(net, count, distinct))
    if len(values) != prog.program.reads:
        raise Failure(Outcome.PROTOCOL, "the worker read the wrong number of values",
                      f"The worker returned {len(values)} values, expected "
                      f"{prog.program.reads}.")
    return values[2:]


def error_hint(net: Net, error: Any) -> str:
    """One extra sentence for errors with a well-known cause."""
    message = error.message or ""
    if error.kind == "bad_return" and "expected a Value" in message and net.cls == "Layer":
        return ("A Layer with a single neuron returns that neuron's Value itself, not a list "
                "(micrograd: `return out[0] if len(out) == 1 else out`), so an MLP whose last "
                "layer has one neuron returns a Value score.")
    if error.kind == "bad_return" and "expected a Value" in message and net.cls == "MLP":
        return ("An MLP whose last layer has one neuron returns a single Value (its last Layer "
                "returns `out[0]` when it has one neuron).")
    if error.kind == "bad_return" and "expected a list" in message:
        return f"A network whose last layer has {net.nout} neurons returns a list of them."
    if net.cls == "MLP" and 1 in net.nouts[:-1] and error.type in ("TypeError", "AttributeError"):
        return (f"{net.text} has a hidden layer with one neuron: that layer returns a single "
                "Value, and the next layer must accept it as its input (treat a lone Value as a "
                "one-element list).")
    if error.type == "TypeError" and "nonlin" in message:
        return ("Neuron(nin, nonlin=True) and Layer(nin, nout, **kwargs) take the `nonlin` "
                "keyword: MLP builds its last layer with nonlin=False.")
    return ""


# ---- snippets and messages -----------------------------------------------------------------------


def inputs_text(x: Sequence[float]) -> str:
    return "[" + ", ".join(f"Value({v!r})" for v in x) + "]"


def wrap_list(name: str, values: Sequence[Any], comment: str = "") -> list[str]:
    """`name = [...]  # comment`, wrapped so the snippet stays readable and runnable."""
    text = f"{name} = {list(values)!r}"
    if len(text) <= 96:
        return [text + (f"  # {comment}" if comment else "")]
    lines = textwrap.wrap(text, 96, subsequent_indent="    ", break_on_hyphens=False)
    return ([f"# {comment}"] if comment else []) + lines


def setup_lines(net: Net, params: Sequence[float] | None) -> list[str]:
    lines = ["from micrograd.engine import Value", f"from micrograd.nn import {net.cls}",
             f"model = {net.text}"]
    if params is not None:
        lines += wrap_list("values", params, f"{len(params)} values, micrograd's order "
                           "(per neuron: w then b)")
        lines += ["for p, v in zip(model.parameters(), values):", "    p.data = v"]
    return lines


def loss_lines(net: Net, batch: Sequence[Sequence[float]], loss: str,
               targets: Sequence[Any]) -> list[str]:
    lines = wrap_list("xs", batch)
    if loss == "hinge":
        lines += wrap_list("ys", targets)
        lines += ["scores = [model([Value(x) for x in row]) for row in xs]",
                  "terms = [(Value(1.0) + Value(-y) * s).relu() for y, s in zip(ys, scores)]"]
    else:
        lines += wrap_list("targets", targets)
        lines += ["outs = [model([Value(x) for x in row]) for row in xs]",
                  "outs = [o if isinstance(o, list) else [o] for o in outs]",
                  "terms = []",
                  "for out, target in zip(outs, targets):",
                  "    squares = [(o + Value(-t)) * (o + Value(-t)) for o, t in zip(out, target)]",
                  "    term = squares[0]",
                  "    for sq in squares[1:]:",
                  "        term = term + sq",
                  "    terms.append(term)"]
    lines += ["loss = terms[0]", "for term in terms[1:]:", "    loss = loss + term",
              f"loss = loss * Value(1.0 / {len(batch)})"]
    return lines


def count_snippet(net: Net, count: float | str, distinct: float | str) -> str:
    got = " ".join(str(int(v)) if is_number(v) else show(v) for v in (count, distinct))
    return "\n".join([f"from micrograd.nn import {net.cls}", f"model = {net.text}",
                      "params = model.parameters()",
                      "print(len(params), len(set(map(id, params))))  # how many, how many "
                      f"different: expected {net.size} {net.size}, got {got}"])


def show_list(values: Sequence[float | str], limit: int = 8) -> str:
    shown = ", ".join(show(v) for v in values[:limit])
    more = f", ... ({len(values)} in all)" if len(values) > limit else ""
    return f"[{shown}{more}]"


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


def parameters_check(net: Net) -> str:
    """The check that vouches for `net.parameters()`, which every other check relies on."""
    return "nn.mlp.parameters" if net.cls == "MLP" else "nn.neuron.parameters"


def forward_property(ctx: CheckContext, check_id: str, cases: st.SearchStrategy[ForwardCase],
                     passed: str, explicit: tuple[ForwardCase, ...] = ()) -> Verdict:
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
                   f"{list(x)!r}, expected {want_text} (PyTorch)")
        diagnosis = forward_diagnosis(ctx, net, case.params, case.batch, got)
        feedback = (f"{net.text}, parameters set through parameters() to "
                    f"{show_list(case.params)}, input {list(x)!r}: output {got_text}, expected "
                    f"{want_text}." + (f"\n{diagnosis}" if diagnosis else ""))
        raise Failure(Outcome.WRONG, summary, feedback,
                      snippet(f"expected {want_text} (PyTorch), got {got_text}", x))

    tried, failure = run_property(ctx, check_id, cases, body, explicit)
    return verdict_from(check_id, tried, failure, passed)


def neuron_forward(ctx: CheckContext) -> Verdict:
    nets = st.builds(lambda nin, nonlin: Net("Neuron", nin, (1,), nonlin), st.integers(1, 4),
                     st.sampled_from([None, False, True]))
    return forward_property(ctx, "nn.neuron.forward", forward_cases(nets),
                            "Neuron(nin) and Neuron(nin, nonlin=False) match PyTorch")


HIDDEN_SINGLE = Net("MLP", 2, (3, 1, 1))  # a one-neuron hidden layer hands a lone Value on


def layer_forward(ctx: CheckContext) -> Verdict:
    """Layers of every shape, and an MLP with a one-neuron hidden layer.

    The MLP runs on positive values only, so its output does not depend on whether the last
    layer is linear: that is nn.mlp.forward's to check, and is not charged twice.
    """
    layers = st.builds(lambda nin, nout, nonlin: Net("Layer", nin, (nout,), nonlin),
                       st.integers(1, 3), st.integers(1, 4), st.sampled_from([None, False]))
    cases = st.one_of(forward_cases(layers), positive_forward_cases(HIDDEN_SINGLE))
    always = (ForwardCase(Net("Layer", 3, (1,)), [0.5, -1.0, 0.25, 0.125], [[1.0, 0.5, -2.0]]),
              ForwardCase(HIDDEN_SINGLE, [(k % 7 + 1) / 8 for k in range(HIDDEN_SINGLE.size)],
                          [[0.25, 0.75]]))
    return forward_property(ctx, "nn.layer.forward", cases,
                            "Layer(nin, 1) returns a Value, Layer(nin, nout) a list of nout "
                            "Values, both match PyTorch; MLP(2, [3, 1, 1]) works", always)


MLP_SHAPES = (Net("MLP", 3, (4, 4, 1)), Net("MLP", 2, (3, 1)), Net("MLP", 2, (3, 2)),
              Net("MLP", 1, (2, 2, 1)))


def mlp_forward(ctx: CheckContext) -> Verdict:
    negative = Net("MLP", 2, (3, 1))  # all zero but the output bias: the score must be -0.5
    always = (ForwardCase(negative, [0.0] * (negative.size - 1) + [-0.5], [[1.0, -1.0]]),)
    return forward_property(ctx, "nn.mlp.forward", forward_cases(st.sampled_from(MLP_SHAPES)),
                            "MLP outputs match PyTorch (ReLU hidden layers, linear output layer)",
                            always)


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
    blocks, offset = [], 0
    for nin, nout, _ in net.layers:
        blocks.append([list(range(offset + j * (nin + 1), offset + (j + 1) * (nin + 1)))
                       for j in range(nout)])
        offset += nout * (nin + 1)
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


# ---- backward through a loss ---------------------------------------------------------------------


@dataclass(frozen=True)
class LossCase:
    net: Net
    loss: str  # "hinge" or "mse"
    params: list[float]
    batch: list[list[float]]
    targets: list[Any]  # labels +-1 (hinge) or one list of floats per example (mse)
    lr: float = 0.0


LOSS_SHAPES = ((Net("MLP", 3, (4, 4, 1)), "hinge"), (Net("MLP", 2, (3, 1)), "hinge"),
               (Net("MLP", 2, (3, 2)), "mse"), (Net("MLP", 2, (4, 1)), "mse"))


def loss_cases(shapes: Sequence[tuple[Net, str]] = LOSS_SHAPES,
               lrs: Sequence[float] = (0.0,)) -> st.SearchStrategy[LossCase]:
    @st.composite
    def build(draw: st.DrawFn) -> LossCase:
        net, loss = draw(st.sampled_from(shapes))
        params = draw(st.lists(grid(), min_size=net.size, max_size=net.size))
        batch = draw(rows(net.nin, (2, 4)))
        if loss == "hinge":
            targets: list[Any] = draw(st.lists(st.sampled_from([1.0, -1.0]),
                                               min_size=len(batch), max_size=len(batch)))
        else:
            targets = draw(st.lists(st.lists(grid(), min_size=net.nout, max_size=net.nout),
                                    min_size=len(batch), max_size=len(batch)))
        return LossCase(net, loss, params, batch, targets, draw(st.sampled_from(lrs)))

    return build()


def loss_program(case: LossCase) -> tuple[NetProgram, int]:
    prog = NetProgram(case.net, case.params)
    outputs = [prog.forward(x) for x in case.batch]
    if case.loss == "hinge":
        loss = prog.hinge([outs[0] for outs in outputs], case.targets)
    else:
        loss = prog.mse(outputs, case.targets)
    return prog, loss


def loss_snippet(case: LossCase, tail: list[str]) -> str:
    return "\n".join(setup_lines(case.net, case.params)
                     + loss_lines(case.net, case.batch, case.loss, case.targets) + tail)


def mlp_backward(ctx: CheckContext) -> Verdict:
    check_id = "nn.mlp.backward"

    def body(case: LossCase) -> None:
        net = case.net
        prog, loss = loss_program(case)
        prog.backward(loss)
        prog.read(loss)
        prog.read_params("grad")
        tail = ["loss.backward()"]
        values = execute(ctx, prog, lambda c: loss_snippet(case, tail + [f"# {c}"]),
                         parameters_check(net))
        got_loss, grads = values[0], values[1:]
        run = ctx.oracle.network(net.layers, case.params, case.batch, case.loss, case.targets)
        assert run.loss is not None
        if not close(got_loss, run.loss, GRAPH_RTOL, 1.0):
            summary = f"the {case.loss} loss over {len(case.batch)} examples is " \
                      f"{show(got_loss)}, expected {run.loss!r}"
            raise Failure(Outcome.WRONG, summary,
                          summary + ". The loss is built from the network's outputs, so its "
                          "forward pass is wrong: see nn.mlp.forward.",
                          loss_snippet(case, [f"print(loss.data)  # expected {run.loss!r}"]))
        wrong = grads_mismatch(grads, run.grads)
        if not wrong:
            return
        first = wrong[0]
        summary = (f"after loss.backward() ({case.loss} loss over {len(case.batch)} examples of "
                   f"{net.text}), {net.label(first)}.grad is {show(grads[first])}, expected "
                   f"{run.grads[first]!r} ({len(wrong)} of {net.size} gradients differ)")
        lines = [summary + "."]
        last = ctx.oracle.network(net.layers, case.params, case.batch[-1:], case.loss,
                                  case.targets[-1:])
        n = len(case.batch)
        if not grads_mismatch(grads, [g / n for g in last.grads]):
            lines.append("Your gradients hold only the last example's contribution: every "
                         "parameter is used once per example, and those contributions must add "
                         "up (`+=` in each _backward, and no reset inside backward()).")
        if ctx.passed("nn.mlp.forward") is not True:  # a right forward rules these out
            for message, alt_layers, alt_params in variants(net, case.params, biases=False):
                alt = ctx.oracle.network(alt_layers, alt_params, case.batch, case.loss,
                                         case.targets)
                if not grads_mismatch(grads, alt.grads):
                    lines.append(message)
                    break
        repro = loss_snippet(case, tail + [
            f"print(model.parameters()[{first}].grad)  # expected {run.grads[first]!r} "
            f"(PyTorch), got {show(grads[first])}"])
        raise Failure(Outcome.WRONG, summary, "\n".join(lines), repro)

    tried, failure = run_property(ctx, check_id, loss_cases(), body)
    return verdict_from(check_id, tried, failure,
                        "every parameter's gradient matches PyTorch for hinge and MSE losses over "
                        "small batches")


# ---- zero_grad -----------------------------------------------------------------------------------


def zero_grad(ctx: CheckContext) -> Verdict:
    """zero_grad() zeroes every parameter's grad, and a second backward then repeats the first.

    Whatever parameters() returns is what gets checked (its count is nn.*.parameters' business),
    so a network that lists too few parameters still gets this check right or wrong on its own.
    """
    check_id = "nn.zero_grad"
    shapes = ((Net("MLP", 3, (4, 4, 1)), "hinge"), (Net("MLP", 2, (3, 1)), "hinge"))
    nonzero = st.integers(1, 16).flatmap(lambda k: st.sampled_from([k / 8, -k / 8]))

    def body(args: tuple[LossCase, list[float]]) -> None:
        case, preset = args
        net = case.net
        prog = NetProgram(net, case.params)
        prog.set_grads(preset)
        prog.zero_grad()
        prog.read_params("grad")
        values = execute(ctx, prog, lambda c: zero_snippet(net, preset, c), exact_count=False)
        kept = [i for i, g in enumerate(values) if g != 0.0]
        if kept:
            summary = (f"after model.zero_grad() on {net.text}, {len(kept)} of {prog.count} "
                       f"parameters still hold a gradient: {net.label(kept[0])}.grad is "
                       f"{show(values[kept[0]])}, expected 0")
            raise Failure(Outcome.WRONG, summary,
                          summary + f".\n{kept_hint(net, kept, prog.count)}",
                          zero_snippet(net, preset, f"expected all 0, got "
                                                    f"{show_list(values, 6)}"))
        prog, loss = loss_program(case)
        prog.backward(loss)
        prog.read_params("grad")
        prog.zero_grad()
        again = prog.hinge([prog.forward(x)[0] for x in case.batch], case.targets)
        prog.backward(again)
        prog.read_params("grad")
        tail = ["loss.backward()", "first = [p.grad for p in model.parameters()]",
                "model.zero_grad()"]
        values = execute(ctx, prog, lambda c: loss_snippet(case, tail + [f"# {c}"]),
                         exact_count=False)
        first, second = values[:prog.count], values[prog.count:]
        differ = grads_mismatch(second, [float(g) if is_number(g) else math.nan for g in first])
        if differ:
            i = differ[0]
            summary = (f"the gradients of a second, identical backward pass after "
                       f"model.zero_grad() differ from the first: {net.label(i)}.grad is "
                       f"{show(second[i])} the second time, {show(first[i])} the first")
            doubled = is_number(first[i]) and close(second[i], 2 * float(first[i]), GRAPH_RTOL)
            hint = ("They doubled: the second pass added to gradients that zero_grad() should "
                    "have reset." if doubled else
                    "zero_grad() must leave every parameter's grad at 0, so the next backward "
                    "starts from scratch.")
            raise Failure(Outcome.WRONG, summary, f"{summary}.\n{hint}", loss_snippet(case, tail + [
                "# build the same loss again, then:", "loss.backward()",
                "print([p.grad for p in model.parameters()] == first)  # expected True"]))

    cases = st.tuples(loss_cases(shapes), st.lists(nonzero, min_size=41, max_size=41))
    tried, failure = run_property(ctx, check_id, cases, body)
    return verdict_from(check_id, tried, failure,
                        "model.zero_grad() resets the grad of every parameter in every layer")


def kept_hint(net: Net, kept: list[int], count: int) -> str:
    if len(kept) == count:
        return ("zero_grad() left every gradient as it was: it must set `p.grad = 0` on each p "
                "in self.parameters() (assigning to a loop variable or comparing with `==` "
                "changes nothing).")
    layers = sorted({layer for i in kept if (layer := net.layer_of(i)) is not None})
    where = f" (layer {', '.join(map(str, layers))})" if net.cls == "MLP" and layers else ""
    return (f"Only some were reset; {len(kept)} kept theirs{where}. zero_grad() must reach the "
            "parameters of every layer and neuron, e.g. through self.parameters().")


def zero_snippet(net: Net, preset: Sequence[float], comment: str) -> str:
    return "\n".join([f"from micrograd.nn import {net.cls}", f"model = {net.text}",
                      *wrap_list("grads", preset[:net.size]),
                      "for p, g in zip(model.parameters(), grads):", "    p.grad = g",
                      "model.zero_grad()",
                      f"print([p.grad for p in model.parameters()])  # {comment}"])


# ---- one SGD step --------------------------------------------------------------------------------


def sgd_step(ctx: CheckContext) -> Verdict:
    check_id = "nn.sgd_step"
    shapes = ((Net("MLP", 3, (4, 4, 1)), "hinge"), (Net("MLP", 2, (3, 1)), "hinge"),
              (Net("MLP", 2, (3, 2)), "mse"))

    def body(case: LossCase) -> None:
        net = case.net
        prog, loss = loss_program(case)
        prog.backward(loss)
        prog.sgd(case.lr)
        prog.read_params("data")
        for x in case.batch:
            for slot in prog.forward(x):
                prog.read(slot)
        tail = ["loss.backward()", "for p in model.parameters():",
                f"    p.data -= {case.lr!r} * p.grad"]
        values = execute(ctx, prog, lambda c: loss_snippet(case, tail + [f"# {c}"]),
                         parameters_check(net))
        stepped, after = values[:net.size], values[net.size:]
        run = ctx.oracle.network(net.layers, case.params, case.batch, case.loss, case.targets,
                                 lr=case.lr)
        wrong = grads_mismatch(stepped, run.stepped)
        if wrong:
            i = wrong[0]
            summary = (f"after one SGD step (lr={case.lr!r}) on the {case.loss} loss of "
                       f"{net.text}, {net.label(i)}.data is {show(stepped[i])}, expected "
                       f"{run.stepped[i]!r} (torch.optim.SGD)")
            hint = ("The step is p.data -= lr * p.grad, so the gradients after loss.backward() "
                    "were wrong: see nn.mlp.backward.")
            raise Failure(Outcome.WRONG, summary, f"{summary}.\n{hint}", loss_snippet(
                case, tail + [f"print(model.parameters()[{i}].data)  # expected "
                              f"{run.stepped[i]!r}, got {show(stepped[i])}"]))
        if not outputs_match(after, run.outputs_after):
            unchanged = outputs_match(after, run.outputs)
            summary = (f"after one SGD step (lr={case.lr!r}) the parameters are right, but "
                       f"{net.text}'s outputs are {show_list(after)}, expected "
                       f"{[v for row in run.outputs_after for v in row]!r}")
            hint = ("The outputs did not change at all: parameters() returns Values the network "
                    "does not use (copies), so updating them does not train the model."
                    if unchanged else "The network must compute with the updated parameters.")
            raise Failure(Outcome.WRONG, summary, f"{summary}.\n{hint}", loss_snippet(
                case, tail + ["print([model([Value(x) for x in row]) for row in xs])"]))

    tried, failure = run_property(ctx, check_id, loss_cases(shapes, (1.0, 0.5, 0.25, 0.125)),
                                  body)
    return verdict_from(check_id, tried, failure,
                        "one SGD step on the student's network matches torch.optim.SGD")


# ---- training on the moons -----------------------------------------------------------------------


def load_points(path: Path) -> tuple[list[list[float]], list[float]]:
    """Read `x1,x2,y` rows (labels -1/+1); the worker cannot read files, so they are sent."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None or [cell.strip() for cell in header] != ["x1", "x2", "y"]:
            raise ValueError(f"{path}: expected the header x1,x2,y")
        X, y = [], []
        for row in reader:
            if row:
                X.append([float(row[0]), float(row[1])])
                y.append(float(row[2]))
    if not X or any(label not in (-1.0, 1.0) for label in y):
        raise ValueError(f"{path}: expected data rows with labels -1 or 1")
    return X, y


def train_settings(ctx: CheckContext) -> dict[str, Any]:
    unknown = set(ctx.params) - set(TRAIN_DEFAULTS)
    if unknown:
        raise ValueError(f"nn.train.moons: unknown params {sorted(unknown)}; known: "
                         f"{sorted(TRAIN_DEFAULTS)}")
    return {**TRAIN_DEFAULTS, **ctx.params}


def initial_values(net: Net, seed: int) -> list[float]:
    """micrograd's initialisation, drawn by the grader: weights uniform(-1, 1), biases 0.

    Setting them through parameters() makes the training run independent of how the student's
    Neuron draws its weights (the same seed, the same starting network, for everyone).
    """
    rng = random.Random(seed)
    values: list[float] = []
    for nin, nout, _ in net.layers:
        for _ in range(nout):
            values += [rng.uniform(-1, 1) for _ in range(nin)] + [0.0]
    return values


def train_snippet(cfg: dict[str, Any]) -> str:
    """The loop nn.train.moons runs in the worker, as a script the student can run."""
    return "\n".join([
        "import csv, random",
        "from micrograd.engine import Value",
        "from micrograd.nn import MLP",
        "rows = list(csv.reader(open('examples/moons/moons.csv')))[1:]",
        "X = [[float(a), float(b)] for a, b, _ in rows]",
        "y = [float(c) for _, _, c in rows]",
        f"random.seed({cfg['seed']})",
        f"model = MLP(2, {list(cfg['hidden'])})",
        "params = model.parameters()",
        *([] if cfg["init"] != "grader" else [
            f"rng, sizes = random.Random({cfg['seed']}), {[2, *cfg['hidden']]}",
            "init = []  # weights uniform(-1, 1), biases 0, neuron by neuron",
            "for nin, nout in zip(sizes, sizes[1:]):",
            "    for _ in range(nout):",
            "        init += [rng.uniform(-1, 1) for _ in range(nin)] + [0.0]",
            "for p, v in zip(params, init):",
            "    p.data = v"]),
        f"steps, batch_size = {cfg['steps']}, {cfg['batch_size']}",
        "size = batch_size if 0 < batch_size < len(X) else len(X)",
        "for k in range(steps):",
        "    batch = [(k * size + i) % len(X) for i in range(size)]",
        "    scores = [model([Value(X[i][0]), Value(X[i][1])]) for i in batch]",
        "    margins = [(Value(1.0) + Value(-y[i]) * s).relu() for i, s in zip(batch, scores)]",
        "    data_loss = margins[0]",
        "    for m in margins[1:]:",
        "        data_loss = data_loss + m",
        "    reg = params[0] * params[0]",
        "    for p in params[1:]:",
        "        reg = reg + p * p",
        f"    loss = data_loss * Value(1.0 / size) + Value({cfg['alpha']!r}) * reg",
        "    model.zero_grad()",
        "    loss.backward()",
        f"    lr = {cfg['lr_start']!r} - ({cfg['lr_start']!r} - {cfg['lr_end']!r}) * k / steps",
        "    for p in params:",
        "        p.data -= lr * p.grad",
        "    print(k, loss.data)",
        "hits = sum(model([Value(a), Value(b)]).data * t > 0 for (a, b), t in zip(X, y))",
        "print('accuracy', hits / len(X))",
    ])


def loss_curve(losses: Sequence[float | str]) -> str:
    marks = list(range(0, len(losses), CURVE_EVERY))
    if losses and marks[-1] != len(losses) - 1:
        marks.append(len(losses) - 1)
    return ", ".join(f"{k}: {show(losses[k]) if not is_number(losses[k]) else f'{losses[k]:.4f}'}"
                     for k in marks)


def train_moons(ctx: CheckContext) -> Verdict:
    check_id = "nn.train.moons"
    cfg = train_settings(ctx)
    path = (REPO / cfg["data"]) if cfg["data"] else MOONS_CSV
    X, y = load_points(path)
    hidden = [int(n) for n in cfg["hidden"]]
    steps = int(cfg["steps"])
    net = Net("MLP", 2, tuple(hidden))
    if cfg["init"] not in ("grader", "student"):
        raise ValueError(f"nn.train.moons: init must be 'grader' or 'student', got {cfg['init']!r}")
    grader_init = cfg["init"] == "grader"
    program = Program()
    program.raw(["seed", int(cfg["seed"])])
    module = program.raw(net.step())
    doing = {0: "`random.seed(...)`", 1: f"`{net.text}`"}
    if grader_init:
        params = program.raw(["params", module], reads=1)
        doing[params] = "`model.parameters()`"
        doing[program.raw(["set_data", params, initial_values(net, int(cfg["seed"]))])] = \
            "setting the initial `p.data` for each p in `model.parameters()`"
    batch_size = int(cfg["batch_size"])
    program.raw(["train", module, X, y, steps, float(cfg["lr_start"]), float(cfg["lr_end"]),
                 float(cfg["alpha"]), batch_size], reads=steps + len(X))
    batches = f"batches of {batch_size}" if 0 < batch_size < len(X) else "all points per step"
    what = (f"training {net.text} for {steps} steps ({batches}) on {len(X)} moons points "
            f"(seed {cfg['seed']}, learning rate {cfg['lr_start']} falling towards "
            f"{cfg['lr_end']})")
    snippet = train_snippet(cfg)
    try:
        reply = ctx.session.run(program.steps, program.reads, timeout_s=float(cfg["timeout_s"]))
    except WorkerDied as died:
        summary = f"{what} did not finish: the worker {died.reason}"
        return Verdict(check_id, died.outcome, summary,
                       summary + ". The reference network takes a few seconds for this; look for "
                       "work repeated inside the loop (e.g. a topological sort per node).",
                       snippet, examples=1)
    if not reply.ok:
        assert reply.error is not None
        failure = failure_from_error(reply, doing.get(reply.error.step, what)
                                     if reply.error.step is not None else what, snippet)
        return verdict_from(check_id, 1, failure, "")
    values = list(reply.values)
    count = values.pop(0) if grader_init else float(net.size)
    losses, scores = values[:steps], values[steps:]
    # The sign of the score is the class; a score of exactly 0 decides nothing and is a miss (a
    # ReLU on the output layer gives 0 for a whole class, which must not count as "negative").
    hits = sum(1 for s, label in zip(scores, y, strict=True)
               if is_number(s) and float(s) * label > 0)
    accuracy = hits / len(X)
    curve = f"Loss by step: {loss_curve(losses)}."
    result = f"training accuracy {accuracy:.0%} ({hits}/{len(X)})"
    threshold = float(cfg["threshold"])
    if accuracy >= threshold:
        return Verdict(check_id, Outcome.PASSED,
                       f"{result} after {steps} steps of {net.text} (needs {threshold:.0%})",
                       f"{what}: {result}, at least {threshold:.0%} needed.\n{curve}", examples=1)
    lines = [f"{what}: {result}; at least {threshold:.0%} is needed.", curve]
    if count != float(net.size):
        lines.append(f"{count_problem(net, int(count) if is_number(count) else -1)}: the "
                     "initial values could be set only on the parameters it returned, and only "
                     "those are trained.")
    numbers = [float(v) for v in losses if is_number(v)]
    if len(numbers) < len(losses):
        lines.append("The loss became nan or infinite: a gradient or an update blew up.")
    elif len(numbers) > 1 and numbers[-1] >= numbers[0]:
        lines.append("The loss did not go down. Check that model.zero_grad() resets every "
                     "gradient before each backward(), and that the update uses p.grad.")
    finals = [float(v) for v in scores if is_number(v)]
    if finals and min(finals) >= 0:
        lines.append("No point got a negative score, so the class -1 is never predicted (a score "
                     "of exactly 0 decides nothing). If your output layer applies ReLU, negative "
                     "scores come out as 0 (with gradient 0): the output layer must be linear.")
    elif finals and all(v == finals[0] for v in finals):
        lines.append(f"The trained model gives every point the same score ({finals[0]!r}), so it "
                     "cannot separate the two classes.")
    summary = f"after training, {result} (needs {threshold:.0%})"
    return Verdict(check_id, Outcome.WRONG, summary, "\n".join(lines), snippet, examples=1)


# ---- the catalogue entries -----------------------------------------------------------------------


def with_root_cause(run: Callable[[CheckContext], Verdict], needs: tuple[str, ...],
                    check_id: str) -> Callable[[CheckContext], Verdict]:
    """Start a failure's feedback with "Fix `engine.mul.backward` first" when an engine check
    this one relies on failed in the same grade: a network is only as right as its engine.

    (Failed `nn.*` needs are named by the pipeline's root-cause notes.)
    """

    def wrapped(ctx: CheckContext) -> Verdict:
        verdict = run(ctx)
        failing = [n for n in needs if n.startswith("engine.") and ctx.passed(n) is False]
        if verdict.passed or not failing:
            return verdict
        names = " and ".join(f"`{n}`" for n in failing) if len(failing) < 3 else \
            ", ".join(f"`{n}`" for n in failing[:-1]) + f" and `{failing[-1]}`"
        lead = (f"Fix {names} first: this network check relies on "
                f"{'it' if len(failing) == 1 else 'them'}, and "
                f"{'it' if len(failing) == 1 else 'they'} failed in this grade.")
        return replace(verdict, feedback=lead + "\n\n" + (verdict.feedback or verdict.summary))

    return wrapped


def network_checks() -> list[CheckDef]:
    entries: list[tuple[str, str, Callable[[CheckContext], Verdict], tuple[str, ...]]] = [
        ("nn.neuron.parameters", "Neuron.parameters(): its weights then its bias",
         neuron_parameters, BACKWARD_NEEDS),
        ("nn.neuron.forward", "Neuron: forward pass relu(w·x + b) (or linear)",
         neuron_forward, FORWARD_NEEDS + ("nn.neuron.parameters",)),
        ("nn.layer.forward", "Layer: forward pass, a Value for one neuron, a list otherwise",
         layer_forward, FORWARD_NEEDS + ("nn.neuron.parameters", "nn.neuron.forward")),
        ("nn.mlp.parameters", "MLP.parameters(): every weight and bias, in micrograd's order",
         mlp_parameters, BACKWARD_NEEDS + ("nn.neuron.parameters",)),
        ("nn.mlp.forward", "MLP: forward pass (ReLU hidden layers, linear output layer)",
         mlp_forward, FORWARD_NEEDS + ("nn.layer.forward", "nn.mlp.parameters")),
        ("nn.mlp.backward", "MLP: every parameter's gradient for hinge and MSE losses",
         mlp_backward, BACKWARD_NEEDS + ("nn.mlp.forward", "nn.mlp.parameters")),
        ("nn.zero_grad", "zero_grad() resets every parameter's gradient", zero_grad,
         BACKWARD_NEEDS),
        ("nn.sgd_step", "one SGD step matches torch.optim.SGD", sgd_step,
         BACKWARD_NEEDS + ("nn.mlp.backward",)),
        ("nn.train.moons", "training on the two moons reaches 95% accuracy", train_moons,
         BACKWARD_NEEDS + ("nn.mlp.backward", "nn.zero_grad", "nn.sgd_step")),
    ]
    return [CheckDef(cid, title, GROUP, with_root_cause(run, needs, cid), needs, wants_nn=True,
                     params=tuple(TRAIN_DEFAULTS) if cid == "nn.train.moons" else ())
            for cid, title, run, needs in entries]
