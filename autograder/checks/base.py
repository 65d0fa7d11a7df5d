"""What a check is, what it gets to work with, and how it runs hypothesis deterministically."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, Phase, Verbosity, example, given, seed, settings
from hypothesis import strategies as st
from hypothesis.errors import Flaky

from autograder.checks.batching import GiveUp, run_batched
from autograder.checks.examplecache import ExampleCache
from autograder.model import ComputationGraph, Outcome, Verdict
from autograder.oracles import Oracle
from autograder.protocol import Reply, StudentError
from autograder.session import WorkerSession


@dataclass
class CheckContext:
    """Everything a check may use: the worker, the oracle, the seed and its own parameters."""

    session: WorkerSession
    oracle: Oracle
    seed: int
    max_examples: int
    params: dict[str, Any] = field(default_factory=dict)
    verdicts: dict[str, Verdict] = field(default_factory=dict)  # earlier verdicts of this grade
    examples: ExampleCache | None = None  # examples drawn by earlier grades (`examplecache`)
    batch: bool = True  # send a property's examples in batches first (`checks.batching`)

    def seed_for(self, check_id: str) -> int:
        """A per-check seed: the grade's seed and the id, so checks do not share examples."""
        digest = hashlib.sha256(f"{self.seed}:{check_id}".encode()).digest()
        return int.from_bytes(digest[:8], "big")

    def passed(self, check_id: str) -> bool | None:
        verdict = self.verdicts.get(check_id)
        return None if verdict is None else verdict.passed


@dataclass(frozen=True)
class CheckDef:
    id: str
    title: str
    group: str  # checks of one group share a fresh worker
    run: Callable[[CheckContext], Verdict]
    needs: tuple[str, ...] = ()  # checks this one relies on (root-cause hints)
    wants_nn: bool = False  # the worker must import nn.py too
    params: tuple[str, ...] = ()  # keys a manifest may set under [checks."<id>".params]
    uses: tuple[str, ...] = ()  # checks whose verdicts it reads to choose what to test (run first)
    # what a manifest's titles and tags may name, e.g. {op} in "{op}: forward value"
    placeholders: Mapping[str, str] = field(default_factory=dict, hash=False)


class Failure(Exception):
    """Raised inside a property when an example fails; hypothesis shrinks it, we report it."""

    def __init__(self, outcome: Outcome, summary: str, feedback: str = "",
                 repro: str | None = None, data: Any = None,
                 graph: ComputationGraph | None = None) -> None:
        super().__init__(summary)
        self.outcome = outcome
        self.summary = summary
        self.feedback = feedback
        self.repro = repro
        self.data = data
        self.graph = graph  # the failing example as a graph, for reports to draw


def run_property(ctx: CheckContext, check_id: str, strategy: st.SearchStrategy,
                 body: Callable[[Any], None],
                 explicit: tuple[Any, ...] = ()) -> tuple[int, Failure | None]:
    """Run `body` on examples from `strategy` (explicit ones first); return (tried, failure).

    Deterministic: the seed comes from the grade's seed and the check id, there is no example
    database, and no deadline. The examples first go to the worker in batches
    (`autograder.checks.batching`); only when that does not show every example passing does the
    live path run, one round trip per example, so hypothesis can shrink a failure. A `WorkerDied`
    (a BaseException) stops the live run at once instead of being shrunk.
    """
    if ctx.batch:
        key = (check_id, ctx.seed_for(check_id), ctx.max_examples, repr(strategy),
               repr(explicit))
        before = len(ctx.session.events)
        try:
            tried = run_batched(ctx, key, lambda test: _hypothesis(ctx, check_id, strategy,
                                                                   test, explicit)(), body)
            return tried, None
        except GiveUp:
            del ctx.session.events[before:]  # the live run reports the events of what it runs
    tried = 0

    def test(example_value: Any) -> None:
        nonlocal tried
        tried += 1
        body(example_value)

    try:
        _hypothesis(ctx, check_id, strategy, test, explicit)()
    except Failure as failure:
        return tried, failure
    except Flaky as flaky:  # the failure did not reproduce: the code is not deterministic
        inner = _find_failure(flaky)
        if inner is not None:
            inner.feedback += ("\n\nNote: this failure did not reproduce when the same input was "
                               "run again; the code behaves differently between calls.")
            return tried, inner
        return tried, Failure(Outcome.WRONG, "results change between identical calls",
                              "The same input gave different results on different calls.")
    return tried, None


def _hypothesis(ctx: CheckContext, check_id: str, strategy: st.SearchStrategy,
                test: Callable[[Any], None], explicit: tuple[Any, ...]) -> Callable[[], None]:
    """`test` under hypothesis with the grader's settings: the same for the batch and live paths."""
    ignore_local_constants()
    wrapped = given(strategy)(test)
    for value in reversed(explicit):
        wrapped = example(value)(wrapped)
    return settings(
        max_examples=ctx.max_examples,
        database=None,
        deadline=None,
        derandomize=False,
        report_multiple_bugs=False,
        print_blob=False,
        verbosity=Verbosity.quiet,
        phases=(Phase.explicit, Phase.generate, Phase.shrink),
        suppress_health_check=list(HealthCheck),
    )(seed(ctx.seed_for(check_id))(wrapped))


def ignore_local_constants() -> bool:
    """Make hypothesis draw only from the seed: no constants from the source of loaded modules.

    Since 6.131 hypothesis now and then draws a constant it found in the source of a "local"
    module the process has loaded (not the standard library, not site-packages). Which modules a
    grading process has loaded depends on the command (`mgrade grade`, `grade-all`, a notebook,
    pytest) and on how mgrade is installed (a checkout or a wheel), so one seed would draw other
    examples in another process. Returns whether that source of constants is off.
    """
    try:
        from hypothesis.internal.conjecture import providers
        from hypothesis.internal.constants_ast import Constants
    except ImportError:  # an older hypothesis: it has no local constants
        return True
    current = getattr(providers, "_get_local_constants", None)
    if current is None:
        return False
    if getattr(current, "mgrade_ignores_local_constants", False):
        return True
    empty = Constants()

    def no_local_constants() -> Constants:
        return empty

    no_local_constants.mgrade_ignores_local_constants = True  # type: ignore[attr-defined]
    providers._get_local_constants = no_local_constants
    providers.CONSTANTS_CACHE.cache.clear()  # its entries may hold constants found before
    return True


def _find_failure(exc: BaseException) -> Failure | None:
    if isinstance(exc, Failure):
        return exc
    for inner in getattr(exc, "exceptions", ()) or ():
        found = _find_failure(inner)
        if found is not None:
            return found
    return _find_failure(exc.__cause__) if exc.__cause__ is not None else None


# ---- turning worker errors into failures ------------------------------------------------------


def error_outcome(error: StudentError) -> Outcome:
    return {
        "not_implemented": Outcome.NOT_IMPLEMENTED,
        "bad_return": Outcome.BAD_RETURN,
        "load_error": Outcome.LOAD_ERROR,
        "protocol": Outcome.PROTOCOL,
    }.get(error.kind, Outcome.RAISED)


def failure_from_error(reply: Reply, doing: str, repro: str | None, hint: str = "") -> Failure:
    """`2 - Value(3.0)` raised TypeError: ... -> a Failure with the right outcome."""
    assert reply.error is not None
    error = reply.error
    outcome = error_outcome(error)
    if outcome is Outcome.NOT_IMPLEMENTED:
        # describe() keeps the stub's message and location ("Value.__add__: ...", "engine.py:43 in
        # __add__"): `-Value(1.0)` alone does not tell a student which method to write.
        summary = f"{doing} is not implemented yet ({error.describe()})"
    elif outcome is Outcome.BAD_RETURN:
        summary = f"{doing}: {error.message}"
    else:
        summary = f"{doing} raised {error.describe()}"
    feedback = summary + (f"\n{hint}" if hint else "")
    return Failure(outcome, summary, feedback, repro)


def verdict_from(check_id: str, tried: int, failure: Failure | None, passed_summary: str,
                 notes: tuple[str, ...] = ()) -> Verdict:
    if failure is None:
        return Verdict(check_id, Outcome.PASSED, passed_summary, examples=tried)
    return Verdict(check_id, failure.outcome, failure.summary, failure.feedback, failure.repro,
                   examples=tried, notes=notes, graph=failure.graph)
