"""A property's examples in one worker round trip, with hypothesis only for failures.

`run_property` (in `autograder.checks.base`) first tries `run_batched`:

1. **Draw.** hypothesis runs the check's body with a recording session: the body builds its first
   program and, instead of sending it, hands it over (`Deferred`). Hypothesis sees every example
   pass, so it draws exactly the examples a live run draws when nothing fails (the seed is fixed,
   generation deterministic, `assume` still rejects what it rejects). The drawn values are kept
   in an `ExampleCache` (`checks.examplecache`: in memory, and on disk between processes), so
   the next submission graded on the machine skips this step.
2. **Send.** The programs go to the worker as `batch` requests: each runs on its own, and an
   exception in one is that program's error only. An empty program follows, so a worker that an
   example broke for later requests is found, as the live path finds it at the next example.
3. **Replay.** The body runs again on every example, in order, its first `run` answered from the
   batch (any later `run` of the same example goes to the worker as usual).

When every example passes, that is the verdict: the same examples, the same count. When anything
else happens (an example fails, the worker dies, a body behaves differently from how it behaved
while drawing), `run_batched` gives up and `run_property` runs the live, per-example path from the
start, so hypothesis shrinks to the minimal counterexample and the feedback is the live run's.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

from hypothesis.errors import HypothesisDeprecationWarning, UnsatisfiedAssumption

from autograder.checks.examplecache import DONE, REJECTED, RUN, Drawn, ExampleCache
from autograder.checks.pickled import Unreadable, freeze, thaw
from autograder.protocol import Reply
from autograder.session import WorkerDied
from autograder.worker.steps import encode_program

REPLY_BUDGET = 512 * 1024  # estimated reply bytes per batch request (the cap is 1 MiB)
RESULT_BYTES = 6 * 1024  # a result's error object at worst (900 characters, \u-escaped)
VALUE_BYTES = 96  # one value at worst (a {"bad": "<type name>"} tag)
MAX_PROGRAMS = 128  # programs per batch request


class Deferred(BaseException):  # noqa: N818 - a BaseException: a body's `except Exception` misses it
    """Raised by the recording session in place of sending the body's first program."""

    def __init__(self, steps: list[Any], reads: int | None, timeout_s: float | None) -> None:
        super().__init__("deferred")
        self.steps = steps
        self.reads = reads
        self.timeout_s = timeout_s


class GiveUp(BaseException):  # noqa: N818 - a BaseException: hypothesis stops, does not shrink
    """The batch path cannot decide this check; the live path will."""


class _Recording:
    """The session a body sees while its examples are drawn: `run` hands the program over."""

    def __init__(self, session: Any) -> None:
        self._session = session

    def run(self, steps: list[Any], expect_values: int | None = None,
            timeout_s: float | None = None) -> Reply:
        raise Deferred(steps, expect_values, timeout_s)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)


class _Replay:
    """The session a body sees on replay: its first `run` is answered from the batch."""

    def __init__(self, session: Any, wire: list[Any] | None, reply: Reply | None) -> None:
        self._session = session
        self._wire = wire
        self._reply = reply

    def run(self, steps: list[Any], expect_values: int | None = None,
            timeout_s: float | None = None) -> Reply:
        if self._reply is None:
            return self._session.run(steps, expect_values, timeout_s)
        reply, self._reply = self._reply, None
        if encode_program(steps) != self._wire:
            raise GiveUp("the body built another program than while drawing")
        return reply

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)


def _keep(value: Any) -> bytes:
    """An example as hypothesis drew it, before the body can change it (`checks.pickled`)."""
    try:
        return freeze(value)
    except Exception as exc:  # noqa: BLE001 - anything pickle refuses: the live path decides
        raise GiveUp(f"an example cannot be kept ({type(exc).__name__})") from None


def _record(body: Callable[[Any], None], value: Any) -> tuple[str, Deferred | None]:
    """Run `body` on `value` up to its first `run`. UnsatisfiedAssumption propagates (REJECTED)."""
    try:
        body(value)
    except Deferred as deferred:
        return RUN, deferred
    except UnsatisfiedAssumption:
        raise
    except Exception as exc:  # the body failed before asking the worker anything
        raise GiveUp(f"the body raised {type(exc).__name__} while drawing") from None
    return DONE, None


def _chunks(programs: list[Deferred]) -> list[list[int]]:
    chunks: list[list[int]] = [[]]
    size = 0
    for index, program in enumerate(programs):
        cost = RESULT_BYTES + VALUE_BYTES * (program.reads or 0)
        if chunks[-1] and (size + cost > REPLY_BUDGET or len(chunks[-1]) >= MAX_PROGRAMS):
            chunks.append([])
            size = 0
        chunks[-1].append(index)
        size += cost
    return chunks


def run_batched(ctx: Any, key: tuple[Any, ...], draw: Callable[[Callable[[Any], None]], None],
                body: Callable[[Any], None]) -> int:
    """Run every example of a property through batch requests; return how many were tried.

    `draw(test)` runs hypothesis over `test`, exactly as the live path does over its own. Raises
    GiveUp when the live path must decide (including when an example fails).
    """
    session = ctx.session
    if not getattr(session, "batching", False):
        raise GiveUp("this worker does not take batches")
    with warnings.catch_warnings():
        # the body's `assume` runs outside hypothesis on cached and replayed examples
        warnings.simplefilter("ignore", HypothesisDeprecationWarning)
        ctx.session = _Recording(session)
        try:
            drawn, deferred = _examples(ctx.examples, key, draw, body)
        finally:
            ctx.session = session
        replies = iter(_send(session, [d for d in deferred if d is not None]))
        try:
            for item, program in zip(drawn, deferred, strict=True):
                if item.status == REJECTED:
                    continue
                if program is None:
                    ctx.session = _Replay(session, None, None)
                else:
                    ctx.session = _Replay(session, encode_program(program.steps), next(replies))
                try:
                    body(thaw(item.pickled))
                except GiveUp:
                    raise
                except (Exception, WorkerDied) as exc:
                    raise GiveUp(f"an example did not pass ({type(exc).__name__})") from None
        finally:
            ctx.session = session
    return len(drawn)


def _examples(cache: ExampleCache | None, key: tuple[Any, ...],
              draw: Callable[[Callable[[Any], None]], None], body: Callable[[Any], None]
              ) -> tuple[list[Drawn], list[Deferred | None]]:
    """The examples and their first programs: from the cache when it has them, else drawn."""
    cached = cache.get(key) if cache is not None else None
    if cached is not None:
        try:
            return list(cached), _rebuild(cached, body)
        except Unreadable:  # bytes from a damaged file: draw them again
            cache.forget(key)
    drawn, deferred = _draw(draw, body)
    if cache is not None:
        cache.put(key, drawn)
    return drawn, deferred


def _draw(draw: Callable[[Callable[[Any], None]], None], body: Callable[[Any], None]
          ) -> tuple[list[Drawn], list[Deferred | None]]:
    """Let hypothesis draw the examples, each run by the body up to its first program."""
    drawn: list[Drawn] = []
    deferred: list[Deferred | None] = []

    def test(value: Any) -> None:
        kept = _keep(value)
        try:
            status, program = _record(body, value)
        except UnsatisfiedAssumption:
            drawn.append(Drawn(kept, REJECTED))
            deferred.append(None)
            raise
        drawn.append(Drawn(kept, status))
        deferred.append(program)

    draw(test)
    return drawn, deferred


def _rebuild(cached: tuple[Drawn, ...], body: Callable[[Any], None]) -> list[Deferred | None]:
    """The programs of cached examples; the body must treat each one as it did when drawn."""
    deferred: list[Deferred | None] = []
    for item in cached:
        if item.status == REJECTED:
            deferred.append(None)
            continue
        try:
            status, program = _record(body, thaw(item.pickled))
        except UnsatisfiedAssumption:
            raise GiveUp("an example was rejected that was not before") from None
        if status != item.status:
            raise GiveUp("the body behaved differently on a cached example")
        deferred.append(program)
    return deferred


def _send(session: Any, programs: list[Deferred]) -> list[Reply]:
    if any(p.reads is None or p.timeout_s is not None for p in programs):
        raise GiveUp("a program reads a count the student decides, or has its own deadline")
    replies: list[Reply] = []
    try:
        for chunk in _chunks(programs):
            if chunk:
                replies += session.run_batch([(programs[i].steps, programs[i].reads)
                                              for i in chunk])
        # The live path sends a request after every example, so whatever an example breaks in
        # the worker (a thread stealing requests, a closed pipe) shows at the next one. A batch
        # is followed by an empty program for the same reason.
        session.run([], 0)
    except WorkerDied:
        session.batching = False  # a hang or crash costs one batch deadline, not one per check
        raise GiveUp("the worker died during a batch") from None
    return replies
