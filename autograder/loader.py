"""Stage a student's submission (a folder, a .zip or a notebook) into a fresh directory for the
worker.

A submission is untrusted input from someone who is still learning, so this module is strict in
two directions at once: it refuses anything that could hurt the grader (path traversal, zip bombs,
symlinks pointing outside, startup hooks such as `sitecustomize.py`), and every refusal says which
file is at fault and what to do about it, because a student reads these messages.

Nothing is compiled or imported here. The worker imports the staged copy and reports syntax errors
with line numbers; the grader never reads the student's original folder again after staging.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import zipfile
from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

# ---- caps ---------------------------------------------------------------------------------------
# A micrograd engine and network fit in two files of a few kilobytes. The caps leave room for notes,
# plots and small data files, and stop anything that would make staging slow or fill the disk.
MAX_FILES = 2_000  # files staged from the chosen folder
MAX_TOTAL_BYTES = 20 * 1024 * 1024  # uncompressed bytes staged in total
MAX_FILE_BYTES = 5 * 1024 * 1024  # uncompressed bytes of one file
MAX_ARCHIVE_BYTES = MAX_TOTAL_BYTES  # size of an uploaded .zip on disk
MAX_LISTED_ENTRIES = 10 * MAX_FILES  # entries looked at while searching for engine.py
MAX_ZIP_RATIO = 100  # uncompressed / compressed; beyond this a large member is a zip bomb
ZIP_RATIO_MIN_BYTES = 1024 * 1024  # small members may compress well (a file of spaces): not checked
_CHUNK = 64 * 1024

# ---- what is not copied -------------------------------------------------------------------------
# Ignored silently: editor, VCS and OS clutter that is never part of an answer.
_IGNORED_DIRS = frozenset({"__pycache__", "__MACOSX"})
_IGNORED_SUFFIXES = (".pyc", ".pyo")
# Skipped with a note: files that Python or pytest run automatically, and native code, which would
# let a submission execute outside the engine it is graded on.
_SKIPPED_NAMES = {
    "sitecustomize.py": "Python runs sitecustomize.py at startup; the grader never loads it",
    "usercustomize.py": "Python runs usercustomize.py at startup; the grader never loads it",
    "conftest.py": "pytest runs conftest.py automatically; the grader never loads it",
}
_SKIPPED_SUFFIXES = {
    ".pth": ".pth files can run code at interpreter startup; the grader never loads them",
    ".so": "compiled extension modules are not accepted; the engine must be pure Python",
    ".pyd": "compiled extension modules are not accepted; the engine must be pure Python",
    ".dll": "compiled libraries are not accepted; the engine must be pure Python",
    ".dylib": "compiled libraries are not accepted; the engine must be pure Python",
}

_PACKAGE = "micrograd"
_ENGINE_CANDIDATES = ("micrograd/engine.py", "engine.py")
_LISTING_PREVIEW = 15


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


@dataclass(frozen=True)
class _Entry:
    """One regular file of the submission: its path inside it and how to read it within caps."""

    rel: str
    read: Callable[[int], bytes]  # read(limit) -> at most limit + 1 bytes


@dataclass
class _Listing:
    """Every usable file of a submission, before a folder is chosen."""

    entries: dict[str, _Entry] = field(default_factory=dict)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (rel, reason)
    symlinks: list[str] = field(default_factory=list)
    ignored: int = 0  # hidden files, caches: never mentioned unless nothing else is left


def load_submission(path: Path, stage_dir: Path) -> StagedSubmission:
    """Find the engine in `path` (a folder, a .zip or a .ipynb) and copy the submission into
    `stage_dir`.

    `stage_dir` must be an empty directory the caller owns and later deletes (also after a
    SubmissionError, which may leave a partial copy). Staged directories get mode 0755 and files
    0644 because the worker may run as another user.
    """
    source = str(path)
    _prepare_stage(stage_dir)
    if not os.path.lexists(path):
        raise SubmissionError(f"{source}: no such file or directory")
    if path.is_dir():
        listing = _list_directory(path, source)
        notebook = _lone_notebook(listing)
        if notebook is not None:  # e.g. nbgrader's submitted/<student>/<assignment>/
            staged = _stage_notebook(path / notebook, str(path / notebook), stage_dir)
            return replace(staged, notes=(f"graded the notebook {notebook} (the folder has no "
                                          "engine.py)", *staged.notes))
        folder_name = path.resolve().name
        return _stage(source, listing, stage_dir, folder_name, archive=False)
    if not path.is_file():
        raise SubmissionError(f"{source}: not a folder or a .zip archive")
    suffix = path.suffix.lower()
    if suffix == ".ipynb":
        return _stage_notebook(path, source, stage_dir)
    if suffix == ".py":
        raise SubmissionError(
            f"{source}: a single .py file is not a submission; submit the folder that contains "
            "micrograd/engine.py (or engine.py), or a .zip of it"
        )
    if suffix != ".zip" and not zipfile.is_zipfile(path):
        raise SubmissionError(
            f"{source}: not a folder or a .zip archive (other archive formats are not accepted)"
        )
    size = path.stat().st_size
    if size > MAX_ARCHIVE_BYTES:
        raise SubmissionError(
            f"{source}: the archive is {_mb(size)}, more than the limit of "
            f"{_mb(MAX_ARCHIVE_BYTES)}; submit only your code"
        )
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise SubmissionError(f"{source}: not a valid zip archive ({exc})") from None
    with archive:
        listing = _list_zip(archive, source)
        return _stage(source, listing, stage_dir, folder_name=None, archive=True)


def _lone_notebook(listing: _Listing) -> str | None:
    """The folder's one top-level .ipynb when no engine.py is there to grade instead."""
    files = listing.entries.keys()
    if _candidates_at("", files) or any(_candidates_at(sub, files) for sub in _top_folders(files)):
        return None
    notebooks = [rel for rel in files if "/" not in rel and rel.lower().endswith(".ipynb")]
    return notebooks[0] if len(notebooks) == 1 else None


def _stage_notebook(path: Path, source: str, stage_dir: Path) -> StagedSubmission:
    """Stage the graded code of a notebook (see autograder.notebooks.extract) as micrograd/."""
    from autograder.notebooks.extract import NotebookError, notebook_code, read_notebook

    size = path.stat().st_size
    if size > MAX_ARCHIVE_BYTES:
        raise SubmissionError(
            f"{source}: the notebook is {_mb(size)}, more than the limit of "
            f"{_mb(MAX_ARCHIVE_BYTES)}; clear its outputs (Edit > Clear All Outputs) and resubmit"
        )
    data = _file_reader(path, source, path.name)(MAX_ARCHIVE_BYTES)
    try:
        code = notebook_code(read_notebook(data, source), source)
    except NotebookError as exc:
        raise SubmissionError(str(exc)) from None
    for rel, text in sorted(code.files.items()):
        _write_file(stage_dir, rel, text.encode("utf-8"))
    has_nn = f"{_PACKAGE}/nn.py" in code.files
    return StagedSubmission(
        source=source,
        root=stage_dir,
        engine_module=f"{_PACKAGE}.engine",
        nn_module=f"{_PACKAGE}.nn" if has_nn else None,
        layout="notebook",
        files=tuple(sorted(code.files)),
        notes=tuple(code.notes),
    )


# ---- staging ------------------------------------------------------------------------------------


def _prepare_stage(stage_dir: Path) -> None:
    stage_dir.mkdir(parents=True, exist_ok=True)
    if any(stage_dir.iterdir()):
        raise ValueError(f"stage directory {stage_dir} is not empty")
    os.chmod(stage_dir, 0o755)


def _stage(
    source: str, listing: _Listing, stage_dir: Path, folder_name: str | None, archive: bool
) -> StagedSubmission:
    prefix, layout = _choose_folder(source, listing, archive)
    notes: list[str] = []
    dest_prefix = ""
    if prefix:
        notes.append(f"graded the folder {prefix.rstrip('/')}/ inside the submission")
    if layout == "flat" and not prefix and folder_name == _PACKAGE:
        # The student passed the micrograd package folder itself: keep it a package so that
        # `from .engine import Value` and `from micrograd.engine import Value` both work.
        layout, dest_prefix = "package", f"{_PACKAGE}/"
    chosen = sorted(rel for rel in listing.entries if rel.startswith(prefix))
    if len(chosen) > MAX_FILES:
        raise SubmissionError(
            f"{source}: {len(chosen)} files, more than the limit of {MAX_FILES:,}; submit only "
            "your code (leave out datasets, virtual environments and build folders)"
        )
    for rel, reason in listing.skipped:
        if rel.startswith(prefix):
            notes.append(f"skipped {rel}: {reason}")
    total = 0
    staged_py: list[str] = []
    for rel in chosen:
        entry = listing.entries[rel]
        data = entry.read(min(MAX_FILE_BYTES, MAX_TOTAL_BYTES - total))
        if len(data) > MAX_FILE_BYTES:
            raise SubmissionError(
                f"{source}: {rel} is larger than {_mb(MAX_FILE_BYTES)} (the limit for one file)"
            )
        total += len(data)
        if total > MAX_TOTAL_BYTES:
            raise SubmissionError(
                f"{source}: the files add up to more than {_mb(MAX_TOTAL_BYTES)} (the limit for "
                f"a submission; reached at {rel}); submit only your code"
            )
        target = dest_prefix + rel[len(prefix) :]
        if target.endswith(".py"):
            _require_utf8(source, rel, data)
            staged_py.append(target)
        try:
            _write_file(stage_dir, target, data)
        except OSError as exc:  # e.g. a name too long, or a file where a folder is needed
            raise SubmissionError(f"{source}: cannot copy {rel} ({exc.strerror})") from None
    if layout == "package":
        init = f"{_PACKAGE}/__init__.py"
        if init not in staged_py:
            _write_file(stage_dir, init, b"")
            staged_py.append(init)
            notes.append(f"added an empty {init} (the folder had none)")
        engine, nn = f"{_PACKAGE}.engine", f"{_PACKAGE}.nn"
        has_nn = f"{_PACKAGE}/nn.py" in staged_py
    else:
        engine, nn = "engine", "nn"
        has_nn = "nn.py" in staged_py
    return StagedSubmission(
        source=source,
        root=stage_dir,
        engine_module=engine,
        nn_module=nn if has_nn else None,
        layout=layout,
        files=tuple(sorted(staged_py)),
        notes=tuple(notes),
    )


def _choose_folder(source: str, listing: _Listing, archive: bool) -> tuple[str, str]:
    """(prefix, layout) of the one folder holding the engine: the top, else one folder down."""
    files = listing.entries.keys()
    top = _candidates_at("", files)
    candidates = top or [
        found for sub in _top_folders(files) for found in _candidates_at(sub, files)
    ]
    if len(candidates) == 1:
        return candidates[0]
    if candidates:
        where = ", ".join(
            prefix + ("micrograd/engine.py" if layout == "package" else "engine.py")
            for prefix, layout in candidates
        )
        raise SubmissionError(
            f"{source}: found more than one engine ({where}); submit exactly one "
            "(remove the others, or submit the folder you want graded)"
        )
    raise SubmissionError(_no_engine_message(source, listing, archive))


def _candidates_at(prefix: str, files: Collection[str]) -> list[tuple[str, str]]:
    found = []
    if f"{prefix}micrograd/engine.py" in files:
        found.append((prefix, "package"))
    if f"{prefix}engine.py" in files:
        found.append((prefix, "flat"))
    return found


def _top_folders(files: Collection[str]) -> list[str]:
    return sorted({rel.split("/", 1)[0] + "/" for rel in files if "/" in rel})


def _no_engine_message(source: str, listing: _Listing, archive: bool) -> str:
    files = sorted(listing.entries)
    if not files:
        what = "the archive" if archive else "the folder"
        extra = ""
        if listing.ignored:
            extra = " (hidden files, __pycache__ and .pyc files are ignored)"
        if listing.symlinks:
            extra = f" (symbolic links are not followed: {', '.join(listing.symlinks[:5])})"
        return f"{source}: {what} is empty{extra}"
    if archive and not any(rel.endswith(".py") for rel in files):
        message = (
            f"{source}: no Python files in the archive (need micrograd/engine.py or engine.py); "
            f"it contains: {_preview(files)}"
        )
    else:
        message = (
            f"{source}: no engine.py found (looked for micrograd/engine.py and engine.py, at the "
            f"top and one folder down); it contains: {_preview(files)}"
        )
    names = {rel: PurePosixPath(rel).name for rel in files}
    for rel in [rel for rel, name in names.items() if name == "engine.py"][:3]:
        folder = PurePosixPath(rel).parent
        if folder.name == _PACKAGE:
            folder = folder.parent
        message += f"; found {rel} deeper than one folder: submit the folder {folder} instead"
    wrong_case = [rel for rel, name in names.items() if name.lower() == "engine.py" != name]
    if wrong_case:
        message += (
            f"; found {', '.join(wrong_case[:5])}: file names are case-sensitive, rename it to "
            "engine.py"
        )
    notebooks = [rel for rel in files if rel.lower().endswith(".ipynb")]
    if notebooks:
        message += f"; to grade a notebook, submit the .ipynb file itself ({notebooks[0]})"
    if listing.symlinks:
        message += f"; symbolic links are not followed: {', '.join(listing.symlinks[:5])}"
    return message


def _preview(files: list[str]) -> str:
    names = sorted({rel.split("/", 1)[0] + ("/" if "/" in rel else "") for rel in files})
    shown = ", ".join(names[:_LISTING_PREVIEW])
    if len(names) > _LISTING_PREVIEW:
        shown += f", and {len(names) - _LISTING_PREVIEW} more"
    return shown


def _require_utf8(source: str, rel: str, data: bytes) -> None:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise SubmissionError(
            f"{source}: {rel} is not valid UTF-8 text (byte 0x{data[exc.start]:02x} on line "
            f"{line}); save the file with UTF-8 encoding"
        ) from None


def _write_file(stage_dir: Path, rel: str, data: bytes) -> None:
    target = stage_dir
    parts = rel.split("/")
    for part in parts[:-1]:
        target = target / part
        if not target.is_dir():
            target.mkdir()
            os.chmod(target, 0o755)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(target / parts[-1], flags, 0o644)
    try:
        os.fchmod(fd, 0o644)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


def _skip_reason(rel: str) -> str | None:
    name = PurePosixPath(rel).name
    if name in _SKIPPED_NAMES:
        return _SKIPPED_NAMES[name]
    return _SKIPPED_SUFFIXES.get(PurePosixPath(name).suffix.lower())


def _ignored(parts: list[str]) -> bool:
    """Hidden files and folders, caches and macOS archive clutter are never part of an answer."""
    if any(part.startswith(".") or part in _IGNORED_DIRS for part in parts):
        return True
    return parts[-1].endswith(_IGNORED_SUFFIXES)


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB" if size >= 1024 * 1024 else f"{size:,} bytes"


# ---- folders ------------------------------------------------------------------------------------


def _list_directory(top: Path, source: str) -> _Listing:
    """Walk `top` without following symlinks (a link could point at another student's work)."""
    listing = _Listing()
    seen = 0
    pending = [""]
    while pending:
        rel_dir = pending.pop()
        try:
            with os.scandir(top / rel_dir if rel_dir else top) as it:
                children = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            raise SubmissionError(
                f"{source}: cannot read the folder {rel_dir or '.'} ({exc.strerror})"
            ) from None
        for child in children:
            seen += 1
            if seen > MAX_LISTED_ENTRIES:
                raise SubmissionError(
                    f"{source}: more than {MAX_LISTED_ENTRIES:,} files and folders; submit only "
                    "the folder with your code"
                )
            rel = f"{rel_dir}{child.name}"
            if _ignored([child.name]):
                listing.ignored += 1
                continue
            if child.is_symlink():
                listing.symlinks.append(rel)
                listing.skipped.append((rel, "symbolic links are not copied"))
            elif child.is_dir(follow_symlinks=False):
                pending.append(rel + "/")
            elif child.is_file(follow_symlinks=False):
                reason = _skip_reason(rel)
                if reason:
                    listing.skipped.append((rel, reason))
                else:
                    listing.entries[rel] = _Entry(rel, _file_reader(top / rel, source, rel))
            else:
                listing.skipped.append((rel, "not a regular file"))
    return listing


def _file_reader(path: Path, source: str, rel: str) -> Callable[[int], bytes]:
    def read(limit: int) -> bytes:
        flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
        try:
            fd = os.open(path, flags)
        except OSError as exc:
            reason = "it is a symbolic link" if exc.errno == errno.ELOOP else exc.strerror
            raise SubmissionError(f"{source}: cannot read {rel} ({reason})") from None
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise SubmissionError(f"{source}: {rel} is not a regular file")
            return _read_capped(lambda n: os.read(fd, n), limit)
        except OSError as exc:
            raise SubmissionError(f"{source}: cannot read {rel} ({exc.strerror})") from None
        finally:
            os.close(fd)

    return read


def _read_capped(read_chunk: Callable[[int], bytes], limit: int) -> bytes:
    """Read until EOF or until one byte past `limit`, whichever comes first."""
    chunks: list[bytes] = []
    got = 0
    while got <= limit:
        chunk = read_chunk(min(_CHUNK, limit + 1 - got))
        if not chunk:
            break
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


# ---- zip archives -------------------------------------------------------------------------------

_DRIVE = re.compile(r"^[A-Za-z]:")


def _list_zip(archive: zipfile.ZipFile, source: str) -> _Listing:
    """Validate every member's header, then list the usable ones. Nothing is extracted here."""
    members = archive.infolist()
    if len(members) > MAX_LISTED_ENTRIES:
        raise SubmissionError(
            f"{source}: the archive has {len(members):,} entries, more than the limit of "
            f"{MAX_LISTED_ENTRIES:,}; submit only your code"
        )
    listing = _Listing()
    for info in members:
        rel = _member_path(source, info)
        if info.is_dir() or not rel:
            continue
        if info.flag_bits & 0x1:
            raise SubmissionError(
                f"{source}: {info.filename} is encrypted; make the zip without a password"
            )
        mode = info.external_attr >> 16
        if mode and stat.S_ISLNK(mode):
            raise SubmissionError(
                f"{source}: {info.filename} is a symbolic link; zip the real files instead"
            )
        if info.file_size > ZIP_RATIO_MIN_BYTES and info.file_size > MAX_ZIP_RATIO * max(
            info.compress_size, 1
        ):
            raise SubmissionError(
                f"{source}: {info.filename} expands {info.file_size // max(info.compress_size, 1)}"
                f" times when unzipped (a zip bomb?); the limit is {MAX_ZIP_RATIO} times"
            )
        if _ignored(rel.split("/")):
            listing.ignored += 1
            continue
        if rel in listing.entries:
            raise SubmissionError(f"{source}: {rel} appears twice in the archive")
        reason = _skip_reason(rel)
        if reason:
            listing.skipped.append((rel, reason))
            continue
        listing.entries[rel] = _Entry(rel, _member_reader(archive, info, source))
    return listing


def _member_path(source: str, info: zipfile.ZipInfo) -> str:
    """The member's path with `/` separators; refuses anything that could land outside the stage."""
    name = info.filename.replace("\\", "/")  # some Windows tools write backslashes
    if "\x00" in name:
        raise SubmissionError(f"{source}: a member name contains a NUL byte: {name!r}")
    if name.startswith("/") or _DRIVE.match(name):
        raise SubmissionError(
            f"{source}: {info.filename} has an absolute path; zip the folder with relative paths"
        )
    parts = [part for part in name.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise SubmissionError(
            f"{source}: {info.filename} points outside the archive ('..' in its path)"
        )
    return "/".join(parts)


def _member_reader(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, source: str
) -> Callable[[int], bytes]:
    def read(limit: int) -> bytes:
        # Header sizes are not trusted: stop at the cap and at the ratio, whatever they claim.
        ratio_cap = max(MAX_ZIP_RATIO * max(info.compress_size, 1), ZIP_RATIO_MIN_BYTES)
        cap = min(limit, ratio_cap)
        try:
            with archive.open(info) as member:
                data = _read_capped(member.read, cap)
        except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
            raise SubmissionError(f"{source}: {info.filename} is corrupt ({exc})") from None
        except NotImplementedError as exc:
            raise SubmissionError(
                f"{source}: {info.filename} uses an unsupported compression ({exc}); "
                "make the zip with standard (deflate) compression"
            ) from None
        if len(data) > ratio_cap and ratio_cap < limit:
            raise SubmissionError(
                f"{source}: {info.filename} expands more than {MAX_ZIP_RATIO} times when "
                "unzipped (a zip bomb?)"
            )
        return data

    return read
