"""Where the examples hypothesis drew are kept: in memory for the life of a grading process, and
on disk between processes, so a fresh `mgrade grade` does not redraw what an earlier one drew.

What a check draws depends on nothing but its key (the check, its seed, the example budget, the
strategy and the explicit examples) and on the code that draws: hypothesis, Python, mgrade and the
source of the modules that define strategies and check bodies (`SOURCES`). A disk file is found
by a digest of all of that, and holds its full text, so a file left by other code is never used.
The bodies still decide: `checks.batching` gives up to the live path when a body treats a kept
example differently than it did when the example was drawn.

The directory is `$MGRADE_CACHE_DIR` (an empty value turns the disk cache off), else
`$XDG_CACHE_HOME/mgrade`, else `~/.cache/mgrade`; the files live in its `examples/` folder, which
must be private to this user. A folder that cannot be made or written means no disk cache, never
an error. Files are written whole (a temporary file, then `os.replace`) and read with
`checks.pickled.thaw`, which builds only example data; a truncated, corrupt or foreign file is
a miss, and the examples are drawn again.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograder.checks.pickled import Unreadable, freeze, thaw
from autograder.version import __version__

RUN, DONE, REJECTED = "run", "done", "rejected"  # what the body did with an example
STATUSES = frozenset({RUN, DONE, REJECTED})
ENV = "MGRADE_CACHE_DIR"
FORMAT = "mgrade examples 1"
MAGIC = FORMAT.encode() + b"\n"
MAX_BYTES = 8 * 1024 * 1024  # a file larger than this is not read
PACKAGE = Path(__file__).resolve().parents[1]
# The code that decides what is drawn: strategies and the check bodies run while drawing.
SOURCES = ("checks", "ops.py", "domains.py", "ir.py", "compare.py", "feedback.py",
           "worker/steps.py")


@dataclass(frozen=True)
class Drawn:
    pickled: bytes  # the example as hypothesis drew it (`checks.pickled.freeze`)
    status: str  # RUN, DONE or REJECTED


class ExampleCache:
    """The examples drawn for each check key: kept for the life of one grading process, and in an
    `ExampleStore` on disk when it has one. Each example is kept pickled and every use thaws its
    own copy, so a body that changes its example cannot change the next submission's."""

    def __init__(self, store: ExampleStore | None = None) -> None:
        self._drawn: dict[tuple[Any, ...], tuple[Drawn, ...]] = {}
        self.store = store
        self.hits = 0  # found in memory
        self.loaded = 0  # read from disk
        self.misses = 0  # drawn
        self.unreadable = 0  # read from disk, then found unreadable (and drawn again)

    @classmethod
    def from_environment(cls) -> ExampleCache:
        """A cache with the disk store the environment chooses (`cache_dir`), if any."""
        root = cache_dir()
        return cls(ExampleStore(root) if root is not None else None)

    def get(self, key: tuple[Any, ...]) -> tuple[Drawn, ...] | None:
        found = self._drawn.get(key)
        if found is not None:
            self.hits += 1
            return found
        found = self.store.load(key) if self.store is not None else None
        if found is None:
            self.misses += 1
            return None
        self.loaded += 1
        self._drawn[key] = found
        return found

    def put(self, key: tuple[Any, ...], drawn: list[Drawn]) -> None:
        self._drawn[key] = tuple(drawn)
        if self.store is not None:
            self.store.save(key, drawn)

    def forget(self, key: tuple[Any, ...]) -> None:
        """What `get` returned for `key` does not load: drop it (the caller draws again)."""
        self._drawn.pop(key, None)
        self.unreadable += 1


def cache_dir(environ: Mapping[str, str] = os.environ) -> Path | None:
    """mgrade's cache directory, or None when the environment turns it off."""
    if ENV in environ:
        chosen = environ[ENV]
        return Path(chosen).expanduser() if chosen else None
    xdg = environ.get("XDG_CACHE_HOME", "")
    if os.path.isabs(xdg):  # the XDG spec: a relative value is ignored
        return Path(xdg) / "mgrade"
    try:
        return Path.home() / ".cache" / "mgrade"
    except RuntimeError:  # no home directory
        return None


def describe_cache(environ: Mapping[str, str] = os.environ) -> str:
    """One line for `mgrade doctor`: where drawn examples are kept, or why they are not."""
    root = cache_dir(environ)
    if root is None:
        why = f"{ENV} is empty" if environ.get(ENV) == "" else "no home directory"
        return f"not kept on disk ({why})"
    store = ExampleStore(root)
    folder = store.folder()
    if folder is None:
        return f"not kept on disk: {store.problem}"
    return f"kept in {folder} (delete it to clear the cache; {ENV}= turns it off)"


def source_digest(package: Path = PACKAGE) -> str:
    """A digest of the code that decides what is drawn (`SOURCES`); raises OSError."""
    files: list[Path] = []
    for name in SOURCES:
        path = package / name
        files += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(package).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def stamp() -> tuple[str, ...]:
    """What decides a draw besides its key: the code and the versions that draw."""
    import hypothesis

    return (FORMAT, __version__, hypothesis.__version__, sys.implementation.name, sys.version,
            source_digest())


class ExampleStore:
    """Drawn examples on disk: one file per check key, under `root/examples/`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.problem: str | None = None  # why the store is off, once it is
        self._folder: Path | None = None
        self._stamp: tuple[str, ...] | None = None
        self._checked = False

    def folder(self) -> Path | None:
        """The examples folder, made on first use; None (and `problem` set) when it is unusable."""
        if self._checked:
            return self._folder
        self._checked = True
        folder = self.root / "examples"
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            info = os.lstat(folder)
            self._stamp = stamp()
        except OSError as exc:
            self.problem = f"{folder} cannot be used ({exc.strerror or exc})"
            return None
        geteuid = getattr(os, "geteuid", None)  # not on Windows
        if not stat.S_ISDIR(info.st_mode) or geteuid is not None and (
                info.st_uid != geteuid() or info.st_mode & 0o077):
            self.problem = f"{folder} is not a directory only this user can use"
        elif not os.access(folder, os.W_OK | os.X_OK):
            self.problem = f"{folder} cannot be written"
        else:
            self._folder = folder
        return self._folder

    def _locate(self, folder: Path, key: tuple[Any, ...]) -> tuple[Path, str]:
        text = repr((self._stamp, key))
        name = hashlib.sha256(text.encode()).hexdigest()[:40]
        return folder / f"{name}.examples", text

    def load(self, key: tuple[Any, ...]) -> tuple[Drawn, ...] | None:
        """The examples kept for `key`, or None when there is no usable file for it."""
        folder = self.folder()
        if folder is None:
            return None
        path, text = self._locate(folder, key)
        try:
            with open(path, "rb") as file:
                data = file.read(MAX_BYTES + 1)
        except OSError:
            return None
        body = data[len(MAGIC) + 32:]
        if (len(data) > MAX_BYTES or not data.startswith(MAGIC)
                or hashlib.sha256(body).digest() != data[len(MAGIC):len(MAGIC) + 32]):
            return None
        try:
            stored = thaw(body)
        except Unreadable:
            return None
        return _drawn(stored, text)

    def save(self, key: tuple[Any, ...], drawn: list[Drawn]) -> None:
        """Write the examples of `key` whole; a failure turns the store off, quietly."""
        folder = self.folder()
        if folder is None:
            return
        path, text = self._locate(folder, key)
        body = freeze((text, tuple((item.status, item.pickled) for item in drawn)))
        try:
            handle, temporary = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=folder)
            try:
                with os.fdopen(handle, "wb") as file:
                    file.write(MAGIC + hashlib.sha256(body).digest() + body)
                os.replace(temporary, path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)
                raise
        except OSError as exc:
            self.problem = f"{folder} cannot be written ({exc.strerror or exc})"
            self._folder = None


def _drawn(stored: Any, text: str) -> tuple[Drawn, ...] | None:
    """The examples of a file's contents, if they are what `save` writes for the key `text`."""
    if not (isinstance(stored, tuple) and len(stored) == 2 and stored[0] == text
            and isinstance(stored[1], tuple)):
        return None
    items = []
    for item in stored[1]:
        if not (isinstance(item, tuple) and len(item) == 2 and type(item[0]) is str
                and item[0] in STATUSES and type(item[1]) is bytes):
            return None
        items.append(Drawn(item[1], item[0]))
    return tuple(items)
