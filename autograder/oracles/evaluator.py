"""The walk over a program's engine steps that both oracles share.

The oracles differ only in how a leaf is made, how a gradient is pushed back and how a value is
read; the interpretation of the steps lives here once, so both evaluate programs identically.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from autograder.ir import Program


class Evaluator:
    """Runs a program's engine steps on an oracle's own numbers (tensors, tape variables).

    The oracles differ only in how a leaf is made, how a gradient is pushed back and how a value
    is read; the walk over the steps is shared here so both interpret programs identically.
    """

    def __init__(self, names: Mapping[str, Any] | None = None) -> None:
        self._codes: dict[str, Any] = {}
        self._globals: dict[str, Any] = {"__builtins__": {}, **(names or {})}  # what exprs see

    # ---- what each oracle provides ---------------------------------------------------------------
    def leaf(self, x: float, grad: float | None) -> Any:
        raise NotImplementedError

    def backward(self, node: Any, seed: float) -> None:
        raise NotImplementedError

    def read(self, node: Any, attr: str) -> float:
        raise NotImplementedError

    def track(self, node: Any) -> Any:
        """Called on every op result, e.g. to keep its gradient (torch's retain_grad)."""
        return node

    # ---- shared ----------------------------------------------------------------------------------
    def apply(self, expr: str, env: dict[str, Any]) -> Any:
        code = self._codes.get(expr)
        if code is None:
            code = self._codes[expr] = compile(expr, f"<oracle: {expr}>", "eval")
        return eval(code, self._globals, env)  # noqa: S307 - op-table text, not input

    def run(self, program: Program) -> list[float]:
        slots: list[Any] = []
        values: list[float] = []
        for step in program.steps:
            kind = step[0]
            result: Any = None
            if kind == "value":
                result = self.leaf(step[1], step[2] if len(step) > 2 else None)
            elif kind == "num":
                result = step[1]
            elif kind == "apply":
                result = self.track(self.apply(step[1], {n: slots[i] for n, i in step[2].items()}))
            elif kind == "chain":
                node = slots[step[2]]
                env = {n: slots[i] for n, i in step[4].items()}
                for _ in range(step[3]):
                    env["a"] = node
                    node = self.apply(step[1], env)
                result = self.track(node)
            elif kind == "backward":
                self.backward(slots[step[1]], 1.0)
            elif kind == "local_backward":
                self.backward(slots[step[1]], float(step[2]))
            elif kind == "read":
                values.append(self.read(slots[step[1]], step[2]))
            else:
                raise ValueError(f"{type(self).__name__} does not run step {kind!r}")
            slots.append(result)
        return values
