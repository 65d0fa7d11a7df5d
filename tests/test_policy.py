"""The static import scan: each import form, with file and line, on real staged submissions."""

from __future__ import annotations

from pathlib import Path

from autograder.loader import StagedSubmission, load_submission
from autograder.policy import (
    FORBIDDEN_IMPORTS,
    PolicyViolation,
    describe,
    describe_use,
    scan_submission,
)

ENGINE = "class Value:\n    pass\n"


def staged(tmp_path: Path, files: dict[str, str]) -> StagedSubmission:
    """Stage `files` through the real loader, as grading does."""
    source = tmp_path / "sub"
    for rel, content in files.items():
        target = source / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content)
    return load_submission(source, tmp_path / "stage")


def scan(tmp_path: Path, files: dict[str, str]) -> list[PolicyViolation]:
    return scan_submission(staged(tmp_path, files), FORBIDDEN_IMPORTS)


def test_every_import_form_is_found_with_file_and_line(tmp_path: Path) -> None:
    engine = "\n".join(
        [
            "import math",
            "import numpy.linalg as la",
            "from torch import nn",
            "jax = __import__('jax.numpy')",
            "import importlib",
            "sp = importlib.import_module('sympy')",
            "from importlib import import_module",
            "tf = import_module(name='tensorflow')",
            "import builtins",
            "ag = builtins.__import__(name='autograd')",
            "def later():",
            "    import subprocess, os",
            "class Value:",
            "    pass",
        ]
    )
    found = scan(tmp_path, {"micrograd/engine.py": engine})
    assert found == [
        PolicyViolation("micrograd/engine.py", 2, "numpy", "import"),
        PolicyViolation("micrograd/engine.py", 3, "torch", "from-import"),
        PolicyViolation("micrograd/engine.py", 4, "jax", "__import__", ("<module>",)),
        PolicyViolation("micrograd/engine.py", 6, "sympy", "importlib.import_module",
                        ("<module>",)),
        PolicyViolation("micrograd/engine.py", 8, "tensorflow", "importlib.import_module",
                        ("<module>",)),
        PolicyViolation("micrograd/engine.py", 10, "autograd", "__import__", ("<module>",)),
        PolicyViolation("micrograd/engine.py", 12, "subprocess", "import", ("later",)),
    ]


def test_allowed_imports_are_not_reported(tmp_path: Path) -> None:
    sub = staged(tmp_path, {"engine.py": "import numpy\nimport torch\n" + ENGINE})
    allowed = [name for name in FORBIDDEN_IMPORTS if name != "numpy"]
    assert scan_submission(sub, allowed) == [PolicyViolation("engine.py", 2, "torch", "import")]
    assert scan_submission(sub, []) == []


def test_only_top_level_names_match(tmp_path: Path) -> None:
    # `numpyish` and `mytorch` are not numpy or torch; `os.path` is not forbidden at all.
    found = scan(
        tmp_path,
        {"engine.py": "import numpyish\nfrom mytorch import x\nimport os.path\n" + ENGINE},
    )
    assert found == []


def test_relative_and_computed_imports_are_not_library_imports(tmp_path: Path) -> None:
    engine = (
        "from . import numpy\n"
        "import importlib\n"
        "importlib.import_module('.torch', package='micrograd')\n"
        "name = 'tor' + 'ch'\n"
        "importlib.import_module(name)\n" + ENGINE
    )
    assert scan(tmp_path, {"micrograd/engine.py": engine, "micrograd/numpy.py": ""}) == []


def test_local_modules_the_engine_imports_are_followed(tmp_path: Path) -> None:
    files = {
        "micrograd/__init__.py": "from .engine import Value\n",
        "micrograd/engine.py": "from .ops import add\nfrom micrograd import util\n" + ENGINE,
        "micrograd/ops.py": "import numpy as np\n",
        "micrograd/util.py": "\n\nimport ctypes\n",
        "micrograd/nn.py": "from micrograd.engine import Value\nimport random\n",
    }
    found = scan(tmp_path, files)
    assert found == [
        PolicyViolation("micrograd/ops.py", 1, "numpy", "import"),
        PolicyViolation("micrograd/util.py", 3, "ctypes", "import"),
    ]


def test_flat_layout_follows_top_level_helpers(tmp_path: Path) -> None:
    files = {
        "engine.py": "import helpers\n" + ENGINE,
        "helpers.py": "from pkg.deep import thing\n",
        "pkg/__init__.py": "",
        "pkg/deep.py": "import socket\n",
    }
    assert scan(tmp_path, files) == [PolicyViolation("pkg/deep.py", 1, "socket", "import")]


def test_package_init_runs_on_import_and_is_scanned(tmp_path: Path) -> None:
    files = {"micrograd/__init__.py": "import torch\n", "micrograd/engine.py": ENGINE}
    assert scan(tmp_path, files) == [PolicyViolation("micrograd/__init__.py", 1, "torch", "import")]


def test_nn_module_is_scanned(tmp_path: Path) -> None:
    files = {"engine.py": ENGINE, "nn.py": "import random\nimport numpy\n"}
    assert scan(tmp_path, files) == [PolicyViolation("nn.py", 2, "numpy", "import")]


def test_files_the_grader_never_imports_are_not_flagged(tmp_path: Path) -> None:
    # A cloned repository's tests compare against torch; they are not part of the engine.
    files = {
        "micrograd/engine.py": ENGINE,
        "test/test_engine.py": "import torch\nfrom micrograd.engine import Value\n",
        "demo.py": "import numpy\n",
    }
    assert scan(tmp_path, files) == []


def test_unparseable_files_are_skipped_and_the_rest_still_scanned(tmp_path: Path) -> None:
    files = {
        "micrograd/__init__.py": "import numpy\n",
        "micrograd/engine.py": "import torch\nclass Value(:\n",
    }
    assert scan(tmp_path, files) == [PolicyViolation("micrograd/__init__.py", 1, "numpy", "import")]


def test_order_is_by_file_then_line_and_repeatable(tmp_path: Path) -> None:
    files = {
        "engine.py": "import zmod\nimport amod\nimport torch\n" + ENGINE,
        "zmod.py": "import numpy\n",
        "amod.py": "\nimport scipy\nimport jax\n",
    }
    sub = staged(tmp_path, files)
    first = scan_submission(sub, FORBIDDEN_IMPORTS)
    assert [(v.file, v.line) for v in first] == [
        ("amod.py", 2),
        ("amod.py", 3),
        ("engine.py", 3),
        ("zmod.py", 1),
    ]
    assert scan_submission(sub, FORBIDDEN_IMPORTS) == first


def test_describe_names_file_line_and_module() -> None:
    assert describe(PolicyViolation("engine.py", 3, "numpy", "import")) == (
        "engine.py line 3: imports numpy (not allowed in this assignment)"
    )
    assert describe(PolicyViolation("micrograd/nn.py", 7, "torch", "from-import")) == (
        "micrograd/nn.py line 7: imports from torch (not allowed in this assignment)"
    )
    assert describe(PolicyViolation("engine.py", 9, "jax", "__import__")) == (
        "engine.py line 9: calls __import__ on jax (not allowed in this assignment)"
    )
    assert describe(PolicyViolation("engine.py", 1, "sympy", "importlib.import_module")) == (
        "engine.py line 1: calls importlib.import_module on sympy (not allowed in this assignment)"
    )


def test_forbidden_list_covers_the_documented_libraries() -> None:
    for name in (
        "torch",
        "numpy",
        "jax",
        "autograd",
        "tensorflow",
        "sympy",
        "ctypes",
        "subprocess",
        "socket",
        "multiprocessing",
        "scipy",
        "mpmath",
    ):
        assert name in FORBIDDEN_IMPORTS
    assert len(set(FORBIDDEN_IMPORTS)) == len(FORBIDDEN_IMPORTS)


# ---- where a forbidden import is used ----------------------------------------------------------


def _used_in(tmp_path: Path, source: str) -> dict[str, tuple[str, ...]]:
    found = staged(tmp_path, {"micrograd/__init__.py": "", "micrograd/engine.py": source})
    return {f"{v.module}@{v.line}": v.used_in for v in scan_submission(found, FORBIDDEN_IMPORTS)}


def test_an_unused_import_is_used_nowhere(tmp_path: Path) -> None:
    source = "import math\nimport numpy as np\nclass Value:\n    def tanh(self):\n" \
             "        return math.tanh(self.data)\n"
    assert _used_in(tmp_path, source) == {"numpy@2": ()}


def test_use_is_traced_to_the_methods_that_need_it(tmp_path: Path) -> None:
    source = (
        "import numpy as np\nfrom scipy.special import expit\n"
        "def _stable(x):\n    return np.tanh(x)\n"
        "class Value:\n"
        "    def tanh(self):\n        return _stable(self.data)\n"
        "    def sigmoid(self):\n        return expit(self.data)\n"
        "    def gelu(self):\n        return self.tanh()\n"
        "    def relu(self):\n        return max(self.data, 0)\n"
    )
    assert _used_in(tmp_path, source) == {
        "numpy@1": ("Value.gelu", "Value.tanh", "_stable"),
        "scipy@2": ("Value.sigmoid",),
    }


def test_use_at_import_time_or_an_import_inside_a_method(tmp_path: Path) -> None:
    source = ("import numpy\nPI = numpy.pi\nclass Value:\n    def exp(self):\n"
              "        import torch\n        return self\n")
    assert _used_in(tmp_path, source) == {"numpy@1": ("<module>",), "torch@5": ("Value.exp",)}


def test_an_unused_import_is_told_what_the_grader_does_with_it(tmp_path: Path) -> None:
    source = "import numpy as np\nimport subprocess\nclass Value:\n    pass\n"
    found = {v.module: describe_use(v) for v in
             scan(tmp_path, {"micrograd/__init__.py": "", "micrograd/engine.py": source})}
    assert "costs no points" in found["numpy"] and "stand-in" in found["numpy"]
    assert "costs no points" in found["subprocess"] and "stand-in" not in found["subprocess"]
    assert "logs every use of subprocess" in found["subprocess"]
