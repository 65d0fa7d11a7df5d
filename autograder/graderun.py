"""One grade in progress: the planned checks, their verdicts, durations and progress, and the
points they are worth once the root-cause pass has run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from autograder.checks import catalogue
from autograder.model import CheckResult, Verdict
from autograder.prerequisites import Planned, annotate_root_causes

Progress = Callable[[str, int, int], None]  # (check id, checks done, checks planned)


@dataclass
class GradeRun:
    """One grade in progress: the planned checks, their verdicts and durations, and progress."""

    planned: list[Planned]
    progress: Progress | None = None
    verdicts: dict[str, Verdict] = field(default_factory=dict)
    durations: dict[str, float] = field(default_factory=dict)
    done: int = 0
    # A submission that did not import will not import for the next group either (by want_nn):
    # asking again would cost a start timeout per group when its import hangs.
    load_failures: dict[bool, str] = field(default_factory=dict)

    def starting(self, check_id: str) -> None:
        if self.progress is not None:
            self.progress(check_id, self.done, len(self.planned))

    def record(self, check_id: str, verdict: Verdict, seconds: float = 0.0) -> None:
        self.verdicts[check_id] = verdict
        self.durations[check_id] = seconds

    def finished(self) -> None:
        self.done += 1

    def fill(self, make: Callable[[str], Verdict]) -> None:
        """Give every check still without a verdict the one `make` builds."""
        for item in self.planned:
            if item.check.id not in self.verdicts:
                self.verdicts[item.check.id] = make(item.check.id)

    def final_verdicts(self) -> dict[str, Verdict]:
        """The verdicts after the one root-cause pass."""
        return annotate_root_causes(self.verdicts, catalogue())

    def results(self) -> list[CheckResult]:
        return score(self.planned, self.final_verdicts(), self.durations)


def score(planned: list[Planned], verdicts: dict[str, Verdict],
          durations: dict[str, float]) -> list[CheckResult]:
    results = []
    for item in planned:
        if item.spec is None or not item.scored:
            continue
        verdict = verdicts[item.check.id]
        results.append(CheckResult(
            check_id=item.check.id,
            title=item.spec.title or item.check.title,
            assignment=item.assignment.id,
            max_score=float(item.spec.points),
            score=float(item.spec.points) if verdict.passed else 0.0,
            visibility=item.spec.visibility,
            verdict=verdict,
            duration_s=round(durations.get(item.check.id, 0.0), 4),
            tags=tuple(item.spec.tags),
        ))
    return results
