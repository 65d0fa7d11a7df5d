"""Building worker programs (the oracles run them too: `autograder.oracles.evaluator`).

The steps themselves (their fields, their JSON form, the losses) are defined once in
`autograder.worker.steps`, which the worker imports too. A program runs in the worker (on the
student's Values) and in an oracle (on tensors), so a check builds it once and compares the two
lists of read values.
"""

from __future__ import annotations

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
