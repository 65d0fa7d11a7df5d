"""Test helpers: load a `micrograd` package from a folder under a private module name.

The reference, the generated template and PyPI's micrograd all call themselves `micrograd`; loading
each under its own alias lets one pytest process hold all three without clashes.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[1]
REFERENCE = REPO / "reference" / "micrograd"
TEMPLATE = REPO / "students_template" / "micrograd"


def load_micrograd(package_dir: Path, alias: str) -> ModuleType:
    """Import the package at `package_dir` as `alias` (its submodules as `alias.engine`, ...)."""
    if alias in sys.modules:
        return sys.modules[alias]
    spec = importlib.util.spec_from_file_location(
        alias, package_dir / "__init__.py", submodule_search_locations=[str(package_dir)]
    )
    assert spec is not None and spec.loader is not None, f"cannot load {package_dir}"
    module = importlib.util.module_from_spec(spec)
    sys.modules[alias] = module
    spec.loader.exec_module(module)
    for sub in ("engine", "nn", "viz"):
        if (package_dir / f"{sub}.py").exists():
            importlib.import_module(f"{alias}.{sub}")
    return module


def reference() -> ModuleType:
    return load_micrograd(REFERENCE, "ref_micrograd")


def template() -> ModuleType:
    return load_micrograd(TEMPLATE, "tpl_micrograd")
