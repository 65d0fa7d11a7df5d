"""The graph drawer: the DOT text has a record per Value and a node per op, wired input -> op ->
result; rendering without Graphviz's `dot` program fails with an error that says what to install.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from util import REPO, reference

ref = reference()
Value = ref.engine.Value
viz = ref.viz

pytest.importorskip("graphviz")

# graphviz quotes a label only when it must: `label="**2"` but `label=ReLU`
NODE = re.compile(r'^\t(\w+) \[label=(?:"([^"]*)"|(\w+))(?: shape=(\w+))?\]$')
EDGE = re.compile(r"^\t(\w+) -> (\w+)$")


def parse(source: str) -> tuple[dict[str, tuple[str, str | None]], set[tuple[str, str]]]:
    """{name: (label, shape)} and {(tail, head)} from the DOT text graphviz writes."""
    nodes, edges = {}, set()
    for line in source.splitlines():
        if m := NODE.match(line):
            nodes[m[1]] = (m[2] if m[2] is not None else m[3], m[4])
        elif m := EDGE.match(line):
            edges.add((m[1], m[2]))
    return nodes, edges


def small_graph() -> tuple[Value, Value, Value, Value]:
    """d = a * b + a, backpropagated: a is used twice."""
    a, b = Value(2.0), Value(-3.0)
    c = a * b
    d = c + a
    d.backward()
    return a, b, c, d


def test_source_has_a_record_per_value_an_op_node_per_result_and_the_edges() -> None:
    a, b, c, d = small_graph()
    nodes, edges = parse(viz.draw_dot(d).source)

    records = {label: name for name, (label, shape) in nodes.items() if shape == "record"}
    assert set(records) == {
        "{ data 2.0000 | grad -2.0000 }",  # a: dd/da = b + 1
        "{ data -3.0000 | grad 2.0000 }",  # b: dd/db = a
        "{ data -6.0000 | grad 1.0000 }",  # c
        "{ data -4.0000 | grad 1.0000 }",  # d
    }, viz.draw_dot(d).source
    rec_a, rec_b, rec_c, rec_d = (records[f"{{ data {v.data:.4f} | grad {v.grad:.4f} }}"]
                                  for v in (a, b, c, d))
    ops = {label: name for name, (label, shape) in nodes.items() if shape is None}
    assert set(ops) == {"*", "+"}, "one op node per Value made by an op, none for leaves"
    assert edges == {
        (ops["*"], rec_c), (rec_a, ops["*"]), (rec_b, ops["*"]),
        (ops["+"], rec_d), (rec_c, ops["+"]), (rec_a, ops["+"]),
    }


def test_op_labels_and_rankdir() -> None:
    x = Value(3.0)
    out = (x**2).relu().tanh()
    source = viz.draw_dot(out, rankdir="TB").source
    labels = {label for label, _ in parse(source)[0].values()}
    assert {"**2", "ReLU", "tanh"} <= labels
    assert "rankdir=TB" in source
    assert "rankdir=LR" in viz.draw_dot(out).source


def test_unknown_rankdir_is_rejected() -> None:
    with pytest.raises(ValueError, match="rankdir"):
        viz.draw_dot(Value(1.0), rankdir="RL")


def test_a_graph_deeper_than_the_recursion_limit_can_be_drawn() -> None:
    x, start = Value(1.0), Value(0.0)
    node = start
    depth = 2 * sys.getrecursionlimit()
    for _ in range(depth):
        node = node + x
    nodes, edges = parse(viz.draw_dot(node).source)
    assert len(nodes) == 2 * depth + 2  # a record and an op node per `+`, plus x and start
    assert len(edges) == 3 * depth  # per `+`: op -> result, running node -> op, x -> op


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot program is not installed")
def test_render_writes_an_svg(tmp_path: Path) -> None:
    *_, d = small_graph()
    path = viz.render(d, tmp_path / "graph.svg")
    assert path == tmp_path / "graph.svg"
    assert "<svg" in path.read_text()
    assert list(tmp_path.iterdir()) == [path], "no stray source files next to the image"


def test_render_without_the_dot_program_raises_a_plain_runtime_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    *_, d = small_graph()
    assert viz.draw_dot(d).source  # building the DOT text needs no `dot` program
    with pytest.raises(RuntimeError, match="apt-get install graphviz") as info:
        viz.render(d, tmp_path / "graph.svg")
    assert "`dot`" in str(info.value)
    assert not (tmp_path / "graph.svg").exists()


def test_missing_graphviz_package_says_to_pip_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "graphviz", None)  # makes `import graphviz` fail
    with pytest.raises(ImportError, match="pip install graphviz"):
        viz.draw_dot(Value(1.0))


def test_importing_the_package_does_not_import_graphviz() -> None:
    code = (
        "import sys; sys.path.insert(0, 'tests'); import util; util.reference(); "
        "print('graphviz' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                            text=True, check=True)
    assert result.stdout.strip() == "False", result.stderr
