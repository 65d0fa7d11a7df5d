"""What staging hands on: the staged submission, and the error a student reads when it fails."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


class SubmissionError(Exception):
    """The submission cannot be staged. The message names the path and the problem."""



@dataclass(frozen=True)
class StagedSubmission:
    """A staged copy of a submission, ready for the worker to import.

    `root` goes on the worker's sys.path; `engine_module` / `nn_module` are what the worker imports.
    `notes` tell the student what was left out or added, so nothing happens to their files silently.
    """

    source: str
    root: Path
    engine_module: str
    nn_module: str | None
    layout: str
    files: tuple[str, ...]
    notes: tuple[str, ...] = field(default=())

