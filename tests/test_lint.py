"""The tree stays ruff-clean (configuration in pyproject.toml), so CI catches style drift."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from util import REPO


def test_ruff_check_is_clean() -> None:
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed (it comes with the dev extras: make install)")
    result = subprocess.run([ruff, "check", "--output-format", "concise", "."], cwd=REPO,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
