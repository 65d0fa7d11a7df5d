"""Train a 2-16-16-1 MLP on the two moons, exactly as micrograd's demo notebook does.

`train` is engine-agnostic: it takes the `nn` module (anything with an `MLP(nin, nouts)` whose
parameters are `Value`s) so the same loop trains the reference engine or a student's package and
their loss curves can be compared step by step. Running this file trains the reference engine:

    python examples/moons/train.py [--out DIR] [--steps N]
    python -m examples.moons.train [--out DIR] [--steps N]      # from the repository root
"""

from __future__ import annotations

import argparse
import gc
import importlib
import random
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

if __package__:
    from .data import load_moons
    from .plot import PLOT_NAME, plot_decision_boundary
else:  # run as a script: this file's folder is sys.path[0]
    from data import load_moons
    from plot import PLOT_NAME, plot_decision_boundary

SEED = 1337
STEPS = 100
HIDDEN = [16, 16, 1]
ALPHA = 1e-4  # L2 regularisation strength

StepCallback = Callable[[int, float, float], None]


@dataclass
class TrainResult:
    """Per-step total loss and training accuracy (a fraction in [0, 1]), and the trained model.

    Entry `k` is measured on the forward pass of step `k`, before that step's update, which is
    what the upstream notebook prints.
    """

    losses: list[float]
    accuracies: list[float]
    model: Any


def build_model(nn: ModuleType, seed: int = SEED) -> Any:
    """Seed the global `random` (which `Neuron` draws its weights from) and build the MLP."""
    random.seed(seed)
    return nn.MLP(2, HIDDEN)


def svm_loss(model: Any, X: Sequence[Sequence[float]], y: Sequence[float]) -> tuple[Any, float]:
    """Full-batch max-margin loss plus L2 penalty, and the accuracy of the same forward pass.

    Inputs are wrapped in the engine's own `Value` type (taken from the model's parameters, so
    no engine is named here), as the notebook does.
    """
    value = type(model.parameters()[0])
    scores = [model([value(xi) for xi in row]) for row in X]
    losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores, strict=True)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = ALPHA * sum(p * p for p in model.parameters())
    total_loss = data_loss + reg_loss
    hits = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(y, scores, strict=True)]
    return total_loss, sum(hits) / len(hits)


def train(
    nn: ModuleType,
    X: Sequence[Sequence[float]],
    y: Sequence[float],
    steps: int = STEPS,
    seed: int = SEED,
    on_step: StepCallback | None = None,
) -> TrainResult:
    """Full-batch gradient descent with the notebook's decaying learning rate.

    The rate falls linearly from 1.0 towards 0.1 over `steps`; with the default 100 steps this is
    the notebook's `1.0 - 0.9*k/100`. `on_step(k, loss, accuracy)` is called after each update.
    """
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    if len(X) != len(y) or not X:
        raise ValueError(f"need as many labels as samples (and at least one): {len(X)} vs {len(y)}")
    model = build_model(nn, seed)
    losses: list[float] = []
    accuracies: list[float] = []
    with _one_collection_per_step() as step_done:
        for k in range(steps):
            loss, accuracy = _descend(model, X, y, learning_rate=1.0 - 0.9 * k / steps)
            step_done()
            losses.append(loss)
            accuracies.append(accuracy)
            if on_step is not None:
                on_step(k, loss, accuracy)
    return TrainResult(losses=losses, accuracies=accuracies, model=model)


def _descend(
    model: Any, X: Sequence[Sequence[float]], y: Sequence[float], learning_rate: float
) -> tuple[float, float]:
    """One step: forward, zero_grad, backward, update; returns floats so the graph dies here."""
    total_loss, accuracy = svm_loss(model, X, y)
    model.zero_grad()
    total_loss.backward()
    for p in model.parameters():
        p.data -= learning_rate * p.grad
    return float(total_loss.data), float(accuracy)


@contextmanager
def _one_collection_per_step() -> Iterator[Callable[[], None]]:
    """Pause automatic garbage collection; the caller collects once after each step instead.

    A step builds a graph of ~10^5 `Value`s, and micrograd graphs are cyclic (each node's
    `_backward` closure refers back to the node), so only the cycle collector frees them. Left
    to its thresholds it runs hundreds of times per step, each pass re-walking the half-built
    graph; that made training about six times slower than one young-generation collection per
    step, which frees the whole finished graph at once.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield lambda: gc.collect(1)
    finally:
        if was_enabled:
            gc.enable()


def _reference_nn() -> ModuleType:
    """Import the repository's reference `micrograd.nn`, refusing any other `micrograd`.

    The path is added here, not at import time, so importing this module never changes which
    `micrograd` the importing process sees.
    """
    root = Path(__file__).resolve().parents[2] / "reference"
    package = root / "micrograd"
    if not (package / "nn.py").is_file():
        raise SystemExit(f"reference engine not found: expected {package / 'nn.py'}")
    sys.path.insert(0, str(root))
    nn = importlib.import_module("micrograd.nn")
    loaded_from = Path(nn.__file__).resolve().parent
    if loaded_from != package.resolve():
        raise SystemExit(f"expected the reference micrograd from {package}, imported {loaded_from}")
    return nn


def main(argv: Sequence[str] | None = None) -> Path:
    """Train the reference engine with a progress bar, report the result, save the plot."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    parser = argparse.ArgumentParser(description="Train an MLP on the two moons (reference engine)")
    parser.add_argument(
        "--out", type=Path, default=Path("out"), help="folder for the plot (default: out/)"
    )
    parser.add_argument("--steps", type=int, default=STEPS, help="gradient steps (default 100)")
    args = parser.parse_args(argv)
    if args.steps < 1:
        parser.error(f"--steps must be at least 1, got {args.steps}")

    console = Console()
    nn = _reference_nn()
    X, y = load_moons()
    columns = (
        TextColumn("[bold]step"),
        MofNCompleteColumn(),
        BarColumn(),
        TextColumn("loss {task.fields[loss]:.4f}"),
        TextColumn("accuracy {task.fields[accuracy]:6.1%}"),
    )
    started = time.perf_counter()
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("train", total=args.steps, loss=float("nan"), accuracy=0.0)

        def on_step(k: int, loss: float, accuracy: float) -> None:
            progress.update(task, completed=k + 1, loss=loss, accuracy=accuracy)

        result = train(nn, X, y, steps=args.steps, on_step=on_step)
    elapsed = time.perf_counter() - started
    console.print(
        f"final loss {result.losses[-1]:.6f}, accuracy {result.accuracies[-1]:.0%} "
        f"after {args.steps} steps ({elapsed:.1f} s)"
    )
    args.out.mkdir(parents=True, exist_ok=True)
    path = plot_decision_boundary(result.model, X, y, args.out / PLOT_NAME)
    console.print(f"decision boundary saved to {path}")
    return path


if __name__ == "__main__":
    main()
