"""nn.train.moons: train the student's MLP on the moons that ship with mgrade.

What the run does, step by step, is the `Train` step of `autograder.worker.steps`; its settings
come from TRAIN_DEFAULTS and the manifest's [checks."nn.train.moons".params].
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from autograder.checks.base import (
    CheckContext,
    failure_from_error,
    verdict_from,
)
from autograder.checks.network.nets import Net, count_problem
from autograder.checks.network.snippets import train_snippet
from autograder.compare import is_number, show
from autograder.datasets import load_moons
from autograder.ir import Program
from autograder.model import Outcome, Verdict
from autograder.session import WorkerDied
from autograder.worker import steps as S

# What nn.train.moons does unless the manifest's [checks."nn.train.moons".params] says otherwise.
TRAIN_DEFAULTS: dict[str, Any] = {
    "hidden": [24, 1],  # MLP(2, hidden)
    "steps": 300,
    "batch_size": 2,  # points per step, taken in order and wrapping around; 0: all of them
    "seed": 1337,
    "init": "grader",  # "grader": Net.initial_values; "student": the Neuron's own draws
    "lr_start": 1.0,  # the learning rate falls linearly from lr_start towards lr_end
    "lr_end": 0.1,
    "alpha": 1e-4,  # L2 regularisation strength
    "threshold": 0.95,  # training accuracy needed to pass
    "timeout_s": 120.0,  # wall clock for the whole training run
    "data": "",  # a CSV (x1,x2,y); empty: the moons that ship with mgrade (load_moons())
}
CURVE_EVERY = 10  # the feedback lists the loss at every 10th step


def train_settings(ctx: CheckContext) -> dict[str, Any]:
    unknown = set(ctx.params) - set(TRAIN_DEFAULTS)
    if unknown:
        raise ValueError(f"nn.train.moons: unknown params {sorted(unknown)}; known: "
                         f"{sorted(TRAIN_DEFAULTS)}")
    cfg = {**TRAIN_DEFAULTS, **ctx.params}
    if cfg["init"] not in ("grader", "student"):
        raise ValueError(f"nn.train.moons: init must be 'grader' or 'student', got {cfg['init']!r}")
    return cfg


def loss_curve(losses: Sequence[float | str]) -> str:
    marks = list(range(0, len(losses), CURVE_EVERY))
    if losses and marks[-1] != len(losses) - 1:
        marks.append(len(losses) - 1)
    return ", ".join(f"{k}: {show(losses[k]) if not is_number(losses[k]) else f'{losses[k]:.4f}'}"
                     for k in marks)


def loss_did_not_fall(losses: Sequence[float]) -> bool:
    """The evidence for "the loss did not go down": the mean of the last few steps' losses is
    not below the mean of the first few (a batch loss jumps about; one step proves nothing)."""
    if len(losses) < 2:
        return False
    window = max(1, min(CURVE_EVERY, len(losses) // 4))
    first, last = losses[:window], losses[-window:]
    return sum(last) / len(last) >= sum(first) / len(first)


def stalled_hint(ctx: CheckContext) -> str:
    """Why the loss did not go down, as far as this grade's other verdicts show it."""
    if ctx.passed("nn.zero_grad") is False:
        return ("The loss did not go down: model.zero_grad() does not reset every gradient "
                "(see nn.zero_grad), so each step adds its gradients to the previous steps'.")
    if ctx.passed("nn.sgd_step") is False:
        return "The loss did not go down: the SGD step is wrong (see nn.sgd_step)."
    untested = [text for check_id, text in (
        ("nn.zero_grad", "model.zero_grad() resets every gradient before each backward()"),
        ("nn.sgd_step", "the update uses p.grad")) if ctx.passed(check_id) is None]
    return "The loss did not go down." + (f" Check that {', and that '.join(untested)}."
                                          if untested else "")


def train_moons(ctx: CheckContext) -> Verdict:
    check_id = "nn.train.moons"
    cfg = train_settings(ctx)
    data = str(cfg["data"]) or None
    X, y = load_moons(data)
    hidden = [int(n) for n in cfg["hidden"]]
    steps = int(cfg["steps"])
    net = Net("MLP", 2, tuple(hidden))
    grader_init = cfg["init"] == "grader"
    program = Program()
    program.add(S.Seed(int(cfg["seed"])))
    module = program.add(net.step())
    doing = {0: "`random.seed(...)`", 1: f"`{net.text}`"}
    if grader_init:
        params = program.add(S.Params(module))
        doing[params] = "`model.parameters()`"
        doing[program.add(S.SetData(params, net.initial_values(int(cfg["seed"]))))] = \
            "setting the initial `p.data` for each p in `model.parameters()`"
    batch_size = int(cfg["batch_size"])
    train = S.Train(module, X, y, steps, float(cfg["lr_start"]), float(cfg["lr_end"]),
                    float(cfg["alpha"]), batch_size)
    program.add(train, reads=S.train_reads(train))
    batches = f"batches of {batch_size}" if 0 < batch_size < len(X) else "all points per step"
    what = (f"training {net.text} for {steps} steps ({batches}) on {len(X)} moons points "
            f"(seed {cfg['seed']}, learning rate {cfg['lr_start']} falling towards "
            f"{cfg['lr_end']})")
    snippet = train_snippet(program.steps, data)
    try:
        reply = ctx.session.run(program.steps, program.reads, timeout_s=float(cfg["timeout_s"]))
    except WorkerDied as died:
        summary = f"{what} did not finish: the worker {died.reason}"
        budget = ("The reference engine needs about a second for this run. " if
                  all(cfg[k] == TRAIN_DEFAULTS[k] for k in ("hidden", "steps", "batch_size"))
                  else "")
        return Verdict(check_id, died.outcome, summary,
                       f"{summary}. {budget}Look for work repeated inside the training loop "
                       "(e.g. a topological sort per node).", snippet, examples=1)
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
    history = tuple(float(v) if is_number(v) else None for v in losses)
    if accuracy >= threshold:
        return Verdict(check_id, Outcome.PASSED,
                       f"{result} after {steps} steps of {net.text} (needs {threshold:.0%})",
                       f"{what}: {result}, at least {threshold:.0%} needed.\n{curve}", examples=1,
                       losses=history)
    lines = [f"{what}: {result}; at least {threshold:.0%} is needed.", curve]
    if count != float(net.size):
        lines.append(f"{count_problem(net, int(count) if is_number(count) else -1)}: the "
                     "initial values could be set only on the parameters it returned, and only "
                     "those are trained.")
    numbers = [float(v) for v in losses if is_number(v)]
    if len(numbers) < len(losses):
        lines.append("The loss became nan or infinite: a gradient or an update blew up.")
    elif loss_did_not_fall(numbers):
        lines.append(stalled_hint(ctx))
    finals = [float(v) for v in scores if is_number(v)]
    if finals and min(finals) >= 0:
        lines.append("No point got a negative score, so the class -1 is never predicted (a score "
                     "of exactly 0 decides nothing)." + (
                         "" if ctx.passed("nn.mlp.forward") is True else
                         " If your output layer applies ReLU, negative scores come out as 0 (with "
                         "gradient 0): the output layer must be linear."))
    elif finals and all(v == finals[0] for v in finals):
        lines.append(f"The trained model gives every point the same score ({finals[0]!r}), so it "
                     "cannot separate the two classes.")
    summary = f"after training, {result} (needs {threshold:.0%})"
    return Verdict(check_id, Outcome.WRONG, summary, "\n".join(lines), snippet, examples=1,
                   losses=history)
