"""The walk over a program's engine steps that both oracles share.

The oracles differ only in how a leaf is made, how a gradient is pushed back and how a value is
read; the interpretation of the steps lives here once, so both evaluate programs identically.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from autograder.ir import Program
from autograder.worker import steps as S


class Evaluator:
    """Runs a program's engine steps on an oracle's own numbers (tensors, tape variables).

    The oracles differ only in how a leaf is made, how a gradient is pushed back and how a value
    is read; the walk over the steps is shared here so both interpret programs identically.
    """

    def __init__(self, names: Mapping[str, Any] | None = None) -> None:
        self._codes: dict[str, Any] = {}
        self._globals: dict[str, Any] = {"__builtins__": {}, **(names or {})}  # what exprs see
        self._handlers: dict[type, Callable[[Any, list[Any], list[float]], Any]] = {
            S.Leaf: lambda s, slots, values: self.leaf(s.x, s.grad),
            S.Num: lambda s, slots, values: s.x,
            S.Apply: lambda s, slots, values: self.track(self.apply(s.expr, _env(s.refs, slots))),
            S.Chain: self._chain,
            S.Backward: lambda s, slots, values: self.backward(slots[s.slot], 1.0),
            S.LocalBackward: lambda s, slots, values: self.backward(slots[s.slot], float(s.grad)),
            S.Read: lambda s, slots, values: values.append(self.read(slots[s.slot], s.attr)),
        }

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

    def _chain(self, step: Any, slots: list[Any], values: list[float]) -> Any:
        node = slots[step.start]
        env = _env(step.refs, slots)
        for _ in range(step.n):
            env["a"] = node
            node = self.apply(step.expr, env)
        return self.track(node)

    def run(self, program: Program) -> list[float]:
        slots: list[Any] = []
        values: list[float] = []
        for step in program.steps:
            handler = self._handlers.get(type(step))
            if handler is None:
                raise ValueError(f"{type(self).__name__} does not run step {step.kind!r}")
            slots.append(handler(step, slots, values))
        return values


def _env(refs: dict[str, int], slots: list[Any]) -> dict[str, Any]:
    return {name: slots[i] for name, i in refs.items()}
