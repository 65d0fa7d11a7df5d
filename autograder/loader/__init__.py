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

import os
import zipfile
from dataclasses import replace
from pathlib import Path

from autograder.loader import caps
from autograder.loader.listing import (
    _file_reader,
    _list_directory,
    _list_zip,
    _Listing,
    _mb,
)
from autograder.loader.staged import StagedSubmission, SubmissionError
from autograder.loader.staging import (
    _PACKAGE,
    _candidates_at,
    _prepare_stage,
    _stage,
    _top_folders,
    _write_file,
)

__all__ = ["StagedSubmission", "SubmissionError", "load_submission"]


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
    if size > caps.MAX_ARCHIVE_BYTES:
        raise SubmissionError(
            f"{source}: the archive is {_mb(size)}, more than the limit of "
            f"{_mb(caps.MAX_ARCHIVE_BYTES)}; submit only your code"
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
    if size > caps.MAX_ARCHIVE_BYTES:
        raise SubmissionError(
            f"{source}: the notebook is {_mb(size)}, more than the limit of "
            f"{_mb(caps.MAX_ARCHIVE_BYTES)}; clear its outputs (Edit > Clear All Outputs) and "
            "resubmit"
        )
    data = _file_reader(path, source, path.name)(caps.MAX_ARCHIVE_BYTES)
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

