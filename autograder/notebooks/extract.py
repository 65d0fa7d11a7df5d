"""Turn a student's notebook into the Python module the worker imports.

A notebook is one namespace, so its graded code becomes one module, `micrograd/engine.py`, with
`micrograd/nn.py` re-exporting it when it defines the network. Which cells count:

- cells nbgrader marks as solutions, and cells without nbgrader metadata (cells the student added,
  or every cell of a notebook whose metadata was stripped);
- never the instructor's test, read-only or drawing cells: the tests come from the instructor's
  manifests, so deleting or editing those cells changes nothing.

Within those cells only definitions are kept at the top level (imports, `def`, `class`, plain
assignments and `if`/`try` blocks of them); calls, prints, asserts and loops that a notebook runs
to try things out are left out, so they neither slow the import nor fail it. IPython syntax
(`%magic`, `!shell`, `%%cell` magics, `x?`) is never run: such lines become `pass`, and a cell that
starts with a cell magic is left out. Nothing here executes the notebook.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

_INSTALL_HINT = "pip install 'mgrade[notebook]'"

ENGINE_FILE = "micrograd/engine.py"
NN_FILE = "micrograd/nn.py"
NN_CLASSES = frozenset({"Module", "Neuron", "Layer", "MLP"})
# Imports that only make sense inside Jupyter: the grader's own helpers, the notebook's drawing
# and display libraries, and `micrograd` itself (the notebook *is* the package when graded).
NOTEBOOK_ONLY_IMPORTS = frozenset({"autograder", "micrograd", "IPython", "matplotlib", "graphviz"})
_KEPT = (
    ast.Import,
    ast.ImportFrom,
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
    ast.Assign,
    ast.AnnAssign,
    ast.If,
    ast.Try,
)
_IPYTHON_LINE = re.compile(r"^\s*([%!]|\w[\w.]*\s*=\s*[%!]|[\w.]+\?{1,2}\s*$|\?)")


class NotebookError(Exception):
    """The notebook cannot be read. The message names the file and the problem."""


@dataclass
class NotebookCode:
    """The module built from a notebook, and what was left out (told to the student)."""

    files: dict[str, str]
    notes: list[str] = field(default_factory=list)
    cells: int = 0


def read_notebook(data: bytes, source: str):
    """Parse and validate notebook bytes with nbformat; a clear `NotebookError` otherwise."""
    try:
        import nbformat
    except ImportError:
        raise NotebookError(
            f"{source}: grading notebooks needs the nbformat package ({_INSTALL_HINT})"
        ) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NotebookError(f"{source}: not a notebook (not UTF-8 text: {exc.reason})") from None
    try:
        raw = json.loads(text)
    except ValueError as exc:
        raise NotebookError(
            f"{source}: not a valid notebook: the JSON is broken or truncated ({exc}); download "
            "it again from Jupyter (File > Download) and resubmit"
        ) from None
    if not isinstance(raw, dict) or not isinstance(raw.get("cells"), list):
        raise NotebookError(f"{source}: not a Jupyter notebook (no list of cells in the file)")
    try:
        notebook = nbformat.reads(text, as_version=4)
    except Exception as exc:  # noqa: BLE001 - nbformat raises several unrelated types
        problem = f"{type(exc).__name__}: {exc}"
        raise NotebookError(f"{source}: not a valid notebook ({problem})") from None
    for index, cell in enumerate(notebook.cells, start=1):
        if not isinstance(cell.get("source", ""), str):
            raise NotebookError(f"{source}: cell {index} has no readable source")
    return notebook


def notebook_code(notebook, source: str) -> NotebookCode:
    """The graded module of a parsed notebook (see the module docstring for the rules)."""
    chunks: list[tuple[str, str]] = []
    skipped = 0
    for index, cell in enumerate(notebook.cells, start=1):
        if cell.get("cell_type") != "code":
            continue
        meta = cell.get("metadata", {}).get("nbgrader") or {}
        if meta and not meta.get("solution", False):
            skipped += 1
            continue
        chunks.append((f"cell {index}", cell.get("source", "")))
    code = build_module(chunks)
    if not code.cells:
        raise NotebookError(
            f"{source}: no code to grade (no solution cells and no code cells of your own)"
        )
    if skipped:
        code.notes.append(
            f"{source}: ran none of the notebook's {skipped} test or read-only cells; "
            "the grader's own checks are used"
        )
    return code


def history_code(inputs: Iterable[str]) -> NotebookCode:
    """The graded module built from a kernel's input history (IPython's `In`), oldest first.

    Inputs that do not parse are skipped: they raised in the kernel too and defined nothing.
    Later definitions replace earlier ones, as they did in the kernel.
    """
    chunks = []
    for number, text in enumerate(inputs):
        if not isinstance(text, str) or not text.strip():
            continue
        cleaned = _strip_ipython(text)
        if cleaned is None:
            continue
        try:
            ast.parse(cleaned)
        except SyntaxError:
            continue
        chunks.append((f"In [{number}]", cleaned))
    return build_module(chunks)


def build_module(chunks: Iterable[tuple[str, str]]) -> NotebookCode:
    """Join (label, cell source) pairs into engine.py (and nn.py when the network is defined)."""
    futures: list[str] = []
    parts: list[str] = []
    notes: list[str] = []
    defined: set[str] = set()
    cells = 0
    for label, text in chunks:
        cleaned = _strip_ipython(text)
        if cleaned is None:
            notes.append(f"{label}: left out (a cell magic such as %%time runs no graded code)")
            continue
        try:
            tree = ast.parse(cleaned)
        except SyntaxError:
            # Keep it as written: the worker reports the syntax error with its line.
            parts.append(f"# ---- {label}\n{cleaned}\n")
            cells += 1
            continue
        kept, dropped = _definitions(tree, cleaned, futures, defined)
        if kept:
            parts.append(f"# ---- {label}\n{kept}\n")
            cells += 1
        if dropped:
            notes.append(
                f"{label}: {dropped} top-level statement(s) that are not definitions (calls, "
                "prints, loops) were not run by the grader"
            )
    header = "".join(f"{line}\n" for line in dict.fromkeys(futures))
    files = {ENGINE_FILE: header + "\n".join(parts), "micrograd/__init__.py": ""}
    if defined & NN_CLASSES:
        files[NN_FILE] = "from micrograd.engine import *  # noqa: F403\n"
    return NotebookCode(files=files, notes=notes, cells=cells)


def _strip_ipython(text: str) -> str | None:
    """Valid Python is returned unchanged. Otherwise IPython-only lines become `pass`; a cell magic
    (`%%bash`, `%%time`) returns None: its body is not Python, or not run as Python here."""
    if text.lstrip().startswith("%%"):
        return None
    try:
        ast.parse(text)
        return text
    except SyntaxError:
        pass
    lines = []
    for line in text.split("\n"):
        if _IPYTHON_LINE.match(line):
            indent = line[: len(line) - len(line.lstrip())]
            line = f"{indent}pass  # IPython syntax, not run by the grader"
        lines.append(line)
    return "\n".join(lines)


def _definitions(
    tree: ast.Module, text: str, futures: list[str], defined: set[str]
) -> tuple[str, int]:
    """(source of the kept top-level statements, number dropped)."""
    lines = text.split("\n")
    kept: list[str] = []
    dropped = 0
    for node in tree.body:
        segment = "\n".join(lines[_first_line(node) - 1 : node.end_lineno])
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            futures.append(segment.strip())
            continue
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # a docstring
        if not isinstance(node, _KEPT) or _notebook_only(node) or _runs_code(node):
            dropped += 1
            continue
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            defined.add(node.name)
        kept.append(segment)
    return "\n".join(kept), dropped


def _first_line(node: ast.stmt) -> int:
    decorators = getattr(node, "decorator_list", [])
    return min([node.lineno, *(d.lineno for d in decorators)])


def _notebook_only(node: ast.stmt) -> bool:
    if isinstance(node, ast.Import):
        return all(alias.name.split(".")[0] in NOTEBOOK_ONLY_IMPORTS for alias in node.names)
    if isinstance(node, ast.ImportFrom):
        return node.level > 0 or (node.module or "").split(".")[0] in NOTEBOOK_ONLY_IMPORTS
    return False


def _runs_code(node: ast.stmt) -> bool:
    """An assignment or block at the top level that calls something (`y = a.tanh()`): trying
    things out, not defining them. `get_ipython()` calls (IPython's translation of magics) too."""
    if isinstance(node, ast.Assign | ast.AnnAssign):
        return node.value is not None and any(isinstance(n, ast.Call) for n in ast.walk(node.value))
    if isinstance(node, ast.If | ast.Try):
        return any(
            isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "get_ipython"
            for n in ast.walk(node)
        )
    return False
