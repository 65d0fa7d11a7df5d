"""What every worker runs: the base interpreter, the harness, and a fixed environment."""

from __future__ import annotations

import os
import sys
from pathlib import Path

HARNESS = Path(__file__).resolve().parent.parent / "worker" / "harness.py"
WORKER_ENV = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}  # plus HOME and TMPDIR
# What a Windows interpreter needs to start (absent elsewhere): passed on where the grader has it.
PLATFORM_VARS = ("SYSTEMROOT",)


def worker_env(tmp: str) -> dict[str, str]:
    """The environment of a worker that runs on the host: the fixed variables, its private tmp as
    HOME and TMPDIR, and the platform variables the interpreter cannot start without."""
    platform = {name: os.environ[name] for name in PLATFORM_VARS if name in os.environ}
    return dict(WORKER_ENV, HOME=tmp, TMPDIR=tmp, **platform)


def python_executable() -> str:
    """The base interpreter (not a venv's), so site-packages with torch/numpy stays out of reach."""
    base = getattr(sys, "_base_executable", None) or sys.executable
    return os.path.realpath(base)


def harness_argv(python: str, harness: str, transport_args: list[str]) -> list[str]:
    """The worker's command line: isolated mode, no site, no bytecode, and how it talks (its two
    pipe fds, or its stdin and stdout: the transport's arguments)."""
    return [python, "-I", "-S", "-B", harness, *transport_args]


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
