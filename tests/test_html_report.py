"""The HTML report of real grades: counterexample graphs, the no-Graphviz fallback, the audience,
loss curves, and the graph data results.json carries for `mgrade report`.
"""

from __future__ import annotations

import dataclasses
import math
import re

import pytest
from reportdata import graded, result

from autograder.model import ComputationGraph, GradeReport, GraphNode, Outcome, Verdict
from autograder.reporters import gradescope_json, render_html
from autograder.reporters.html_graph import first_wrong_sentence
from autograder.viz import GraphvizUnavailable, draw_graph, graph_svg

pytest.importorskip("graphviz")


@pytest.fixture(scope="module")
def tanh() -> GradeReport:
    return graded("wrong_tanh_derivative")


@pytest.fixture(scope="module")
def forwards() -> GradeReport:
    return graded("topo_not_reversed")


def test_a_wrong_local_derivative_carries_its_example_as_a_graph(tanh: GradeReport) -> None:
    verdict = result(tanh, "engine.tanh.backward").verdict
    graph = verdict.graph
    assert verdict.outcome is Outcome.WRONG and graph is not None
    a, out = graph.nodes
    assert (a.id, out.id, out.op, graph.edges) == ("a", "out", "tanh", (("a", "out"),))
    t = math.tanh(a.data)
    assert out.data == pytest.approx(t)
    # the student wrote 1 - t for the derivative; PyTorch says 1 - t**2 (upstream grad 1 here)
    assert a.expected_grad == pytest.approx((1 - t * t) * out.expected_grad)
    assert a.got_grad == pytest.approx((1 - t) * out.expected_grad)
    assert a.wrong and not out.wrong and out.got_grad is None  # out's grad is seeded, not read
    assert graph.first_wrong() is a
    # passing checks carry no graph
    assert all(r.verdict.graph is None for r in tanh.results if r.passed)


def test_an_topo_not_reversed_shows_where_the_gradient_goes_wrong(
        forwards: GradeReport) -> None:
    verdict = result(forwards, "engine.backward.accumulation").verdict
    graph = verdict.graph
    assert verdict.outcome is Outcome.WRONG and graph is not None
    first = graph.first_wrong()
    assert first is not None and first.wrong and first.got_grad != first.expected_grad
    assert graph.output.expected_grad == 1.0
    ids = [n.id for n in graph.nodes]
    assert ids[-1] == graph.output.id and all(a in ids and b in ids for a, b in graph.edges)
    sentence = first_wrong_sentence(graph)
    assert sentence.startswith(f"The first wrong gradient in backward order is {first.label}")
    # the node the summary names is marked wrong in the graph, with the same numbers
    named = re.search(r", (\w+)\.grad is (\S+),", verdict.summary)
    assert named is not None
    node = next(n for n in graph.nodes if n.id == named[1])
    assert node.wrong and repr(node.got_grad) == named[2]


def test_results_json_carries_the_graph_and_it_round_trips(tanh: GradeReport,
                                                           forwards: GradeReport) -> None:
    for report, check_id in ((tanh, "engine.tanh.backward"),
                             (forwards, "engine.backward.accumulation")):
        test = next(t for t in gradescope_json(report)["tests"] if t["name"] == check_id)
        stored = ComputationGraph.from_json(test["extra_data"]["graph"])
        assert stored == result(report, check_id).verdict.graph
        assert {"outcome", "examples", "duration_s"} <= set(test["extra_data"])
    passed = next(t for t in gradescope_json(tanh)["tests"] if t["name"] == "engine.add.forward")
    assert set(passed["extra_data"]) == {"outcome", "examples", "duration_s", "title"}


def test_the_page_draws_the_graph_and_marks_the_wrong_node(tanh: GradeReport) -> None:
    page = render_html(tanh)
    assert "<title>wrong_tanh_derivative: " in page
    row = re.search(r'<tr class="detail failed">.*?</tr>', page, re.DOTALL)
    assert row is not None
    detail = row.group(0)
    assert "<svg" in detail and 'class="node wrong first"' in detail
    assert "WRONG grad (first wrong in backward order)" in detail
    assert "The first wrong gradient in backward order is a:" in detail
    assert '<pre class="repro"><code>' in detail and "<code>a.tanh()</code>" in detail
    assert "<?xml" not in page and "<!DOCTYPE svg" not in page
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids))


def test_without_dot_the_page_shows_a_table_and_how_to_get_the_picture(
        tanh: GradeReport, tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` anywhere on PATH
    graph = result(tanh, "engine.tanh.backward").verdict.graph
    assert graph is not None
    with pytest.raises(GraphvizUnavailable, match="apt-get install graphviz"):
        graph_svg(graph)
    page = render_html(tanh)
    assert "<svg" not in page  # no picture at all, and no error either
    table = re.search(r'<table class="nodes">.*?</table>', page, re.DOTALL)
    assert table is not None
    assert '<tr class="wrong"><td><code>a</code></td>' in table.group(0)
    assert "\u2717 WRONG grad" in table.group(0)
    assert "The picture of this graph needs Graphviz" in page and "apt-get install graphviz" in page
    assert "The first wrong gradient in backward order is a:" in page


def test_the_student_page_leaves_withheld_checks_and_their_graphs_out(
        forwards: GradeReport) -> None:
    hidden = result(forwards, "engine.backward.graphs")
    assert hidden.visibility == "after_due_date" and hidden.verdict.graph is not None
    student = render_html(forwards, include_hidden=False)
    instructor = render_html(forwards)
    assert "engine.backward.graphs" in instructor
    assert "engine.backward.graphs" not in student and hidden.title not in student
    shown = [r for r in forwards.results if r.visibility == "visible"]
    assert student.count('<tr class="check ') == len(shown)
    assert student.count('class="node wrong first"') == sum(
        1 for r in shown if r.verdict.graph is not None and r.verdict.graph.first_wrong())
    score = sum(r.score for r in shown)
    maximum = sum(r.max_score for r in shown)
    assert f"{score:.1f}/{maximum:.1f}" in student
    assert "1 further check is graded but not listed here" in student


def test_a_training_check_shows_its_loss_curve() -> None:
    from test_reporters import make_report

    from autograder.model import CheckResult

    losses = (1.2, 0.9, None, 0.4)
    verdict = Verdict("nn.train.moons", Outcome.WRONG, "after training, accuracy 50%", "",
                      losses=losses)
    report = make_report([CheckResult("nn.train.moons", "training on the moons", "mlp", 2.0,
                                      0.0, "visible", verdict)])
    page = render_html(report)
    figure = re.search(r'<figure class="loss-curve">.*?</figure>', page, re.DOTALL)
    assert figure is not None and "<svg" in figure.group(0)
    assert "training step" in figure.group(0)  # the axis label is text in the SVG
    assert "1 steps had a loss that was not finite" in figure.group(0)
    data = gradescope_json(report)["tests"][0]["extra_data"]
    assert data["loss_curve"] == [1.2, 0.9, None, 0.4]


def test_draw_graph_source_names_values_ops_and_marks() -> None:
    graph = ComputationGraph(
        (GraphNode("x0", "x0", "", 2.0, 3.0, 1.0, True),
         GraphNode("n1", "n1 = x0 * x0", "mul", 4.0, 1.0, 1.0)),
        (("x0", "n1"), ("x0", "n1")))
    source = draw_graph(graph).source
    assert source.count("x0 -> n1_op") == 2 and "n1_op -> n1" in source
    assert 'class="wrong first"' in source and "WRONG grad" in source
    assert "<B>n1 = x0 * x0</B>" in source
    right = dataclasses.replace(graph, nodes=(dataclasses.replace(graph.nodes[0], wrong=False),
                                              graph.nodes[1]))
    assert right.first_wrong() is None and first_wrong_sentence(right) == ""


@pytest.mark.parametrize(("submission", "name"), [
    ("examples/submissions/reference (generated from reference/micrograd)", "reference"),
    ("/graded/alice.zip", "alice.zip"),
    ("C:\\\\course\\\\bob\\\\", "bob"),
    ("carol", "carol"),
])
def test_the_tab_title_is_the_submissions_own_name(submission: str, name: str) -> None:
    from autograder.reporters.html import submission_name

    assert submission_name(submission) == name


def test_feedback_code_is_rendered_as_code() -> None:
    from autograder.reporters.html_base import prose

    html = prose("Use `+=`, not `=` <b>.\n\n```\nx = Value(1.0)\n```\nlast `line")
    assert "<code>+=</code>" in html and "<code>=</code>" in html and "&lt;b&gt;" in html
    assert "<pre><code>x = Value(1.0)</code></pre>" in html
    assert "last `line" in html  # an unmatched backtick stays as it is
