"""The torch build every grading machine installs: one pin, read from constraints.txt.

Gradescope images and CI runners install the CPU build of that version from PyTorch's own index;
PyPI's default Linux build of torch is the multi-GB CUDA one.
"""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

CPU_INDEX = "https://download.pytorch.org/whl/cpu"
CONSTRAINTS = Path(__file__).resolve().parent.parent / "constraints.txt"


class PinError(Exception):
    """No torch version to pin."""


def pinned_torch(constraints: Path = CONSTRAINTS) -> str:
    """torch's version in constraints.txt; from an installed grader, the installed torch's."""
    try:
        match = re.search(r"(?m)^torch==([\w.]+)", constraints.read_text(encoding="utf-8"))
        if match:
            return match.group(1)
    except OSError:
        pass
    try:
        return metadata.version("torch").split("+", 1)[0]
    except metadata.PackageNotFoundError:
        raise PinError(f"no torch==VERSION pin in {constraints} and torch is not installed") \
            from None
