"""Snippets a student can paste and run, and the wording of common diagnoses.

Everything here formats plain data (floats from the worker, inputs drawn by hypothesis); no
student object is ever printed.
"""

from __future__ import annotations

import re

from autograder.ops import Op

IMPORT_LINE = "from micrograd.engine import Value"


def literal(x: float | int) -> str:
    """A Python literal that reproduces `x` exactly."""
    return repr(x)


def substitute(expr: str, names: dict[str, str]) -> str:
    """Replace whole-word names in an op expression: `a + b` -> `x0 + x1`, `a.tanh()` -> `x.tanh()`.
    """
    if not names:
        return expr
    pattern = r"\b(" + "|".join(map(re.escape, names)) + r")\b"
    return re.sub(pattern, lambda m: names[m.group(1)], expr)


def expression(op: Op, inputs: dict[str, float], aliased: bool = False) -> str:
    """`a ** 3`, `2.0 - a`: the op's expression with its plain numbers written in."""
    text = substitute(op.expr, {name: literal(inputs[name]) for name in op.params})
    return substitute(text, {"b": "a"}) if aliased else text


def call_example(op: Op, inputs: dict[str, float]) -> str:
    """`2.0 - Value(3.0)`: a one-line call, for 'is not implemented' messages."""
    return substitute(expression(op, inputs),
                      {name: f"Value({literal(inputs[name])})" for name in op.operands})


def leaf_lines(op: Op, inputs: dict[str, float], grads: dict[str, float] | None = None,
               aliased: bool = False) -> list[str]:
    lines = []
    for name in op.operands:
        if aliased and name == "b":
            continue
        value = inputs["b"] if aliased else inputs[name]
        lines.append(f"{name} = Value({literal(value)})")
        if grads and grads.get(name):
            lines.append(f"{name}.grad = {literal(grads[name])}  # gradient it already holds")
    return lines


def forward_snippet(op: Op, inputs: dict[str, float], expected: float, got: str) -> str:
    lines = [IMPORT_LINE, *leaf_lines(op, inputs), f"out = {expression(op, inputs)}",
             f"print(out.data)  # expected {literal(expected)} (PyTorch), got {got}"]
    return "\n".join(lines)


def backward_snippet(op: Op, inputs: dict[str, float], grads: dict[str, float], upstream: float,
                     aliased: bool, operand: str, expected: float, got: str) -> str:
    lines = [IMPORT_LINE, *leaf_lines(op, inputs, grads, aliased),
             f"out = {expression(op, inputs, aliased)}"]
    if op.derived and upstream == 1.0:
        lines.append("out.backward()")
    else:
        lines.append(f"out.grad = {literal(upstream)}  # the gradient flowing into out")
        lines.append("out._backward()" if not op.derived else
                     "# then call _backward() on every node from out down to the leaves")
    lines.append(f"print({operand}.grad)  # expected {literal(expected)} (PyTorch), got {got}")
    return "\n".join(lines)


def fix_first(check_ids: list[str]) -> str:
    names = ", ".join(f"`{c}`" for c in check_ids)
    return f"This check relies on {names}, which failed too: fix that first."
