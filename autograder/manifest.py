"""Assignment manifests: `assignments/<id>/assignment.toml` says what is graded and for how much.

Instructors write these by hand, so the parser is unforgiving: an unknown key, a misspelt check id
or a limit out of range is an error that names the file and the key. A typo that silently dropped
a check or a limit would change students' grades without anyone noticing.

See docs/ASSIGNMENTS.md for the format.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograder.policy import FORBIDDEN_IMPORTS
from autograder.pricing import CheckSpec, read_checks
from autograder.tomlread import ManifestError, Reader, is_number, show

MANIFEST_NAME = "assignment.toml"
ENV_ASSIGNMENTS = "MGRADE_ASSIGNMENTS"

# (default, lowest, highest) of every [limits] key; documented in docs/ASSIGNMENTS.md.
LIMIT_RANGES: dict[str, tuple[float, float, float]] = {
    "call_timeout_s": (10.0, 0.0, 600.0),  # wall clock per worker call; the lower bound is excluded
    "memory_mb": (1024, 128, 16384),  # address-space cap of the worker
    "max_examples": (40, 1, 10_000),  # hypothesis examples per check
    "output_cap_kb": (64, 1, 16_384),  # captured student stdout/stderr per worker
}

_SECTIONS = ("assignment", "limits", "policy", "checks", "release")
_ASSIGNMENT_KEYS = ("id", "title", "seed")
_POLICY_KEYS = ("allow_imports", "strict_imports")
_RELEASE_KEYS = ("implement", "kit")
_ASSIGNMENT_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
_MAX_SEED = 2**63 - 1


@dataclass(frozen=True)
class Limits:
    """Resource limits for the worker that grades this assignment."""

    call_timeout_s: float = LIMIT_RANGES["call_timeout_s"][0]
    memory_mb: int = int(LIMIT_RANGES["memory_mb"][0])
    max_examples: int = int(LIMIT_RANGES["max_examples"][0])
    output_cap_kb: int = int(LIMIT_RANGES["output_cap_kb"][0])


@dataclass(frozen=True)
class Assignment:
    """A parsed, validated manifest. `path` is the assignment.toml it came from."""

    id: str
    title: str
    seed: int
    limits: Limits
    allow_imports: tuple[str, ...]
    checks: tuple[CheckSpec, ...]
    path: Path
    # False: a forbidden import costs only the checks whose code uses it (an unused one costs
    # nothing). True: any forbidden import in a file costs every check that runs the file.
    strict_imports: bool = False
    # [release] implement: patterns of the reference functions students write for this assignment
    # ("engine.Value.__add__", "nn.*"); see docs/RELEASE.md.
    implement: tuple[str, ...] = ()
    # [release] kit = true: a student kit's copy, written by `mgrade release --kit`. pytest
    # collects the checks of kit manifests only (autograder/pytest_plugin).
    kit: bool = False

    @property
    def max_score(self) -> float:
        return round(sum(check.points for check in self.checks), 6)

    @property
    def forbidden_imports(self) -> tuple[str, ...]:
        """The policy's forbidden list minus what this assignment allows."""
        return tuple(name for name in FORBIDDEN_IMPORTS if name not in self.allow_imports)

    def check(self, check_id: str) -> CheckSpec:
        for spec in self.checks:
            if spec.id == check_id:
                return spec
        raise KeyError(f"{self.id} has no check {check_id!r}")


def load_assignment(path: Path, known_checks: Collection[str] | None = None) -> Assignment:
    """Parse and validate a manifest (`path` is the assignment.toml or its folder).

    With `known_checks` (the catalogue's ids), a check id that is not in it is an error that
    suggests the closest ids, so a misspelt id fails at load time rather than grading nothing.
    """
    file = path / MANIFEST_NAME if path.is_dir() else path
    shown = _display(file)
    try:
        with open(file, "rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise ManifestError(f"{shown}: no such file") from None
    except OSError as exc:
        raise ManifestError(f"{shown}: cannot read the file ({exc.strerror})") from None
    except UnicodeDecodeError as exc:
        raise ManifestError(f"{shown}: not valid UTF-8 ({exc.reason})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError(f"{shown}: TOML syntax error: {exc}") from None
    return _Parser(shown).assignment(data, file, known_checks)


def is_kit_manifest(file: Path) -> bool:
    """Whether `file` is a student kit's manifest: an `assignments/<id>/assignment.toml` marked
    `[release] kit = true`. Read leniently, without validating the rest: a file that is not TOML,
    or not so marked, is simply not one (`load_assignment` reports what is wrong with it)."""
    if file.name != MANIFEST_NAME or file.parent.parent.name != "assignments":
        return False
    try:
        with open(file, "rb") as handle:
            release = tomllib.load(handle).get("release")
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False
    return isinstance(release, dict) and release.get("kit") is True


def default_assignment_dirs() -> list[Path]:
    """Where assignments are looked up: $MGRADE_ASSIGNMENTS (os.pathsep-separated), then the
    repository's assignments/ folder next to the autograder package, then the manifests installed
    with the package (autograder/assignments, the same files in a wheel)."""
    dirs = [Path(item) for item in os.environ.get(ENV_ASSIGNMENTS, "").split(os.pathsep) if item]
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "assignments", here / "assignments"):
        if candidate.is_dir() and candidate not in dirs:
            dirs.append(candidate)
    return dirs


def available_assignments(search_dirs: Sequence[Path]) -> list[str]:
    """Ids of every assignment found in `search_dirs` (a folder with an assignment.toml)."""
    found: set[str] = set()
    for directory in search_dirs:
        if directory.is_dir():
            found.update(
                child.name for child in directory.iterdir() if (child / MANIFEST_NAME).is_file()
            )
    return sorted(found)


def find_assignment(assignment_id: str, search_dirs: Sequence[Path]) -> Path:
    """The assignment.toml of `assignment_id` in the first of `search_dirs` that has one."""
    if not _ASSIGNMENT_ID.match(assignment_id) or assignment_id in (".", ".."):
        raise ManifestError(
            f"{assignment_id!r} is not an assignment id (letters, digits, '_', '-' and '.')"
        )
    for directory in search_dirs:
        candidate = directory / assignment_id / MANIFEST_NAME
        if candidate.is_file():
            return candidate
    available = available_assignments(search_dirs)
    searched = ", ".join(str(d) for d in search_dirs) or "(no folders)"
    message = f"no assignment {assignment_id!r} (searched {searched})"
    message += f"; available: {', '.join(available)}" if available else "; none found"
    close = difflib.get_close_matches(assignment_id, available, n=3)
    if close:
        message += f"; did you mean {' or '.join(close)}?"
    raise ManifestError(message)


# ---- validation ---------------------------------------------------------------------------------


class _Parser(Reader):
    """Validates the decoded TOML; every error names the file and the dotted key."""

    def assignment(
        self, data: dict[str, Any], file: Path, known_checks: Collection[str] | None
    ) -> Assignment:
        self.no_unknown_keys("", data, _SECTIONS)
        head = self.table(data, "assignment", required=True)
        self.no_unknown_keys("assignment", head, _ASSIGNMENT_KEYS)
        assignment_id = self.string(head, "assignment.id", "id", required=True)
        folder = file.resolve().parent.name
        if assignment_id != folder:
            raise self.fail(
                "assignment.id", f"must equal the folder name {folder!r}, got {assignment_id!r}"
            )
        title = self.string(head, "assignment.title", "title", required=True)
        seed = self.integer(head, "assignment.seed", "seed", 0, _MAX_SEED)
        limits = self.limits(self.table(data, "limits"))
        policy = self.table(data, "policy")
        self.no_unknown_keys("policy", policy, _POLICY_KEYS)
        allow = self.allow_imports(policy)
        strict = policy.get("strict_imports", False)
        if not isinstance(strict, bool):
            raise self.fail("policy.strict_imports", f"must be true or false, got {show(strict)}")
        checks = read_checks(self.shown, self.table(data, "checks", required=True), known_checks)
        release = self.table(data, "release")
        self.no_unknown_keys("release", release, _RELEASE_KEYS)
        implement = self.string_list(release, "release.implement", "implement")
        kit = release.get("kit", False)
        if not isinstance(kit, bool):
            raise self.fail("release.kit", f"must be true or false, got {show(kit)}")
        return Assignment(assignment_id, title, seed, limits, allow, checks, file, strict,
                          implement, kit)

    # -- sections --

    def limits(self, table: dict[str, Any]) -> Limits:
        self.no_unknown_keys("limits", table, tuple(LIMIT_RANGES))
        values: dict[str, Any] = {}
        for key, (_, low, high) in LIMIT_RANGES.items():
            if key not in table:
                continue
            name = f"limits.{key}"
            if key == "call_timeout_s":
                value = table[key]
                if not is_number(value) or not low < value <= high:
                    raise self.fail(
                        name,
                        f"must be a number of seconds > {low:g} and <= {high:g}, got "
                        f"{show(value)}",
                    )
                values[key] = float(value)
            else:
                values[key] = self.integer(table, name, key, int(low), int(high))
        return Limits(**values)

    def allow_imports(self, policy: dict[str, Any]) -> tuple[str, ...]:
        names = self.string_list(policy, "policy.allow_imports", "allow_imports")
        for name in names:
            if name not in FORBIDDEN_IMPORTS:
                close = difflib.get_close_matches(name, FORBIDDEN_IMPORTS, n=3)
                hint = f"; did you mean {' or '.join(close)}?" if close else ""
                raise self.fail(
                    "policy.allow_imports",
                    f"lists {name!r}, which is not forbidden in the first place (the forbidden "
                    f"list is {', '.join(FORBIDDEN_IMPORTS)}){hint}",
                )
        return names

def _display(file: Path) -> str:
    """The path as the instructor knows it: relative to the working directory when inside it."""
    try:
        return str(file.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(file)
