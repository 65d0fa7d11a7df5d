"""Find one submission per student in the folder given to `mgrade grade-all`.

Three layouts are recognised, in this order:

- **Gradescope export** ("Download submissions"): a `submission_metadata.yml` next to one
  `submission_<id>/` folder per submission (also accepted: the export's single top folder).
  Students are named by their SID, else e-mail, else name; a group submission is graded once
  and gets one gradebook row per member.
- **nbgrader**: the course's `submitted/` folder (or the course folder holding it), laid out as
  `submitted/{student}/{assignment}/`. When students have more than one assignment folder, the
  one to grade must be named.
- **Plain**: one entry per student: a folder, a `.zip`, a notebook (`.ipynb`) or a single `.py`
  file (graded as that student's `engine.py`). The student is the entry's name without suffix.

Hidden entries (`.git`, `.DS_Store`) are ignored; other files are skipped with a note, so a stray
README never becomes a student.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

SUBMISSION_SUFFIXES = (".zip", ".py", ".ipynb")
GRADESCOPE_METADATA = "submission_metadata.yml"
NBGRADER_SUBMITTED = "submitted"
_IGNORED = {"__MACOSX", "__pycache__"}
_UNSAFE = re.compile(r"[^A-Za-z0-9._@+-]+")


class DiscoveryError(Exception):
    """The folder cannot be read as a class of submissions; the message says why."""


@dataclass(frozen=True)
class Submission:
    """One thing to grade. `key` names its output folder; `students` are its gradebook rows."""

    key: str
    path: Path
    students: tuple[str, ...]


@dataclass
class Found:
    layout: str  # "plain", "nbgrader" or "gradescope"
    submissions: list[Submission]
    notes: list[str] = field(default_factory=list)  # entries skipped, and why


def discover(root: Path, *, nbgrader_assignment: str | None = None,
             exclude: Iterable[Path] = ()) -> Found:
    """Every submission under `root`, in a stable order. `exclude`: folders never graded (the
    output folder, when it lies inside `root`)."""
    if not root.is_dir():
        raise DiscoveryError(f"{root}: not a folder (give the folder holding one submission per "
                             "student; unzip a Gradescope export first)")
    excluded = {p.resolve() for p in exclude}
    gradescope = _gradescope_root(root)
    if gradescope is not None:
        return _gradescope(gradescope, excluded)
    submitted = root if root.name == NBGRADER_SUBMITTED else root / NBGRADER_SUBMITTED
    if submitted.is_dir():
        return _nbgrader(submitted, nbgrader_assignment, excluded)
    return _plain(root, excluded)


def safe_key(name: str) -> str:
    """`name` as a folder name: no separators, no leading dot, never empty."""
    key = _UNSAFE.sub("_", name).lstrip(".")
    return key[:120] or "_"


def _entries(folder: Path, excluded: set[Path]) -> list[Path]:
    return sorted(p for p in folder.iterdir()
                  if not p.name.startswith(".") and p.name not in _IGNORED
                  and p.resolve() not in excluded)


class _Keys:
    """Unique folder names: a second "alice" (say alice/ and alice.zip) becomes "alice-2"."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def __call__(self, name: str) -> str:
        base = safe_key(name)
        key, n = base, 1
        while key.lower() in self.used:
            n += 1
            key = f"{base}-{n}"
        self.used.add(key.lower())
        return key


# ---- plain --------------------------------------------------------------------------------------


def _plain(root: Path, excluded: set[Path]) -> Found:
    found = Found("plain", [])
    keys = _Keys()
    for entry in _entries(root, excluded):
        if entry.is_dir() and not entry.is_symlink():
            name = entry.name
        elif entry.is_file() and entry.suffix.lower() in SUBMISSION_SUFFIXES:
            name = entry.stem
        else:
            found.notes.append(f"skipped {entry}: not a submission (expected one folder, .zip, "
                               ".ipynb or .py per student)")
            continue
        key = keys(name)
        found.submissions.append(Submission(key, entry, (key,)))
    return found


# ---- nbgrader -----------------------------------------------------------------------------------


def _nbgrader(submitted: Path, wanted: str | None, excluded: set[Path]) -> Found:
    students = [p for p in _entries(submitted, excluded) if p.is_dir()]
    names = sorted({a.name for s in students for a in _entries(s, excluded) if a.is_dir()})
    if wanted is None:
        if len(names) > 1:
            raise DiscoveryError(f"{submitted}: students submitted several nbgrader assignments "
                                 f"({', '.join(names)}); choose one with --nbgrader-assignment")
        wanted = names[0] if names else None
    found = Found("nbgrader", [])
    keys = _Keys()
    for student in students:
        folder = student / wanted if wanted else None
        if folder is None or not folder.is_dir():
            found.notes.append(f"skipped {student.name}: no submitted/{student.name}/"
                               f"{wanted or '<assignment>'}/ folder")
            continue
        key = keys(student.name)
        found.submissions.append(Submission(key, folder, (key,)))
    return found


# ---- Gradescope ---------------------------------------------------------------------------------


def _gradescope_root(root: Path) -> Path | None:
    if (root / GRADESCOPE_METADATA).is_file():
        return root
    children = [p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")]
    if len(children) == 1 and (children[0] / GRADESCOPE_METADATA).is_file():
        return children[0]
    return None


def _gradescope(root: Path, excluded: set[Path]) -> Found:
    metadata_path = root / GRADESCOPE_METADATA
    metadata = _read_metadata(metadata_path)
    found = Found("gradescope", [])
    keys = _Keys()
    listed: set[str] = set()
    for folder_name, record in metadata.items():
        folder = root / str(folder_name)
        listed.add(str(folder_name))
        if not folder.is_dir():
            found.notes.append(f"skipped {folder_name}: listed in {metadata_path.name} but there "
                               "is no such folder")
            continue
        people = _submitters(record) or [str(folder_name)]
        key = keys("+".join(people))
        found.submissions.append(Submission(key, folder, tuple(safe_key(p) for p in people)))
    for folder in _entries(root, excluded):
        if folder.is_dir() and folder.name not in listed:
            key = keys(folder.name)
            found.submissions.append(Submission(key, folder, (key,)))
            found.notes.append(f"{folder.name}: not in {metadata_path.name}; graded under its "
                               "folder name")
    return found


def _read_metadata(path: Path) -> dict:
    import yaml

    class _Loader(yaml.SafeLoader):
        """Safe loading that reads Ruby tags (`!ruby/object:BigDecimal`) as plain values."""

    def _untagged(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> object:
        if isinstance(node, yaml.MappingNode):
            return loader.construct_mapping(node)
        if isinstance(node, yaml.SequenceNode):
            return loader.construct_sequence(node)
        return loader.construct_scalar(node)

    _Loader.add_multi_constructor("!", _untagged)
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise DiscoveryError(f"{path}: cannot read the Gradescope metadata ({exc})") from None
    if not isinstance(data, dict):
        raise DiscoveryError(f"{path}: expected one entry per submission folder")
    return data


def _submitters(record: object) -> list[str]:
    if not isinstance(record, dict):
        return []
    people = []
    for person in record.get(":submitters") or record.get("submitters") or []:
        if not isinstance(person, dict):
            continue
        for field_name in (":sid", ":email", ":name", "sid", "email", "name"):
            value = person.get(field_name)
            if value not in (None, ""):
                people.append(str(value))
                break
    return people
