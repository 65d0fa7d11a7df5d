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
