"""Solution regions of the reference and the stubs that replace them.

The reference solution (`reference/micrograd/`) is the only place the engine is written. Inside its
function bodies the instructor marks what students must write:

    def __add__(self, other):
        \"\"\"Docstring students keep.\"\"\"
        ### BEGIN SOLUTION
        ...
        ### END SOLUTION

`find_regions` validates the markers (every error names the file and line) and `stub_source`
replaces each chosen region with one `raise NotImplementedError("Value.__add__: ...")` line, so
signatures, docstrings and hints never fall out of step with the graded reference.
"""

from __future__ import annotations

import ast
import io
import json
import re
import tokenize
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

BEGIN_MARKER = "### BEGIN SOLUTION"
END_MARKER = "### END SOLUTION"

# Anything a tired instructor might type for a marker ("## begin solution", "###END SOLUTION").
# A near-miss is an error rather than a comment: ignoring it would publish the solution.
_MARKER_LIKE = re.compile(r"^#+\s*(BEGIN|END)[\s_-]*SOLUTION\b", re.IGNORECASE)


def looks_like_marker(line: str) -> bool:
    """True for a marker and for anything an instructor may have meant as one."""
    return bool(_MARKER_LIKE.match(line.strip()))


class ReleaseError(Exception):
    """The reference cannot be turned into a template. The message names the file and line."""


@dataclass(frozen=True)
class Region:
    """One solution region of a reference file (1-based marker lines, inclusive)."""

    path: str
    qualname: str
    begin: int
    end: int
    indent: str
    message: str

    @property
    def stub(self) -> str:
        """The line that replaces the region in the template."""
        return f"{self.indent}raise NotImplementedError({json.dumps(self.message)})"


@dataclass(frozen=True)
class _Marker:
    line: int
    kind: str  # "begin" or "end"
    indent: str


@dataclass(frozen=True)
class _Function:
    node: ast.FunctionDef | ast.AsyncFunctionDef
    qualname: str
    last_line: int  # the function's last line, counting trailing comment lines that follow it


def find_regions(source: str, path: str) -> list[Region]:
    """Find and validate every solution region of one reference file.

    `path` is only used in error messages. Raises `ReleaseError` for a reference that does not
    parse, a marker that is misspelt or shares its line with code, BEGIN without END, nested BEGIN,
    END without BEGIN, markers of one region at different indentations, and regions that are not
    inside a function.
    """
    try:
        tree = ast.parse(source, filename=path)
    except SyntaxError as exc:
        raise ReleaseError(
            f"{path}:{exc.lineno}: the reference is not valid Python: {exc.msg}"
        ) from None
    lines = source.splitlines()
    functions = _functions(tree, lines)
    regions: list[Region] = []
    for begin, end in _pair_markers(_markers(source, lines, path), path):
        function = _enclosing_function(functions, begin, path)
        other = _enclosing_function(functions, end, path)
        if other is not function:
            raise ReleaseError(
                f"{path}:{begin.line}: the solution region spans more than one function "
                f"(BEGIN in {function.qualname}, END at line {end.line} in {other.qualname})"
            )
        message = _stub_message(function, begin.line, end.line)
        regions.append(Region(path, function.qualname, begin.line, end.line, begin.indent, message))
    return regions


Selection = Callable[[Region], bool]  # which regions to stub; the others keep their solution


def stub_source(source: str, path: str, selected: Selection | None = None) -> str:
    """Return `source` with every solution region (or every `selected` one) replaced by its
    `raise NotImplementedError`. Regions left out keep their code; their markers are dropped.

    Code after an END marker is kept even when it becomes unreachable: the rule is "everything
    outside the markers is copied verbatim", which keeps the template predictable.
    """
    return stub_regions(source, path, selected)[0]


def stub_regions(
    source: str, path: str, selected: Selection | None = None
) -> tuple[str, list[Region]]:
    """`stub_source` and the regions it stubbed, in file order."""
    regions = find_regions(source, path)
    chosen = [r for r in regions if selected is None or selected(r)]
    kept = [r for r in regions if r not in chosen]
    text = _replace(source, chosen, kept)
    try:
        ast.parse(text, filename=path)
    except SyntaxError as exc:
        culprit = _first_invalid_region(source, chosen, path)
        where = culprit.begin if culprit else exc.lineno
        raise ReleaseError(
            f"{path}:{where}: replacing the solution region with `raise NotImplementedError(...)` "
            f"does not give valid Python ({exc.msg}); put the markers at the indentation of the "
            "code they enclose, inside a block that has nothing else to run"
        ) from None
    return text, chosen


def unique(names: Iterable[str]) -> list[str]:
    """`names` in order, each once."""
    return list(dict.fromkeys(names))


# --- markers and functions ---------------------------------------------------------------------


def _markers(source: str, lines: list[str], path: str) -> list[_Marker]:
    """Marker comments in file order. Uses tokenize so text inside strings is never a marker."""
    markers: list[_Marker] = []
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    for token in tokens:
        if token.type != tokenize.COMMENT or not _MARKER_LIKE.match(token.string):
            continue
        row, col = token.start
        before = lines[row - 1][:col]
        if before.strip():
            raise ReleaseError(f"{path}:{row}: a solution marker must be on a line of its own")
        comment = token.string.rstrip()
        if comment == BEGIN_MARKER:
            markers.append(_Marker(row, "begin", before))
        elif comment == END_MARKER:
            markers.append(_Marker(row, "end", before))
        else:
            raise ReleaseError(
                f"{path}:{row}: malformed solution marker {comment!r}; write exactly "
                f"{BEGIN_MARKER!r} or {END_MARKER!r}"
            )
    return markers


def _pair_markers(markers: list[_Marker], path: str) -> Iterator[tuple[_Marker, _Marker]]:
    opened: _Marker | None = None
    for marker in markers:
        if marker.kind == "begin":
            if opened is not None:
                raise ReleaseError(
                    f"{path}:{marker.line}: nested BEGIN SOLUTION (the region opened at line "
                    f"{opened.line} is not closed yet)"
                )
            opened = marker
            continue
        if opened is None:
            raise ReleaseError(f"{path}:{marker.line}: END SOLUTION without a BEGIN SOLUTION")
        if marker.indent != opened.indent:
            raise ReleaseError(
                f"{path}:{marker.line}: END SOLUTION is indented differently from its "
                f"BEGIN SOLUTION at line {opened.line}"
            )
        yield opened, marker
        opened = None
    if opened is not None:
        raise ReleaseError(f"{path}:{opened.line}: BEGIN SOLUTION has no matching END SOLUTION")


def _functions(tree: ast.Module, lines: list[str]) -> list[_Function]:
    """Every function with its dotted name: "Value.__add__", "Value.__add__._backward", "f"."""
    found: list[_Function] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                name = f"{prefix}.{child.name}" if prefix else child.name
                if not isinstance(child, ast.ClassDef):
                    found.append(_Function(child, name, _last_line(child, lines)))
                visit(child, name)
            else:
                visit(child, prefix)

    visit(tree, "")
    return found


def _last_line(node: ast.AST, lines: list[str]) -> int:
    """The node's end, extended over the comment and blank lines after it.

    An END marker after a function's last statement is a trailing comment, which the AST does not
    count as part of the function; the marker's indentation decides instead (see `_enclosing`).
    """
    last = node.end_lineno or node.lineno
    for number in range(last + 1, len(lines) + 1):
        stripped = lines[number - 1].strip()
        if stripped and not stripped.startswith("#"):
            return number - 1
    return len(lines)


def _enclosing_function(functions: list[_Function], marker: _Marker, path: str) -> _Function:
    """The innermost function whose body the marker is in, judged by line and indentation."""
    inside = [
        f
        for f in functions
        if f.node.lineno < marker.line <= f.last_line and len(marker.indent) > f.node.col_offset
    ]
    if not inside:
        raise ReleaseError(
            f"{path}:{marker.line}: solution region outside any function; markers must be inside "
            "a function or method body"
        )
    return max(inside, key=lambda f: f.node.lineno)


# --- stubs ---------------------------------------------------------------------------------------


def _stub_message(function: _Function, begin: int, end: int) -> str:
    """What the student reads when calling the stub: the name, then what that function must do."""
    node = function.node
    name = node.name
    inner = [n for n in ast.walk(node) if begin < getattr(n, "lineno", 0) < end]
    defines_backward = any(
        (isinstance(n, ast.FunctionDef) and n.name == "_backward")
        or (isinstance(n, ast.Attribute) and n.attr == "_backward" and isinstance(n.ctx, ast.Store))
        for n in inner
    )
    if name == "backward":
        task = (
            "implement backpropagation: visit the graph in topological order and call each "
            "node's _backward"
        )
    elif name == "_backward":
        task = "implement the chain rule for this op: add the local gradients to the inputs' .grad"
    elif defines_backward:
        task = "implement the forward pass and its _backward"
    elif name == "__init__":
        task = "implement the constructor"
    elif name == "__call__":
        task = "implement the forward pass"
    elif name == "parameters":
        task = "return the list of parameters"
    elif name == "zero_grad":
        task = "set the .grad of every parameter back to 0"
    else:
        task = "implement this method" if "." in function.qualname else "implement this function"
    hint = " (see the docstring)" if ast.get_docstring(node) is not None else ""
    return f"{function.qualname}: {task}{hint}"


def _replace(source: str, stubbed: list[Region], kept: list[Region] = ()) -> str:
    """Stub the `stubbed` regions; drop only the two marker lines of the `kept` ones."""
    lines = source.splitlines(keepends=True)
    edits = [(r, True) for r in stubbed] + [(r, False) for r in kept]
    for region, stub in sorted(edits, key=lambda e: e[0].begin, reverse=True):
        if stub:
            lines[region.begin - 1 : region.end] = [region.stub + "\n"]
        else:
            del lines[region.end - 1]
            del lines[region.begin - 1]
    return "".join(lines)


def _first_invalid_region(source: str, regions: list[Region], path: str) -> Region | None:
    """The first region that, replaced on its own, already breaks the file."""
    for region in regions:
        try:
            ast.parse(_replace(source, [region]), filename=path)
        except SyntaxError:
            return region
    return None


