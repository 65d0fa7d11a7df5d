"""Draw a computation graph with graphviz: one box per Value, one small node per op.

Each Value is a record `{ data 3.0000 | grad 1.0000 }`; a Value made by an op gets an extra node
labelled with the op (`+`, `*`, `**2`, `ReLU`, ...), with an edge from each input to the op and
from the op to its result. Seeing grads next to data is the quickest way to debug a backward pass.

The graphviz Python package is imported only when drawing, so the engine works without it. Building
the graph (`draw_dot(...).source`) needs only that package; turning it into an image also needs
Graphviz's `dot` program, a system package.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import graphviz

    from .engine import Value

RANKDIRS = ("LR", "TB")


def _graphviz() -> ModuleType:
    try:
        import graphviz
    except ImportError as exc:
        raise ImportError(
            "drawing a graph needs the graphviz Python package: pip install graphviz"
        ) from exc
    return graphviz


def trace(root: Value) -> tuple[list[Value], list[tuple[Value, Value]]]:
    """Every Value reachable from `root` (root first) and every (input, result) edge between them.

    Walks with an explicit stack, so graphs deeper than Python's recursion limit work too.
    """
    nodes: list[Value] = [root]
    edges: list[tuple[Value, Value]] = []
    seen = {id(root)}
    stack = [root]
    while stack:
        node = stack.pop()
        for child in node._prev:
            edges.append((child, node))
            if id(child) not in seen:
                seen.add(id(child))
                nodes.append(child)
                stack.append(child)
    return nodes, edges


def draw_dot(root: Value, format: str = "svg", rankdir: str = "LR") -> graphviz.Digraph:
    """The graph of `root` as a graphviz Digraph; `.source` is its DOT text, `.render()` draws it.

    `format` is the image format used when rendering; `rankdir` is "LR" (left to right) or "TB"
    (top to bottom). Nodes are named v0, v1, ... in the order the walk finds them (the root is
    v0; a Value's op node is its name plus `_op`) rather than by memory address, to keep the DOT
    text short and readable.
    """
    if rankdir not in RANKDIRS:
        raise ValueError(f"rankdir must be one of {RANKDIRS}, got {rankdir!r}")
    nodes, edges = trace(root)
    names = {id(node): f"v{i}" for i, node in enumerate(nodes)}

    dot = _graphviz().Digraph(format=format, graph_attr={"rankdir": rankdir})
    for node in nodes:
        name = names[id(node)]
        label = f"{{ data {node.data:.4f} | grad {node.grad:.4f} }}"
        dot.node(name=name, label=label, shape="record")
        if node._op:
            dot.node(name=f"{name}_op", label=node._op)
            dot.edge(f"{name}_op", name)
    for child, result in edges:
        dot.edge(names[id(child)], f"{names[id(result)]}_op")
    return dot


def render(root: Value, path: str | Path, format: str = "svg") -> Path:
    """Draw the graph of `root` into the file `path` (as `format`, e.g. "svg" or "png").

    Raises RuntimeError when Graphviz's `dot` program is missing, with a message that says which
    package to install: graphviz's own error only says an executable was not found.
    """
    graphviz = _graphviz()
    dot = draw_dot(root, format=format)
    try:
        image = dot.pipe(format=format)
    except graphviz.ExecutableNotFound as exc:
        raise RuntimeError(
            "cannot render the graph: Graphviz's `dot` program is not installed (or not on PATH). "
            "Install the Graphviz system package, e.g. `apt-get install graphviz` or "
            "`brew install graphviz`. draw_dot(root).source gives the DOT text without it."
        ) from exc
    path = Path(path)
    path.write_bytes(image)
    return path
