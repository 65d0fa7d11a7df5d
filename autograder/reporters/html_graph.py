"""A failing backward example on the HTML page: the drawn graph, or a table when `dot` is missing.

Either way the page says in words which gradient is the first wrong one in backward order, so
the finding never depends on colour or on the picture.
"""

from __future__ import annotations

from autograder.model import ComputationGraph, GraphNode
from autograder.reporters.html_base import e
from autograder.viz import WRONG_MARK, GraphvizUnavailable, fmt, graph_svg, node_state

LEGEND = ("Each box is a Value: its data, the expected gradient (from the oracle named at the top "
          "of this page), and the gradient your code produced. Boxes with a thick red border and "
          "the words \u201cWRONG grad\u201d differ from the expected one; \u201cnot read\u201d "
          "means this check did not look at that gradient.")


def first_wrong_sentence(graph: ComputationGraph) -> str:
    """ "The first wrong gradient in backward order is ..." plus where to look, in plain words."""
    node = graph.first_wrong()
    if node is None:
        return ""
    text = (f"The first wrong gradient in backward order is {node.label}: expected "
            f"{fmt(node.expected_grad, True)}, your code gave {fmt(node.got_grad, True)}.")
    users = graph.users(node.id)
    if node is graph.output:
        return text + " It is the output itself: backward() must start from out.grad = 1."
    if users and all(u.got_grad is not None and not u.wrong for u in users):
        names = ", ".join(u.label for u in users)
        text += (f" The gradients of what it feeds into ({names}) are right, so the gradient "
                 f"goes wrong on the way back to {node.id}: either that step's _backward uses "
                 "the wrong local derivative, or backward() ran it before its own gradient was "
                 "complete.")
    return text


def graph_figure(graph: ComputationGraph, prefix: str) -> str:
    """The graph as inline SVG with a caption; without Graphviz, a table and how to get the
    picture."""
    sentence = f'<p class="callout first-wrong">{e(first_wrong_sentence(graph))}</p>' \
        if graph.first_wrong() else ""
    try:
        svg = graph_svg(graph, prefix)
    except GraphvizUnavailable as missing:
        note = f"The picture of this graph needs Graphviz: {missing}."
    except Exception as exc:  # noqa: BLE001 - a drawing failure must not cost the page
        note = f"The picture of this graph could not be drawn ({type(exc).__name__}: {exc})."
    else:
        return (f'<figure class="graph">{sentence}<div class="graph-svg">{svg}</div>'
                f"<figcaption>{e(LEGEND)}</figcaption></figure>")
    return (f'<figure class="graph graph-table">{sentence}{node_table(graph)}'
            f'<figcaption class="note">{e(note)}</figcaption></figure>')


def _verdict(node: GraphNode) -> str:
    return {"wrong": WRONG_MARK, "right": "\u2713 right", "unread": "not read"}[node_state(node)]


def node_table(graph: ComputationGraph) -> str:
    """The graph as a table, output first (backward order)."""
    rows = ["<table class=\"nodes\"><thead><tr><th>Value</th><th>data</th>"
            "<th>expected grad</th><th>your grad</th><th></th></tr></thead><tbody>"]
    for node in reversed(graph.nodes):
        rows.append(
            f'<tr class="{node_state(node)}"><td><code>{e(node.label)}</code></td>'
            f'<td class="num">{e(fmt(node.data))}</td>'
            f'<td class="num">{e(fmt(node.expected_grad, node.wrong))}</td>'
            f'<td class="num">{e(fmt(node.got_grad, node.wrong))}</td>'
            f"<td>{e(_verdict(node))}</td></tr>")
    rows.append("</tbody></table>")
    return "".join(rows)
