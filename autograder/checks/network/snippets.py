"""The "Reproduce with:" code of the network checks, written from the steps and losses that ran.

Each snippet builds the same network with the same values and the same loss as the worker did:
the loss terms are printed from their one definition in `autograder.worker.steps`, and the
training snippet from the `Train` step that was sent. A student who has only the installed
package can run every snippet next to their `micrograd/`.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any

from autograder.checks.network.nets import Net
from autograder.compare import is_number, show
from autograder.feedback import substitute
from autograder.worker import steps as S


def inputs_text(x: Sequence[float]) -> str:
    return "[" + ", ".join(f"Value({v!r})" for v in x) + "]"


def show_list(values: Sequence[float | str], limit: int = 8) -> str:
    shown = ", ".join(show(v) for v in values[:limit])
    more = f", ... ({len(values)} in all)" if len(values) > limit else ""
    return f"[{shown}{more}]"


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


def term_text(expr: str, names: dict[str, str]) -> str:
    """A loss term of `autograder.worker.steps` with its names replaced by snippet code."""
    return substitute(expr, names)


def fold_lines(name: str, items: str, indent: str = "") -> list[str]:
    """`name = items[0] + items[1] + ...`, with `+` only, as `steps.total` adds."""
    add = term_text(S.ADD, {"a": name, "b": "item"})
    return [f"{indent}{name} = {items}[0]", f"{indent}for item in {items}[1:]:",
            f"{indent}    {name} = {add}"]


def loss_lines(net: Net, batch: Sequence[Sequence[float]], loss: str,
               targets: Sequence[Any]) -> list[str]:
    """The batch loss of `steps.loss`, for the model the setup lines built."""
    lines = wrap_list("xs", batch)
    if loss == "hinge":
        hinge = term_text(S.HINGE_TERM, {"a": "Value(1.0)", "b": "Value(-y)", "c": "s"})
        lines += wrap_list("ys", targets)
        lines += ["scores = [model([Value(x) for x in row]) for row in xs]",
                  f"terms = [{hinge} for y, s in zip(ys, scores)]"]
    else:
        square = term_text(S.SQUARE_TERM, {"a": "o", "b": "Value(-t)"})
        lines += wrap_list("targets", targets)
        lines += ["outs = [model([Value(x) for x in row]) for row in xs]",
                  "outs = [o if isinstance(o, list) else [o] for o in outs]",
                  "terms = []",
                  "for out, target in zip(outs, targets):",
                  f"    squares = [{square} for o, t in zip(out, target)]",
                  *fold_lines("term", "squares", "    "),
                  "    terms.append(term)"]
    mean = term_text(S.MUL, {"a": "loss", "b": f"Value(1.0 / {len(batch)})"})
    return lines + fold_lines("loss", "terms") + [f"loss = {mean}"]


def count_snippet(net: Net, count: float | str, distinct: float | str) -> str:
    got = " ".join(str(int(v)) if is_number(v) else show(v) for v in (count, distinct))
    return "\n".join([f"from micrograd.nn import {net.cls}", f"model = {net.text}",
                      "params = model.parameters()",
                      "print(len(params), len(set(map(id, params))))  # how many, how many "
                      f"different: expected {net.size} {net.size}, got {got}"])


def train_snippet(steps: Sequence[Any], data: str | None) -> str:
    """The training program that ran, as a script: `random.seed`, the model, the grader's initial
    values (drawn as `Net.initial_values` draws them), and the loop of the `Train` step.

    `data` is the CSV the points came from (None: the moons that ship with mgrade).
    """
    seed = next(s for s in steps if isinstance(s, S.Seed))
    module = next(s for s in steps if isinstance(s, S.Module))
    train = next(s for s in steps if isinstance(s, S.Train))
    net = Net(module.cls, module.args[0], tuple(module.args[1]))
    hinge = term_text(S.HINGE_TERM, {"a": "Value(1.0)", "b": "Value(-y[i])", "c": "s"})
    reg = term_text(S.MUL, {"a": "p", "b": "p"})
    data_loss = term_text(S.MUL, {"a": "data_loss", "b": "Value(1.0 / size)"})
    lines = [
        "import random",
        "from autograder.datasets import load_moons",
        "from micrograd.engine import Value",
        f"from micrograd.nn import {net.cls}",
        f"X, y = load_moons({'' if data is None else repr(data)})",
        f"random.seed({seed.n})",
        f"model = {net.text}",
        "params = model.parameters()",
    ]
    if any(isinstance(s, S.SetData) for s in steps):
        sizes = [net.nin, *net.nouts]
        lines += [f"rng, sizes = random.Random({seed.n}), {sizes}",
                  "init = []  # weights uniform(-1, 1), biases 0, neuron by neuron",
                  "for nin, nout in zip(sizes, sizes[1:]):",
                  "    for _ in range(nout):",
                  "        init += [rng.uniform(-1, 1) for _ in range(nin)] + [0.0]",
                  "for p, v in zip(params, init):",
                  "    p.data = v"]
    lines += [
        f"steps, batch_size = {train.steps}, {train.batch_size}",
        "size = batch_size if 0 < batch_size < len(X) else len(X)",
        "for k in range(steps):",
        "    batch = [(k * size + i) % len(X) for i in range(size)]",
        "    scores = [model([Value(x) for x in X[i]]) for i in batch]",
        f"    margins = [{hinge} for i, s in zip(batch, scores)]",
        *fold_lines("data_loss", "margins", "    "),
        f"    squares = [{reg} for p in params]",
        *fold_lines("reg", "squares", "    "),
        f"    loss = {term_text(S.ADD, {'a': data_loss, 'b': f'Value({train.alpha!r}) * reg'})}",
        "    model.zero_grad()",
        "    loss.backward()",
        f"    lr = {train.lr_start!r} - ({train.lr_start!r} - {train.lr_end!r}) * k / steps",
        "    for p in params:",
        "        p.data -= lr * p.grad",
        "    print(k, loss.data)",
        "hits = sum(model([Value(x) for x in row]).data * t > 0 for row, t in zip(X, y))",
        "print('accuracy', hits / len(X))",
    ]
    return "\n".join(lines)
