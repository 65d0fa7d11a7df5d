"""Building worker programs, and running their engine steps on an oracle's own numbers.

The steps themselves (their fields, their JSON form, the losses) are defined once in
`autograder.worker.steps`, which the worker imports too. A program runs in the worker (on the
student's Values) and in an oracle (on tensors), so a check builds it once and compares the two
lists of read values.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from autograder.worker import steps as S


@dataclass
class Program:
    steps: list[Any] = field(default_factory=list)  # step objects of `autograder.worker.steps`
    reads: int = 0  # how many values an ok reply must carry

    def add(self, step: Any, reads: int | None = None) -> int:
        """Append a step; `reads` is needed only where the step's count depends on the student."""
        count = step.static_reads if reads is None else reads
        if count is None:
            raise ValueError(f"say how many values a {step.kind!r} step reads")
        self.reads += count
        self.steps.append(step)
        return len(self.steps) - 1

    def value(self, x: float, grad: float | None = None) -> int:
        """`Value(x)`; with `grad`, the leaf already holds that gradient."""
        return self.add(S.Leaf(x, grad))

    def num(self, x: float) -> int:
        return self.add(S.Num(x))

    def apply(self, expr: str, refs: dict[str, int]) -> int:
        return self.add(S.Apply(expr, dict(refs)))

    def chain(self, expr: str, start: int, n: int, refs: dict[str, int] | None = None) -> int:
        return self.add(S.Chain(expr, start, n, dict(refs or {})))

    def backward(self, slot: int) -> int:
        return self.add(S.Backward(slot))

    def local_backward(self, slot: int, grad: float) -> int:
        return self.add(S.LocalBackward(slot, grad))

    def read(self, slot: int, attr: str) -> int:
        assert attr in ("data", "grad")
        return self.add(S.Read(slot, attr))

    def wire(self) -> list[list[Any]]:
        return S.encode_program(self.steps)


class Evaluator:
    """Runs a program's engine steps on an oracle's own numbers (tensors, tape variables).

    The oracles differ only in how a leaf is made, how a gradient is pushed back and how a value
    is read; the walk over the steps is shared here so both interpret programs identically.
    """

    def __init__(self) -> None:
        self._codes: dict[str, Any] = {}
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
        return eval(code, {"__builtins__": {}}, env)  # noqa: S307 - op-table text, not input

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
