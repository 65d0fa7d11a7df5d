"""Where a forbidden import is used: which functions and methods of a file need it.

Learners often keep `import numpy as np` from the lecture notebook at the top of `engine.py` and
never use it. Such an import costs nothing (the worker gets a stand-in module, see the harness's
`ForbiddenModule`); an import that *is* used costs the checks of the ops whose code needs it. This
module answers "which code needs it", statically:

- the names an import binds (`np` for `import numpy as np`, `tanh` for `from numpy import tanh`);
- for every module-level function and every method of every class, the names it reads;
- a function needs the import if it reads a bound name, or calls (by name, or as `self.x`) a
  function or method that needs it: a fixpoint over that small call graph.

The answer is a set of qualified names (`Value.tanh`, `_helper`), or `<module>` when code that runs
at import time (outside any function) reads the name, or a function that needs it (as in
`Value.tanh = _helper`), which makes every check need it.
"""

from __future__ import annotations

import ast

MODULE_LEVEL = "<module>"


def bound_names(node: ast.Import | ast.ImportFrom, module: str) -> set[str]:
    """The local names an import statement binds for the (top-level) `module`."""
    names: set[str] = set()
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.name.split(".")[0] == module:
                names.add(alias.asname or alias.name.split(".")[0])
    elif node.level == 0 and node.module and node.module.split(".")[0] == module:
        names.update(alias.asname or alias.name for alias in node.names if alias.name != "*")
    return names


class _Reads(ast.NodeVisitor):
    """The names (and `x.attr` attribute names) a piece of code reads."""

    def __init__(self) -> None:
        self.names: set[str] = set()
        self.attrs: set[str] = set()

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            self.names.add(node.id)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        self.attrs.add(node.attr)
        self.generic_visit(node)


def _reads(nodes: list[ast.stmt] | ast.AST) -> _Reads:
    reads = _Reads()
    for node in nodes if isinstance(nodes, list) else [nodes]:
        reads.visit(node)
    return reads


def _functions(tree: ast.Module) -> dict[str, ast.AST]:
    """Module-level functions by name, and methods as `Class.method`."""
    found: dict[str, ast.AST] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            found[node.name] = node
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    found[f"{node.name}.{item.name}"] = item
    return found


def _module_level(tree: ast.Module) -> list[ast.stmt]:
    """Statements that run at import time, other than imports and function bodies.

    Class bodies run at import time too, but only their non-function statements.
    """
    run: list[ast.stmt] = []
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom | ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if isinstance(node, ast.ClassDef):
            run.extend(item for item in node.body
                       if not isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef))
            continue
        run.append(node)
    return run


def _enclosing_function(tree: ast.Module, line: int) -> str | None:
    """The qualified name of the function whose body holds `line`, if any."""
    for name, node in _functions(tree).items():
        if node.lineno <= line <= (node.end_lineno or node.lineno):
            return name
    return None


def users_of(tree: ast.Module, module: str, import_line: int) -> tuple[str, ...]:
    """The qualified names of code that needs `module`, imported at `import_line`, sorted.

    An import inside a function is needed by that function (importing is already using it). An
    empty tuple means nothing reads what the import binds.
    """
    functions = _functions(tree)
    reads = {name: _reads(node) for name, node in functions.items()}
    bound: set[str] = set()
    needs: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom) and node.lineno == import_line:
            bound |= bound_names(node, module)
    owner = _enclosing_function(tree, import_line)
    if owner is not None:
        needs.add(owner)
    at_import = _reads(_module_level(tree)).names
    if bound & at_import:
        return (MODULE_LEVEL,)
    needs |= {name for name, r in reads.items() if bound & r.names}
    changed = True
    while changed:  # callers of code that needs it need it too
        short = {name.rsplit(".", 1)[-1] for name in needs} | needs
        grown = {name for name, r in reads.items()
                 if name not in needs and (short & r.names or short & r.attrs)}
        changed = bool(grown)
        needs |= grown
    if needs & at_import:  # e.g. `Value.tanh = _tanh_via_numpy`: which method it becomes is unclear
        return (MODULE_LEVEL,)
    return tuple(sorted(needs))
