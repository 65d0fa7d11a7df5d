"""nn.mlp.backward, nn.zero_grad, nn.sgd_step: gradients through a loss, and what uses them."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from autograder.checks.base import (
    CheckContext,
    Failure,
    run_property,
    verdict_from,
)
from autograder.checks.network.mistakes import grads_mismatch, outputs_match, variants
from autograder.checks.network.nets import Net, parameters_check
from autograder.checks.network.program import NetProgram, execute
from autograder.checks.network.snippets import loss_lines, setup_lines, show_list, wrap_list
from autograder.checks.network.strategies import grid, rows
from autograder.compare import GRAPH_RTOL, close, is_number, show
from autograder.model import Outcome, Verdict

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
    loss = prog.loss(case.loss, [prog.forward(x) for x in case.batch], case.targets)
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
            f"({ctx.oracle.label}), got {show(grads[first])}"])
        raise Failure(Outcome.WRONG, summary, "\n".join(lines), repro)

    tried, failure = run_property(ctx, check_id, loss_cases(), body)
    return verdict_from(check_id, tried, failure,
                        f"every parameter's gradient matches {ctx.oracle.label} for hinge and MSE "
                        "losses over small batches")


SHOWN = 6  # gradients a zero_grad repro prints

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
                                                    f"{show_list(values[:SHOWN], SHOWN)}",
                                       SHOWN if len(values) > SHOWN else None))
        prog, loss = loss_program(case)
        prog.backward(loss)
        prog.read_params("grad")
        prog.zero_grad()
        again = prog.loss(case.loss, [prog.forward(x) for x in case.batch], case.targets)
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


def zero_snippet(net: Net, preset: Sequence[float], comment: str,
                 first: int | None = None) -> str:
    """Set the gradients, call zero_grad(), print them (with `first`, only the first few)."""
    grads = "[p.grad for p in model.parameters()]" + ("" if first is None else f"[:{first}]")
    return "\n".join([f"from micrograd.nn import {net.cls}", f"model = {net.text}",
                      *wrap_list("grads", preset[:net.size]),
                      "for p, g in zip(model.parameters(), grads):", "    p.grad = g",
                      "model.zero_grad()",
                      *([] if first is None else [f"# the first {first} gradients"]),
                      f"print({grads})  # {comment}"])


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
                       f"{run.stepped[i]!r} ({ctx.oracle.label})")
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
                        f"one SGD step on the student's network matches {ctx.oracle.label}")
