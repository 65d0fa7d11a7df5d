"""Choosing the folder that holds the engine, and copying it into the stage directory."""

from __future__ import annotations

import os
from collections.abc import Collection
from pathlib import Path, PurePosixPath

from autograder.loader import caps
from autograder.loader.listing import _Listing, _mb
from autograder.loader.staged import StagedSubmission, SubmissionError

_PACKAGE = "micrograd"
_ENGINE_CANDIDATES = ("micrograd/engine.py", "engine.py")
_LISTING_PREVIEW = 15


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
    if len(chosen) > caps.MAX_FILES:
        raise SubmissionError(
            f"{source}: {len(chosen)} files, more than the limit of {caps.MAX_FILES:,}; submit "
            "only your code (leave out datasets, virtual environments and build folders)"
        )
    for rel, reason in listing.skipped:
        if rel.startswith(prefix):
            notes.append(f"skipped {rel}: {reason}")
    total = 0
    staged_py: list[str] = []
    for rel in chosen:
        entry = listing.entries[rel]
        data = entry.read(min(caps.MAX_FILE_BYTES, caps.MAX_TOTAL_BYTES - total))
        if len(data) > caps.MAX_FILE_BYTES:
            raise SubmissionError(
                f"{source}: {rel} is larger than {_mb(caps.MAX_FILE_BYTES)} (the limit for one "
                "file)"
            )
        total += len(data)
        if total > caps.MAX_TOTAL_BYTES:
            raise SubmissionError(
                f"{source}: the files add up to more than {_mb(caps.MAX_TOTAL_BYTES)} (the limit "
                f"for a submission; reached at {rel}); submit only your code"
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

