"""Builder for the worker's JSON programs (the step table is in docs/ARCHITECTURE.md).

A program is a list of steps; each step fills one slot, and later steps refer to slots by index.
The same program runs in the worker (on the student's Values) and in the oracle (on tensors), so
a check builds it once and compares the two lists of read values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Program:
    steps: list[list[Any]] = field(default_factory=list)
    reads: int = 0  # how many values an ok reply must carry

    def _add(self, step: list[Any]) -> int:
        self.steps.append(step)
        return len(self.steps) - 1

    def value(self, x: float, grad: float | None = None) -> int:
        """`Value(x)`; with `grad`, the leaf already holds that gradient."""
        return self._add(["value", x] if grad is None else ["value", x, grad])

    def num(self, x: float) -> int:
        return self._add(["num", x])

    def apply(self, expr: str, refs: dict[str, int]) -> int:
        return self._add(["apply", expr, dict(refs)])

    def chain(self, expr: str, start: int, n: int, refs: dict[str, int] | None = None) -> int:
        return self._add(["chain", expr, start, n, dict(refs or {})])

    def backward(self, slot: int) -> int:
        return self._add(["backward", slot])

    def local_backward(self, slot: int, grad: float) -> int:
        return self._add(["local_backward", slot, grad])

    def read(self, slot: int, attr: str) -> int:
        assert attr in ("data", "grad")
        self.reads += 1
        return self._add(["read", slot, attr])

    def raw(self, step: list[Any], reads: int = 0) -> int:
        """A network step (see the harness's NN_STEPS); `reads` values it appends to the reply."""
        self.reads += reads
        return self._add(step)


class Evaluator:
    """Runs a program's engine steps on an oracle's own numbers (tensors, tape variables).

    The oracles differ only in how a leaf is made, how a gradient is pushed back and how a value
    is read; the walk over the steps is shared here so both interpret programs identically.
    """

    def __init__(self) -> None:
        self._codes: dict[str, Any] = {}

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
