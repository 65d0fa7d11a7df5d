"""Removing a folder a worker wrote into, however deep or locked it made it."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def remove_tree(path: Path) -> None:
    """Remove a folder a worker wrote into (its private tmp), whatever it left there.

    `shutil.rmtree` recurses once per level and gives up on folders whose owner took away their
    own permissions; a worker can nest folders thousands deep, and make them mode 000. This walks
    down and back up holding one descriptor at a time (the worker is dead, so nothing moves), so
    neither depth nor permissions stop it. Where descriptor-relative calls are missing (Windows),
    `shutil.rmtree` does what it can.
    """
    if os.open not in os.supports_dir_fd or not hasattr(os, "O_DIRECTORY"):
        import shutil

        shutil.rmtree(path, ignore_errors=True)
        return
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
    try:
        fd = os.open(path, flags)
    except OSError:
        return
    below: list[str] = []  # folder names from `path` down to the one `fd` is open on
    try:
        while True:
            with contextlib.suppress(OSError):
                os.fchmod(fd, 0o700)
            deeper = None
            with os.scandir(fd) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        deeper = entry.name
                        break
                    with contextlib.suppress(OSError):
                        os.unlink(entry.name, dir_fd=fd)
            if deeper is not None:
                child = os.open(deeper, flags, dir_fd=fd)
                os.close(fd)
                fd = child
                below.append(deeper)
                continue
            if not below:
                break
            parent = os.open("..", flags, dir_fd=fd)
            os.close(fd)
            fd = parent
            os.rmdir(below.pop(), dir_fd=fd)  # fails (and ends the walk) if it is not empty
    except OSError:
        pass
    finally:
        os.close(fd)
    with contextlib.suppress(OSError):
        os.rmdir(path)
