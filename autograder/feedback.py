"""Snippets a student can paste and run, and the wording of common diagnoses.

Everything here formats plain data (floats from the worker, inputs drawn by hypothesis); no
student object is ever printed.
"""

from __future__ import annotations

import platform
import re
from dataclasses import replace

from autograder.model import Verdict
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


def forward_snippet(op: Op, inputs: dict[str, float], expected: float, got: str,
                    source: str) -> str:
    """`source` names where `expected` comes from (the oracle's label, e.g. "PyTorch")."""
    lines = [IMPORT_LINE, *leaf_lines(op, inputs), f"out = {expression(op, inputs)}",
             f"print(out.data)  # expected {literal(expected)} ({source}), got {got}"]
    return "\n".join(lines)


def backward_snippet(op: Op, inputs: dict[str, float], grads: dict[str, float], upstream: float,
                     aliased: bool, operand: str, expected: float, got: str, source: str) -> str:
    lines = [IMPORT_LINE, *leaf_lines(op, inputs, grads, aliased),
             f"out = {expression(op, inputs, aliased)}"]
    if op.derived and upstream == 1.0:
        lines.append("out.backward()")
    else:
        lines.append(f"out.grad = {literal(upstream)}  # the gradient flowing into out")
        lines.append("out._backward()" if not op.derived else
                     "# then call _backward() on every node from out down to the leaves")
    lines.append(f"print({operand}.grad)  # expected {literal(expected)} ({source}), got {got}")
    return "\n".join(lines)


def _names(check_ids: list[str]) -> str:
    names = [f"`{c}`" for c in check_ids]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def fix_first(check_ids: list[str]) -> str:
    """The one root-cause hint: which failed checks, relied on by this one, to fix first."""
    one = len(check_ids) == 1
    return (f"Fix {_names(check_ids)} first: this check relies on {'it' if one else 'them'}, "
            f"and {'it' if one else 'they'} failed in this grade.")


def blocked_by(verdict: Verdict, check_ids: list[str]) -> Verdict:
    """A blocked verdict as students read it: "blocked by X" (the one place X is named), why it
    could not test anything, and that it scores 0."""
    reason = verdict.summary.rstrip(".")
    stop = "" if reason.endswith(("?", "!")) else "."
    if not check_ids:
        return replace(verdict, summary=f"blocked: {reason}",
                       feedback=f"Not tested: {reason}{stop} A check that cannot test what it "
                       "names scores 0.")
    which = "that check" if len(check_ids) == 1 else "those checks"
    return replace(verdict, summary=f"blocked by {', '.join(check_ids)}", feedback=(
        f"Not tested: {reason}{stop} Fix {which} first; a check that cannot test what it "
        "names scores 0."))


def load_error_hint(error_type: str, message: str) -> str:
    """One sentence on why code that imports fine at home does not import in the grader, or ""."""
    version = platform.python_version()
    if error_type == "SyntaxError":
        hint = (f" The grader runs Python {version}; if this line works on your machine, you "
                f"probably use a newer Python.")
        if message.startswith("f-string"):
            hint += (" Python 3.12 allows the same quotes inside an f-string's braces; "
                     f"Python {version} does not, so use the other kind of quotes inside.")
        return hint
    if error_type in ("ModuleNotFoundError", "ImportError"):
        module = message.partition("No module named ")[2].strip("'\" ").split(".")[0]
        if module:
            return (f" The grader imports your engine with Python's standard library only, so "
                    f"{module} is not there: move the code that needs it (drawing with graphviz, "
                    f"plotting) out of engine.py and nn.py, into a notebook or viz.py.")
    return ""
