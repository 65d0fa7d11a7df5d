"""Each student's output folder, and whether it already holds a finished grade.

`DIR/<key>/` holds `results.json`, `feedback.md` and `junit.xml`, each written atomically by the
existing reporters, then `.mgrade-graded.json`, the marker that says the grade is complete and
what it was made from (the settings and a fingerprint of the submission). A re-run treats a
student as finished only when that marker is present and matches: a killed run leaves either a
whole grade or none, and a changed submission or other settings are graded again.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from autograder.reporters.atomic import atomic_write_text

RESULTS = "results.json"
FEEDBACK = "feedback.md"
JUNIT = "junit.xml"
MARKER = ".mgrade-graded.json"
_FINGERPRINT_FILES = 5_000  # entries looked at; a bigger submission is refused by the loader

GRADED = "graded"  # grade() completed; the student's result stands
ERRORED = "errored"  # the grader could not grade it; graded again by the next run


@dataclass(frozen=True)
class Settings:
    """What a grade depends on besides the submission itself."""

    assignments: tuple[str, ...]
    seed: int | None
    oracle: str
    isolation: str | None
    grader_version: str

    def digest(self) -> str:
        return _sha(json.dumps([list(self.assignments), self.seed, self.oracle, self.isolation,
                                self.grader_version]))


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def submission_fingerprint(path: Path) -> str:
    """Names, sizes and modification times of the submission's files: cheap, and it changes when
    a student's files are replaced (a late resubmission is graded again)."""
    rows: list[str] = []
    try:
        if path.is_dir():
            for folder, dirs, files in os.walk(path):
                dirs.sort()
                for name in sorted(files):
                    full = Path(folder) / name
                    stat = full.lstat()
                    rows.append(f"{full.relative_to(path)}\0{stat.st_size}\0{stat.st_mtime_ns}")
                if len(rows) > _FINGERPRINT_FILES:
                    break
        else:
            stat = path.lstat()
            rows.append(f"{path.name}\0{stat.st_size}\0{stat.st_mtime_ns}")
    except OSError as exc:
        rows.append(f"unreadable: {exc}")
    return _sha("\n".join(rows))


class Outputs:
    """The batch's output folder."""

    def __init__(self, out: Path) -> None:
        self.out = out

    def folder(self, key: str) -> Path:
        return self.out / key

    def paths(self, key: str) -> dict[str, Path]:
        folder = self.folder(key)
        return {"json": folder / RESULTS, "md": folder / FEEDBACK, "junit": folder / JUNIT}

    def marker(self, key: str) -> dict | None:
        try:
            data = json.loads((self.folder(key) / MARKER).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def finished(self, key: str, settings: Settings, fingerprint: str) -> bool:
        """True when a complete grade with these settings, of these files, is on disk."""
        marker = self.marker(key)
        return (marker is not None and marker.get("status") == GRADED
                and marker.get("settings") == settings.digest()
                and marker.get("submission") == fingerprint
                and all(p.is_file() for p in self.paths(key).values()))

    def write(self, key: str, report, settings: Settings, fingerprint: str, status: str) -> None:
        """Write the three reports, then the marker. Raises ReportWriteError if a report fails."""
        from autograder.reporters import write_reports

        paths = self.paths(key)
        folder = self.folder(key)
        (folder / MARKER).unlink(missing_ok=True)  # stale until the new grade is complete
        write_reports(report, json_path=paths["json"], junit_path=paths["junit"],
                      md_path=paths["md"])
        marker = {"status": status, "settings": settings.digest(), "submission": fingerprint,
                  "score": report.score, "max_score": report.max_score,
                  "internal_error": report.internal_error,
                  "execution_time": report.execution_time}
        atomic_write_text(folder / MARKER, json.dumps(marker, indent=1) + "\n")
