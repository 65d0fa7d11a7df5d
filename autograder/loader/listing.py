"""Listing a submission's files, from a folder or a zip archive, within caps and without following
links: what is copied, what is skipped with a note, and what is ignored silently."""

from __future__ import annotations

import errno
import os
import re
import stat
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from autograder.loader import caps
from autograder.loader.staged import SubmissionError

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
            if seen > caps.MAX_LISTED_ENTRIES:
                raise SubmissionError(
                    f"{source}: more than {caps.MAX_LISTED_ENTRIES:,} files and folders; submit "
                    "only the folder with your code"
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
        chunk = read_chunk(min(caps._CHUNK, limit + 1 - got))
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
    if len(members) > caps.MAX_LISTED_ENTRIES:
        raise SubmissionError(
            f"{source}: the archive has {len(members):,} entries, more than the limit of "
            f"{caps.MAX_LISTED_ENTRIES:,}; submit only your code"
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
        if info.file_size > caps.ZIP_RATIO_MIN_BYTES and info.file_size > caps.MAX_ZIP_RATIO * max(
            info.compress_size, 1
        ):
            raise SubmissionError(
                f"{source}: {info.filename} expands {info.file_size // max(info.compress_size, 1)}"
                f" times when unzipped (a zip bomb?); the limit is {caps.MAX_ZIP_RATIO} times"
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
        ratio_cap = max(caps.MAX_ZIP_RATIO * max(info.compress_size, 1), caps.ZIP_RATIO_MIN_BYTES)
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
                f"{source}: {info.filename} expands more than {caps.MAX_ZIP_RATIO} times when "
                "unzipped (a zip bomb?)"
            )
        return data

    return read
