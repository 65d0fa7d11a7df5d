"""docs/ARCHITECTURE.md matches the code: every path it names exists, and every module is named."""

from __future__ import annotations

import re

from util import REPO

ARCHITECTURE = REPO / "docs" / "ARCHITECTURE.md"


def named_paths() -> set[str]:
    text = ARCHITECTURE.read_text(encoding="utf-8")
    return set(re.findall(r"`((?:autograder|reference|assignments|benchmarks)/[\w/.<>-]*)`", text))


def test_every_path_the_architecture_names_exists() -> None:
    paths = {p for p in named_paths() if "<" not in p}
    assert len(paths) > 40, "the architecture doc names too few paths to be a map"
    missing = sorted(p for p in paths if not (REPO / p.rstrip("/")).exists())
    assert missing == [], f"docs/ARCHITECTURE.md names paths that do not exist: {missing}"


def test_every_module_is_on_the_map() -> None:
    """A module is named by its path, or by its name in its package's row."""
    text = ARCHITECTURE.read_text(encoding="utf-8")
    unnamed = []
    for module in sorted((REPO / "autograder").rglob("*.py")):
        rel = module.relative_to(REPO).as_posix()
        if module.name == "__init__.py" or "__pycache__" in rel:
            continue
        if f"`{rel}`" not in text and f"`{module.name}`" not in text:
            unnamed.append(rel)
    assert unnamed == [], f"modules docs/ARCHITECTURE.md does not mention: {unnamed}"
