"""One worker program over one network, and running it: the replies every network check reads.

`NetProgram` adds the network steps of `autograder.worker.steps` to an `autograder.ir.Program`
and remembers what each step does, so an error can say "while building the loss". `execute`
runs it and turns a wrong parameter count, a repeated parameter or a raised error into a Failure.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from autograder.checks.base import CheckContext, Failure, failure_from_error
from autograder.checks.network.nets import Net, count_problem
from autograder.checks.network.snippets import count_snippet, inputs_text
from autograder.compare import is_number, show
from autograder.ir import Program
from autograder.model import Outcome
from autograder.worker import steps as S

LOSS_DOING = {S.HINGE_TERM: "building the loss `(1 + -y * score).relu()`",
              S.SQUARE_TERM: "building the loss `(out - t) * (out - t)`",
              S.ADD: "adding up the loss terms", S.MUL: "averaging the loss terms"}


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
        self.module = self._add(net.step(), f"`{net.text}`")
        self.params = self._add(S.Params(self.module), "`model.parameters()`")
        self._add(S.Distinct(self.params))
        if params is not None:
            self._add(S.SetData(self.params, list(params)),
                      "setting `p.data` for each p in `model.parameters()`")

    def _add(self, step: Any, doing: str = "", reads: int | None = None) -> int:
        slot = self.program.add(step, reads)
        if doing:
            self.doing[slot] = doing
        return slot

    def apply(self, expr: str, refs: dict[str, int], doing: str = "") -> int:
        return self._add(S.Apply(expr, dict(refs)), doing or LOSS_DOING.get(expr, ""))

    def forward(self, x: Sequence[float]) -> list[int]:
        """`model([Value(x0), ...])`; the slots of its output Values (one, or nout of them)."""
        inputs = [self.program.value(v) for v in x]
        call = f"`model({inputs_text(x)})` with model = {self.net.text}"
        out = self._add(S.Call(self.module, inputs), call)
        if self.net.nout == 1:
            return [self._add(S.ExpectValue(out, "the call"), call)]
        items = self._add(S.ExpectList(out, self.net.nout, "the call"), call)
        return [self._add(S.Item(items, k), call) for k in range(self.net.nout)]

    def loss(self, kind: str, outputs: list[list[int]], targets: Sequence[Any]) -> int:
        """The loss `autograder.worker.steps.loss` defines, built from the outputs' slots."""
        return S.loss(kind, outputs, targets, self.program.value, self.apply)

    def total(self, terms: list[int], doing: str) -> int:
        return S.total(terms, lambda expr, refs: self.apply(expr, refs, doing))

    def backward(self, slot: int) -> None:
        self._add(S.Backward(slot), "`loss.backward()`")

    def read(self, slot: int) -> None:
        self.program.read(slot, "data")

    def read_params(self, attr: str) -> None:
        self.read_alls += 1
        self._add(S.ReadAll(self.params, attr), reads=self.net.size)

    def set_grads(self, grads: Sequence[float]) -> None:
        self._add(S.SetGrad(self.params, list(grads)),
                  "setting `p.grad` for each p in `model.parameters()`")

    def zero_grad(self) -> None:
        self._add(S.ZeroGrad(self.module), "`model.zero_grad()`")

    def sgd(self, lr: float) -> None:
        self._add(S.Sgd(self.params, lr), f"the SGD step `p.data -= {lr!r} * p.grad`")


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
                         f"parameters(), so it cannot compare {net.text} with "
                         f"{ctx.oracle.label} until "
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

