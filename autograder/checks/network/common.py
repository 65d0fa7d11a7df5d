"""Shared pieces of the network checks: the networks under test, their programs, snippets."""

from __future__ import annotations

import random
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from autograder.checks.base import (
    CheckContext,
    Failure,
    failure_from_error,
)
from autograder.compare import GRAPH_RTOL, close, is_number, show
from autograder.ir import Program
from autograder.model import Outcome

GROUP = "nn"
REPO = Path(__file__).resolve().parents[3]
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
        # The values are set through parameters(): with the wrong count nothing is tested, and
        # when the parameters check failed too, this check is blocked by it (0 points either way).
        blocked = blocked_by is not None and ctx.passed(blocked_by) is False
        if blocked_by and not blocked:
            feedback += (f"\nThis check sets the network's weights and biases through "
                         f"parameters(), so it cannot compare {net.text} with PyTorch until "
                         f"`{blocked_by}` passes.")
        raise Failure(Outcome.BLOCKED if blocked else Outcome.WRONG, summary, feedback,
                      count_snippet(net, count, distinct))
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

def parameters_check(net: Net) -> str:
    """The check that vouches for `net.parameters()`, which every other check relies on."""
    return "nn.mlp.parameters" if net.cls == "MLP" else "nn.neuron.parameters"
