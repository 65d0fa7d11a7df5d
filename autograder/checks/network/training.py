"""nn.train.moons: train the student's MLP on the shipped moons data."""

from __future__ import annotations

import csv
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from autograder.checks.base import (
    CheckContext,
    failure_from_error,
    verdict_from,
)
from autograder.checks.network.common import (
    CURVE_EVERY,
    MOONS_CSV,
    REPO,
    TRAIN_DEFAULTS,
    Net,
    count_problem,
)
from autograder.compare import is_number, show
from autograder.ir import Program
from autograder.model import Outcome, Verdict
from autograder.session import WorkerDied

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
    return Verdict(check_id, Outcome.WRONG, summary, "\n".join(lines), snippet, examples=1,
                   losses=history)
