"""The static half of the import policy: read the submission's source and list forbidden imports.

Students must build the engine themselves, so an assignment forbids libraries that would do the
work (torch, numpy, ...) or reach outside the worker (subprocess, socket, ctypes, ...). This scan is
a tripwire that points at the exact line before anything runs; the worker's audit hook is the
runtime half and sees imports that no static reading can (computed names, `exec`).

Only modules the grader would actually import are scanned: the engine, the network, their parent
packages and every local module they import, transitively. A cloned repository's `test/` folder
that compares against torch is not the student's engine and must not be flagged.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from autograder.loader import StagedSubmission
from autograder.policy_usage import MODULE_LEVEL, users_of

# Libraries that would compute values or gradients for the student (torch, numpy, jax, autograd,
# tensorflow, sympy, scipy, mpmath) or let code escape the worker (ctypes, subprocess, socket,
# multiprocessing). The underscore names are the C modules behind the latter; importing them
# directly would otherwise slip past a check on the public name.
FORBIDDEN_IMPORTS: tuple[str, ...] = (
    "torch",
    "numpy",
    "jax",
    "autograd",
    "tensorflow",
    "sympy",
    "scipy",
    "mpmath",
    "ctypes",
    "_ctypes",
    "subprocess",
    "_posixsubprocess",
    "socket",
    "_socket",
    "multiprocessing",
    "_multiprocessing",
)

HOW_IMPORT = "import"
HOW_FROM_IMPORT = "from-import"
HOW_DUNDER_IMPORT = "__import__"
HOW_IMPORTLIB = "importlib.import_module"


@dataclass(frozen=True)
class PolicyViolation:
    """One forbidden import: where it is (`file` relative to the staged root) and what it names."""

    file: str
    line: int
    module: str  # the top-level name, e.g. "numpy" for `import numpy.linalg`
    how: str  # "import" | "from-import" | "__import__" | "importlib.import_module"
    used_in: tuple[str, ...] = ()  # code that needs it (`Value.tanh`, `<module>`); () = unused

    @property
    def used(self) -> bool:
        return bool(self.used_in)

    @property
    def at_import_time(self) -> bool:
        """Code that runs when the file is imported needs it: every check does."""
        return MODULE_LEVEL in self.used_in


@dataclass(frozen=True)
class _Import:
    """An import found in the source, forbidden or not; local ones are followed."""

    name: str  # as written, without leading dots
    level: int  # 0 for absolute, >0 for `from .x import y`
    line: int
    how: str
    imported: tuple[str, ...] = ()  # for `from x import a, b`: ("a", "b"), maybe submodules


def scan_submission(staged: StagedSubmission, forbidden: Iterable[str]) -> list[PolicyViolation]:
    """Every forbidden import in the modules the grader would import, ordered by file and line.

    Files that do not parse are skipped: the worker reports syntax errors with their line numbers.
    """
    banned = frozenset(forbidden)
    modules = _module_index(staged.files)
    queue = [
        rel
        for start in (staged.engine_module, staged.nn_module)
        if start
        for rel in _resolve(start, modules)
    ]
    visited: set[str] = set()
    found: set[PolicyViolation] = set()
    while queue:
        rel = queue.pop()
        if rel in visited:
            continue
        visited.add(rel)
        tree = _parse(staged, rel)
        imports = list(_imports_in(tree)) if tree is not None else []
        package = _package_of(rel)
        for imp in imports:
            if imp.level == 0 and imp.name:
                top = imp.name.split(".")[0]
                if top in banned:
                    used_in = users_of(tree, top, imp.line)
                    if not used_in and imp.how in (HOW_DUNDER_IMPORT, HOW_IMPORTLIB):
                        used_in = (MODULE_LEVEL,)  # a call at import time binds no name we see
                    found.add(PolicyViolation(rel, imp.line, top, imp.how, used_in))
            for target in _targets(imp, package):
                queue.extend(_resolve(target, modules))
    return sorted(found, key=lambda v: (v.file, v.line, v.module, v.how))


def describe(violation: PolicyViolation) -> str:
    """One line a student can act on: the file, the line and what was imported."""
    what = {
        HOW_IMPORT: f"imports {violation.module}",
        HOW_FROM_IMPORT: f"imports from {violation.module}",
        HOW_DUNDER_IMPORT: f"calls __import__ on {violation.module}",
        HOW_IMPORTLIB: f"calls importlib.import_module on {violation.module}",
    }.get(violation.how, f"imports {violation.module}")
    return f"{violation.file} line {violation.line}: {what} (not allowed in this assignment)"


def has_stand_in(module: str) -> bool:
    """Forbidden libraries outside the standard library import as a stand-in in the worker
    (never the real module); forbidden standard modules import for real and are logged."""
    return module not in sys.stdlib_module_names


def describe_use(violation: PolicyViolation) -> str:
    """`describe`, plus what needs the import, or that nothing does and it costs nothing."""
    if not violation.used:
        why = (f"the grader replaces {violation.module} with a stand-in that cannot compute "
               "anything" if has_stand_in(violation.module) else
               f"the grader logs every use of {violation.module}")
        return (f"{describe(violation)}. Nothing in your code uses it, so it costs no points, "
                f"but please remove it: {why}.")
    if violation.at_import_time:
        return f"{describe(violation)}; code that runs at import time uses it"
    return f"{describe(violation)}; used by {', '.join(violation.used_in)}"


# ---- reading imports ----------------------------------------------------------------------------


def _parse(staged: StagedSubmission, rel: str) -> ast.Module | None:
    try:
        source = (staged.root / rel).read_bytes()
        return ast.parse(source, filename=rel)
    except (OSError, SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _imports_in(tree: ast.AST) -> Iterator[_Import]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield _Import(alias.name, 0, node.lineno, HOW_IMPORT)
        elif isinstance(node, ast.ImportFrom):
            names = tuple(alias.name for alias in node.names if alias.name != "*")
            yield _Import(node.module or "", node.level, node.lineno, HOW_FROM_IMPORT, names)
        elif isinstance(node, ast.Call):
            dynamic = _dynamic_import(node)
            if dynamic is not None:
                yield dynamic


def _dynamic_import(call: ast.Call) -> _Import | None:
    """`__import__("x")`, `importlib.import_module("x")` and `import_module("x")` with a literal."""
    func = call.func
    if isinstance(func, ast.Name):
        name = func.id
    elif isinstance(func, ast.Attribute):
        name = func.attr
    else:
        return None
    how = {"__import__": HOW_DUNDER_IMPORT, "import_module": HOW_IMPORTLIB}.get(name)
    if how is None:
        return None
    argument = call.args[0] if call.args else None
    for kw in call.keywords:
        if kw.arg == "name":
            argument = kw.value
    if not (isinstance(argument, ast.Constant) and isinstance(argument.value, str)):
        return None
    target = argument.value
    level = len(target) - len(target.lstrip("."))
    if level:  # relative to a `package=` argument: a local module, never a library
        return None
    return _Import(target, 0, call.lineno, how)


# ---- following local modules --------------------------------------------------------------------


def _module_index(files: Iterable[str]) -> dict[str, str]:
    """Map dotted module names to staged .py files: `micrograd/nn.py` -> `micrograd.nn`."""
    index: dict[str, str] = {}
    for rel in files:
        if not rel.endswith(".py"):
            continue
        parts = rel[: -len(".py")].split("/")
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if parts:
            index[".".join(parts)] = rel
    return index


def _package_of(rel: str) -> str:
    """The package a file's relative imports start from (`micrograd/engine.py` -> `micrograd`)."""
    return ".".join(rel.split("/")[:-1])


def _targets(imp: _Import, package: str) -> list[str]:
    if imp.level:
        base = package.split(".") if package else []
        drop = imp.level - 1
        if drop > len(base):
            return []
        base = base[: len(base) - drop]
        module = ".".join([*base, imp.name] if imp.name else base)
    else:
        module = imp.name
    targets = [module] if module else []
    targets += [f"{module}.{name}" if module else name for name in imp.imported]
    return targets


def _resolve(module: str, index: dict[str, str]) -> list[str]:
    """Files that importing `module` runs: each parent package's `__init__.py`, then the module."""
    parts = module.split(".")
    prefixes = (".".join(parts[: i + 1]) for i in range(len(parts)))
    return [index[name] for name in prefixes if name in index]
