"""Choosing the isolation level: the strongest the machine offers, or the one asked for.

Every level is probed by actually starting the interpreter the way a worker would, so a level
that is reported is a level that works.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from autograder.sandbox.levels import LEVELS, Isolation, IsolationLevel, IsolationUnavailable
from autograder.sandbox.reaper import Reaper
from autograder.sandbox.transport import choose_transport

ISOLATION_ORDER = tuple(level.kind for level in LEVELS)


@dataclass(frozen=True)
class IsolationInfo:
    level: Isolation
    note: str  # one line: what this level gives, what it lacks, why no stronger level
    # The level's implementation; one per grading run, shared by every worker session of it.
    backend: IsolationLevel = field(compare=False, repr=False)


def detect_isolation(forced: str | None = None, transport: str | None = None) -> IsolationInfo:
    """The strongest level this machine offers, or the forced one (or IsolationUnavailable).

    Workers talk to the grader over the transport the platform supports (`transport/`), or
    the one named by `transport` ("pipes" or "stdio"; tests use it to run the other one here).
    """
    try:
        chosen = choose_transport(transport)
    except OSError as exc:
        raise IsolationUnavailable(str(exc)) from None
    reaper = Reaper()
    levels = [cls(reaper, chosen) for cls in LEVELS]
    if forced:
        wanted = Isolation(forced)
        level = next(level for level in levels if level.kind is wanted)
        usable, why_not = level.probe()
        if not usable:
            raise IsolationUnavailable(f"isolation '{wanted.value}' is not available: {why_not}")
        return IsolationInfo(level.kind, _note(level, []), level)
    skipped: list[str] = []
    for level in levels:
        usable, why_not = level.probe()
        if usable:
            return IsolationInfo(level.kind, _note(level, skipped), level)
        if level.mention_when_skipped():
            skipped.append(f"Not {level.kind.value}: {why_not}.")
    raise IsolationUnavailable("no isolation level is available: " + " ".join(skipped))


def _note(level: IsolationLevel, skipped: list[str]) -> str:
    return " ".join(part for part in [level.note(), level.transport.note(), *skipped] if part)
