"""What every worker runs: the base interpreter, the harness, and a fixed environment."""

from __future__ import annotations

import os
import sys
from pathlib import Path

HARNESS = Path(__file__).resolve().parent.parent / "worker" / "harness.py"
WORKER_ENV = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}  # plus HOME and TMPDIR


def python_executable() -> str:
    """The base interpreter (not a venv's), so site-packages with torch/numpy stays out of reach."""
    base = getattr(sys, "_base_executable", None) or sys.executable
    return os.path.realpath(base)


def harness_argv(python: str, harness: str, request_fd: int, reply_fd: int) -> list[str]:
    """The worker's command line: isolated mode, no site, no bytecode, and its two pipe fds."""
    return [python, "-I", "-S", "-B", harness, "--rfd", str(request_fd), "--wfd", str(reply_fd)]


def is_root() -> bool:
    """Whether the grader runs as root (never on a platform without uids)."""
    geteuid = getattr(os, "geteuid", None)
    return geteuid is not None and geteuid() == 0


def missing_modules(*names: str) -> list[str]:
    """Which of these (Unix-only) modules this platform lacks. Importing them here is harmless:
    the caller is about to use them."""
    missing = []
    for name in names:
        try:
            __import__(name)
        except ImportError:
            missing.append(name)
    return missing
