"""`engine.<op>.forward` and `engine.<op>.backward`, generated from the op table.

Each op check builds the smallest graph (leaves -> op -> output), so a bug in the student's graph
traversal shows up in `engine.backward.*`, not here: the backward check seeds the output's grad
and calls every node's `_backward` with the grader's own traversal. Backward examples cover a leaf
that already holds gradient (catches `=` written for `+=`), an upstream gradient other than 1
(catches a forgotten chain rule), and `x op x` for binary ops.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from autograder import domains
from autograder.checks.base import (
    CheckContext,
    CheckDef,
    Failure,
    failure_from_error,
    run_property,
    verdict_from,
)
from autograder.checks.graphdata import op_graph
from autograder.compare import BACKWARD_RTOL, FORWARD_RTOL, close, is_number, relative_error, show
from autograder.feedback import (
    IMPORT_LINE,
    backward_snippet,
    call_example,
    expression,
    forward_snippet,
)
from autograder.ir import Program
from autograder.model import Outcome, Verdict
from autograder.ops import OPS, Op

# Every op check runs in one worker (a fresh one after a crash or a hang): a worker per op cost
# more than the checks themselves.
GROUP = "ops"
FD_RTOL = 1e-4  # how close a central difference must be to count as "agrees with your forward"


@dataclass(frozen=True)
class Case:
    """One backward example: inputs, gradients the leaves already hold, upstream grad, aliasing."""

    inputs: dict[str, float]
    grads: dict[str, float]
    upstream: float
    aliased: bool

    def leaf_value(self, op: Op, name: str) -> float:
        return self.inputs["b"] if self.aliased else self.inputs[name]


def _build(program: Program, op: Op, inputs: dict[str, Any], grads: dict[str, float] | None = None,
           aliased: bool = False) -> tuple[int, dict[str, int]]:
    refs: dict[str, int] = {}
    for name in op.operands:
        if aliased and name == "b":
            refs["b"] = refs["a"]
            continue
        value = inputs["b"] if aliased else inputs[name]
        grad = (grads or {}).get(name) or None
        refs[name] = program.value(value, grad)
    for name in op.params:
        refs[name] = program.num(inputs[name])
    return program.apply(op.expr, refs), refs


def _missing(ctx: CheckContext, op: Op, check_id: str) -> Verdict | None:
    """A method that does not exist at all gets a plain message, not a TypeError."""
    init = ctx.session.ensure_started()
    if init.methods.get(op.method) == "missing":
        sample = {n: 2.0 for n in op.operands} | {n: 3 for n in op.params}
        call = call_example(op, sample)
        error = "TypeError" if op.method.startswith("__") else "AttributeError"
        summary = f"`{call}` needs `Value.{op.method}`, which is not defined"
        return Verdict(check_id, Outcome.NOT_IMPLEMENTED, summary,
                       f"{summary}, so Python raises {error}. Add `def {op.method}(self, ...)` to "
                       f"your Value class.",
                       repro=f"{IMPORT_LINE}\nprint({call})  # raises {error} until "
                             f"Value.{op.method} exists")
    return None


# ---- forward -----------------------------------------------------------------------------------


def forward_check(op: Op) -> CheckDef:
    check_id = f"engine.{op.name}.forward"

    def run(ctx: CheckContext) -> Verdict:
        missing = _missing(ctx, op, check_id)
        if missing:
            return missing

        def body(inputs: dict[str, Any]) -> None:
            program = Program()
            out, refs = _build(program, op, inputs)
            program.read(out, "data")
            for name in op.operands:  # an op must leave its inputs as they were
                program.read(refs[name], "data")
                program.read(refs[name], "grad")
            reply = ctx.session.run(program.steps, program.reads)
            if not reply.ok:
                snippet = forward_snippet(op, inputs, 0.0, "", "").rsplit("\n", 1)[0]
                raise failure_from_error(reply, f"`{call_example(op, inputs)}`", snippet)
            (got, *after), (want, *before) = reply.values, ctx.oracle.run(program)
            _inputs_unchanged(op, inputs, after, before)
            if not close(got, want, FORWARD_RTOL, op.unit):
                summary = f"`{call_example(op, inputs)}` gave {show(got)}, expected {want!r}"
                detail = relative_error(got, want)
                raise Failure(Outcome.WRONG, summary,
                              f"{summary}{f' ({detail})' if detail else ''}.",
                              forward_snippet(op, inputs, want, show(got), ctx.oracle.label))

        tried, failure = run_property(ctx, check_id, op.domain(), body, explicit=op.pinned)
        return verdict_from(check_id, tried, failure,
                            f"`{op.expr}` matches {ctx.oracle.label} on {tried} generated inputs")

    return CheckDef(check_id, f"{op.name}: forward value", GROUP, run)


def _inputs_unchanged(op: Op, inputs: dict[str, Any], after: list, before: list[float]) -> None:
    """Fail when the forward pass rewrote an operand's `data` or `grad` (exact comparison)."""
    fields = [(name, attr) for name in op.operands for attr in ("data", "grad")]
    for (name, attr), got, want in zip(fields, after, before, strict=True):
        if is_number(got) and got == want:
            continue
        call = f"`{call_example(op, inputs)}`"
        summary = f"{call} changed its input: {name}.{attr} was {want!r}, and is {show(got)} after"
        snippet = (forward_snippet(op, inputs, 0.0, "", "").rsplit("\n", 1)[0]
                   + f"\nprint({name}.{attr})  # expected {want!r} (unchanged), got {show(got)}")
        raise Failure(Outcome.WRONG, summary,
                      f"{summary} the op. An op must build a new Value for its result and leave "
                      f"its inputs' data and grad as they were.", snippet)


# ---- backward ----------------------------------------------------------------------------------


def _cases(op: Op) -> st.SearchStrategy[Case]:
    upstream = st.just(1.0) if op.derived else domains.upstream_grads()
    aliased = st.booleans() if len(op.operands) == 2 else st.just(False)
    grads = st.fixed_dictionaries({name: domains.preset_grads() for name in op.operands})
    return st.builds(Case, op.domain(), grads, upstream, aliased)


def backward_check(op: Op) -> CheckDef:
    check_id = f"engine.{op.name}.backward"

    def run(ctx: CheckContext) -> Verdict:
        missing = _missing(ctx, op, check_id)
        if missing:
            return missing

        def body(case: Case) -> None:
            program = Program()
            out, refs = _build(program, op, case.inputs, case.grads, case.aliased)
            program.local_backward(out, case.upstream)
            names = _distinct(op, case)
            for name in names:
                program.read(refs[name], "grad")
            reply = ctx.session.run(program.steps, program.reads)
            if not reply.ok:
                assert reply.error is not None
                expr = expression(op, case.inputs, case.aliased)
                if reply.error.step == out:  # the forward itself raised
                    doing = f"`{expr if case.aliased else call_example(op, case.inputs)}`"
                else:
                    doing = f"the backward pass of `{expr}`"
                snippet = backward_snippet(op, case.inputs, case.grads, case.upstream,
                                           case.aliased, "a", 0.0, "", "").rsplit("\n", 1)[0]
                raise failure_from_error(reply, doing, snippet)
            expected = ctx.oracle.run(program)
            wrong = [name for name, got, want in zip(names, reply.values, expected, strict=True)
                     if not close(got, want, BACKWARD_RTOL,
                                  abs(case.grads.get(name, 0.0)) + abs(case.upstream))]
            if wrong:
                got = dict(zip(names, reply.values, strict=True))
                want = dict(zip(names, expected, strict=True))
                failure = _wrong_grad(op, case, wrong[0], got[wrong[0]], want[wrong[0]],
                                      ctx.oracle.label)
                try:
                    failure.graph = op_graph(op, case.inputs, case.grads, case.upstream,
                                             case.aliased, got, want, set(wrong))
                except Exception:  # noqa: BLE001 - the picture must never cost the verdict
                    pass
                raise failure

        pinned = tuple(Case(p, {}, 1.0, False) for p in op.pinned)
        tried, failure = run_property(ctx, check_id, _cases(op), body, explicit=pinned)
        if failure is not None and failure.outcome is Outcome.WRONG and failure.data:
            try:
                diagnosis = _diagnose(ctx, op, *failure.data)
            except Exception as exc:  # noqa: BLE001 - a diagnosis must never cost the verdict
                diagnosis = f"(no finite-difference diagnosis: {exc})"
            if diagnosis:
                failure.feedback += "\n" + diagnosis
        return verdict_from(check_id, tried, failure,
                            f"gradients of `{op.expr}` match {ctx.oracle.label} on {tried} "
                            "generated cases")

    return CheckDef(check_id, f"{op.name}: local derivative (backward)", GROUP,
                    run)


def _distinct(op: Op, case: Case) -> tuple[str, ...]:
    return ("a",) if case.aliased else op.operands


def _wrong_grad(op: Op, case: Case, name: str, got: float | str, want: float,
                source: str) -> Failure:
    expr = expression(op, case.inputs, case.aliased)
    summary = f"after backward through `{expr}`, {name}.grad is {show(got)}, expected {want!r}"
    lines = [summary + "."]
    preset = case.grads.get(name, 0.0)
    if is_number(got):
        assert isinstance(got, float)
        if preset and close(got, want - preset, 1e-9):
            lines.append(f"{name}.grad already held {preset!r} before this op's backward and your "
                         "result dropped it: accumulate with `+=`, do not assign with `=`.")
        elif case.aliased and close(got - preset, (want - preset) / 2, 1e-9):
            lines.append("Both operands are the same Value here, so both contributions must be "
                         "added into its grad: use `+=` for each operand.")
        elif case.upstream not in (0.0, 1.0) and close(
                (got - preset) * case.upstream, want - preset, 1e-9):
            lines.append(f"The gradient flowing into the output was {case.upstream!r}; your result "
                         "ignores it. The chain rule multiplies the local derivative by out.grad.")
    repro = backward_snippet(op, case.inputs, case.grads, case.upstream, case.aliased, name, want,
                             show(got), source)
    # A recognised mistake is the diagnosis; the finite-difference one is only for the rest.
    data = None if len(lines) > 1 else (case, name, got, want)
    return Failure(Outcome.WRONG, summary, "\n".join(lines), repro, data=data)


def _diagnose(ctx: CheckContext, op: Op, case: Case, name: str, got: float | str,
              want: float) -> str:
    """Tell "forward wrong" from "forward right, backward disagrees with your own forward's slope".

    Central differences of the student's own forward at the failing input, run in the worker.
    """
    x = case.leaf_value(op, name)
    h = 1e-6 * max(1.0, abs(x))
    program = Program()
    for shift in (0.0, h, -h):
        inputs = dict(case.inputs)
        if case.aliased:
            inputs["b"] = x + shift
        else:
            inputs[name] = x + shift
        out, _ = _build(program, op, inputs, aliased=case.aliased)
        program.read(out, "data")
    reply = ctx.session.run(program.steps, program.reads)
    if not reply.ok or not all(is_number(v) for v in reply.values):
        return ""
    f0, fp, fm = (float(v) for v in reply.values)
    oracle_forward = ctx.oracle.run(program)[0]
    if not close(f0, oracle_forward, FORWARD_RTOL, op.unit):
        return (f"Your forward value at this input is wrong too ({f0!r}, expected "
                f"{oracle_forward!r}): fix `engine.{op.name}.forward` first.")
    if not is_number(got):
        return ""
    assert isinstance(got, float)
    preset = case.grads.get(name, 0.0)
    slope = (fp - fm) / (2 * h)
    yours = (got - preset) / case.upstream
    if close(yours, slope, FD_RTOL, 1e-6):
        return (f"Your forward is right and your local derivative ({yours!r}) is close to the "
                f"slope of your forward ({slope:.6g}), but not exact: use the derivative's "
                "formula, not a numerical estimate (the grader compares to 1e-13).")
    return (f"Your forward is right, but your backward disagrees with the slope of your own "
            f"forward: a central difference of `{expression(op, case.inputs, case.aliased)}` in "
            f"{name} gives about {slope:.6g}, while your gradient implies a local derivative of "
            f"{yours!r}. Check the derivative formula in `{op.method}`'s _backward.")


def op_checks(ops: Sequence[Op] = OPS) -> list[CheckDef]:
    """Two checks per row of the op table; a manifest may name `{op}`, `{operation}`, `{kind}`."""
    checks = []
    for op in ops:
        fwd, bwd = forward_check(op), backward_check(op)
        needs_f = tuple(f"engine.{dep}.forward" for dep in op.builds_on)
        needs_b = tuple(f"engine.{dep}.backward" for dep in op.builds_on) + (fwd.id,)
        about = {"op": op.name, "operation": op.operation, "kind": op.kind}
        checks.append(CheckDef(fwd.id, fwd.title, fwd.group, fwd.run, needs_f,
                               placeholders=about))
        checks.append(CheckDef(bwd.id, bwd.title, bwd.group, bwd.run, needs_b,
                               placeholders=about))
    return checks
