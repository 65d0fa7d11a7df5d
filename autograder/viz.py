"""Draw a check's counterexample graph with graphviz: the grader's sibling of micrograd's draw_dot.

`reference/micrograd/viz.draw_dot` draws a live graph of Values; the grader never imports the
reference nor holds a student object, so this draws a `ComputationGraph` (plain data a check
built) the same way: one box per Value, one small node per op, input -> op -> result. Each box
shows the Value's data, the gradient PyTorch expects and the gradient the submission produced. A
wrong gradient gets a red box AND the words "WRONG grad", so it reads without colour too; the
first one in backward order says so.

The graphviz Python package is imported only when drawing; rendering needs Graphviz's `dot`
program. `GraphvizUnavailable` says how to get whichever is missing.
"""

from __future__ import annotations

import html
import re
from typing import Any

from autograder.model import ComputationGraph, Grad, GraphNode

INSTALL_HINT = ("install Graphviz (`apt-get install graphviz`, `brew install graphviz`, or "
                "https://graphviz.org/download/) and the graphviz Python package "
                "(`pip install graphviz`), then grade again")
WRONG_MARK = "\u2717 WRONG grad"
FIRST_MARK = "first wrong in backward order"
COLOURS = {"wrong": ("#ffebe9", "#cf222e"), "right": ("#dafbe1", "#1a7f37"),
           "unread": ("#ffffff", "#57606a")}


class GraphvizUnavailable(RuntimeError):
    """The graph cannot be drawn here; the message says what to install."""


def fmt(value: Grad, exact: bool = False) -> str:
    """A number as a report shows it: 6 significant digits, or exactly when that matters."""
    if value is None:
        return "\u2014"
    if isinstance(value, str):
        from autograder.reporters.sanitize import clean_text  # no import cycle via reporters

        text = clean_text(value)
        return text[4:] + " (not a number)" if text.startswith("bad:") else text
    return repr(float(value)) if exact else f"{value:.6g}"


def node_state(node: GraphNode) -> str:
    """ "wrong", "right" (compared and equal) or "unread" (the check did not read its grad)."""
    if node.wrong:
        return "wrong"
    return "unread" if node.got_grad is None else "right"


def _label(node: GraphNode, first: bool) -> str:
    e = html.escape
    fill, line = COLOURS[node_state(node)]
    got = "not read" if node.got_grad is None else fmt(node.got_grad, node.wrong)
    rows = [
        f'<TR><TD COLSPAN="2"><B>{e(node.label)}</B></TD></TR>',
        f'<TR><TD ALIGN="LEFT">data</TD><TD ALIGN="RIGHT">{e(fmt(node.data))}</TD></TR>',
        f'<TR><TD ALIGN="LEFT">expected grad</TD>'
        f'<TD ALIGN="RIGHT">{e(fmt(node.expected_grad, node.wrong))}</TD></TR>',
        f'<TR><TD ALIGN="LEFT">your grad</TD><TD ALIGN="RIGHT">{e(got)}</TD></TR>',
    ]
    if node.wrong:
        mark = WRONG_MARK + (f" ({FIRST_MARK})" if first else "")
        rows.append(f'<TR><TD COLSPAN="2"><FONT COLOR="{line}"><B>{e(mark)}</B></FONT>'
                    "</TD></TR>")
    return (f'<<TABLE BORDER="{3 if node.wrong else 1}" CELLBORDER="0" CELLSPACING="0" '
            f'CELLPADDING="3" BGCOLOR="{fill}" COLOR="{line}">' + "".join(rows) + "</TABLE>>")


def _graphviz() -> Any:
    try:
        import graphviz
    except ImportError as exc:
        raise GraphvizUnavailable(f"the graphviz Python package is not installed: {INSTALL_HINT}"
                                  ) from exc
    return graphviz


def draw_graph(graph: ComputationGraph, rankdir: str = "LR") -> Any:
    """The graph as a graphviz Digraph (`.source` is its DOT text). Node ids are the Values'
    names (x0, n3, out); each op node is its result's id plus `_op`. SVG output carries the class
    `node wrong` (or `right`, `unread`) on each Value's group, and `first` on the first wrong one.
    """
    first = graph.first_wrong()
    dot = _graphviz().Digraph(graph_attr={"rankdir": rankdir, "bgcolor": "transparent"},
                              node_attr={"fontname": "Helvetica", "fontsize": "11"},
                              edge_attr={"color": "#57606a"})
    for node in graph.nodes:
        state = node_state(node) + (" first" if node is first else "")
        dot.node(node.id, label=_label(node, node is first), shape="plaintext",
                 _attributes={"class": state})
        if node.op:
            dot.node(f"{node.id}_op", label=node.op, shape="ellipse", fontsize="10",
                     _attributes={"class": "op"})
            dot.edge(f"{node.id}_op", node.id)
    ops = {node.id for node in graph.nodes if node.op}
    for src, dst in graph.edges:
        dot.edge(src, f"{dst}_op" if dst in ops else dst)
    return dot


_PROLOGUE = re.compile(r"\A.*?(?=<svg\b)", re.DOTALL)


def graph_svg(graph: ComputationGraph, prefix: str = "g") -> str:
    """The drawn graph as an `<svg>` element to inline in HTML (ids prefixed with `prefix`).

    Raises GraphvizUnavailable when the package or the `dot` program is missing.
    """
    graphviz = _graphviz()
    try:
        svg = draw_graph(graph).pipe(format="svg", encoding="utf-8")
    except graphviz.ExecutableNotFound as exc:
        raise GraphvizUnavailable(f"Graphviz's `dot` program was not found: {INSTALL_HINT}"
                                  ) from exc
    return inline_svg(svg, prefix)


def inline_svg(svg: str, prefix: str) -> str:
    """An SVG document as an element for an HTML page: no XML prologue, ids made unique."""
    svg = _PROLOGUE.sub("", svg, count=1)
    svg = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{prefix}-{m[1]}"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}-{m[1]})", svg)
    return re.sub(r'href="#([^"]+)"', lambda m: f'href="#{prefix}-{m[1]}"', svg)
