"""What the grades of one process can share: the examples each check draws, the oracle's answers
to them, and the isolation level the machine offers.

A grade on its own makes a fresh `GradeCache`; `mgrade grade-all` keeps one per grading process
(and passes it in `GradeOptions.cache`), so the second submission a process grades draws no
example, asks the oracle nothing it asked before and probes no sandbox. None of it depends on the
submission: the seed is fixed and hypothesis deterministic, so every submission sees the same
examples, and a cached answer is the answer to the identical question. The drawn examples are
also kept on disk (`checks/examplecache.py`), so even a process's first grade draws only what no
earlier process on the machine drew.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from autograder.checks.examplecache import ExampleCache
from autograder.oracles import load_oracle
from autograder.oracles.caching import CachingOracle
from autograder.sandbox import IsolationInfo, detect_isolation


@dataclass
class GradeCache:
    examples: ExampleCache = field(default_factory=ExampleCache.from_environment)
    oracles: dict[str, CachingOracle] = field(default_factory=dict)
    isolations: dict[tuple[str | None, str | None], IsolationInfo] = field(default_factory=dict)

    def oracle(self, kind: str) -> CachingOracle:
        if kind not in self.oracles:
            self.oracles[kind] = CachingOracle(load_oracle(kind))
        return self.oracles[kind]

    def isolation(self, forced: str | None, transport: str | None) -> IsolationInfo:
        if (forced, transport) not in self.isolations:
            self.isolations[forced, transport] = detect_isolation(forced, transport)
        return self.isolations[forced, transport]
