"""Batch requests and the per-process caches: faster grading with the verdicts of the live path.

- the `batch` reply schema is as strict as a `run` reply's;
- each program of a batch runs on its own in a real worker: one that raises does not touch the
  next, and a forged frame during a batch taints the session as it does during a `run`;
- a grade with batches (and one from a process's cache) gives every check the verdict, feedback
  and example count of the live, one-round-trip-per-example grade, passing and failing alike;
- a cached oracle answer equals a fresh computation exactly.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from util import REFERENCE

from autograder.checks.graphs import graphs
from autograder.demo import discover, materialize
from autograder.gradecache import GradeCache
from autograder.grading import GradeOptions, grade
from autograder.ir import Program
from autograder.loader import load_submission
from autograder.model import Outcome
from autograder.ops import OPS
from autograder.oracles import PythonOracle, TorchOracle
from autograder.oracles.caching import CachingOracle
from autograder.protocol import ProtocolViolation, validate_batch_reply
from autograder.sandbox import detect_isolation
from autograder.session import SessionConfig, WorkerDied, WorkerSession
from autograder.worker.steps import Apply, Leaf, Read

EXAMPLES = {example.name: example for example in discover()}
OK = {"ok": True, "values": [3.0]}
RAISED = {"ok": False, "step": 2, "error": {"type": "ZeroDivisionError", "message": "x",
                                             "where": "", "kind": "raised"}}


def batch(*results: object, **fields: object) -> dict:
    return {"id": 4, "ok": True, "results": list(results), "events": [], **fields}


# ---- the reply schema ---------------------------------------------------------------------------


def test_a_valid_batch_reply_gives_one_reply_per_program() -> None:
    replies, events = validate_batch_reply(batch(OK, RAISED, events=["socket"]), 4, [1, 1])
    assert [r.ok for r in replies] == [True, False]
    assert replies[0].values == (3.0,) and replies[1].error is not None
    assert replies[1].error.step == 2 and replies[1].error.type == "ZeroDivisionError"
    assert events == ("socket",)


@pytest.mark.parametrize(("message", "expect"), [
    (batch(OK), [1, 1]),  # too few results
    (batch(OK, OK), [1]),  # too many
    (batch(OK), [2]),  # a program read the wrong number of values
    (batch(OK, id=5), [1]),
    (batch(OK, ok=False), [1]),
    (batch(OK, values=[1.0]), [1]),  # a run reply's field on a batch reply
    (batch({**OK, "id": 4}), [1]),  # a result carries a top-level field
    (batch({**OK, "events": []}), [1]),
    (batch({"ok": True, "values": [True]}), [1]),
    (batch({"ok": True, "values": ["3.0"]}), [1]),
    (batch({**RAISED, "values": []}), [1]),
    (batch([3.0]), [1]),
    ({"id": 4, "ok": True, "results": {"0": OK}, "events": []}, [1]),
    (batch(OK, events=["rm -rf"]), [1]),
])
def test_anything_the_harness_never_sends_in_a_batch_is_a_violation(message: dict,
                                                                    expect: list[int]) -> None:
    with pytest.raises(ProtocolViolation):
        validate_batch_reply(message, 4, expect)


@given(st.recursive(st.none() | st.booleans() | st.floats(allow_nan=False, allow_infinity=False)
                    | st.integers() | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.sampled_from(["ok", "values", "step", "error", "id",
                                                       "results", "events", "kind"]), inner,
                                      max_size=4),
                    max_leaves=12))
def test_no_message_passes_as_anything_but_a_well_formed_batch(message: object) -> None:
    """(NaN and infinities never get this far: `decode_payload` refuses them.)"""
    candidate = message if isinstance(message, dict) else {"id": 4, "results": message}
    try:
        replies, _ = validate_batch_reply(candidate, 4, [1])
    except ProtocolViolation:
        return
    assert len(replies) == 1
    assert all(type(v) is float and math.isfinite(v) or isinstance(v, str)
               for v in replies[0].values)


# ---- a real worker ------------------------------------------------------------------------------


def _session(tmp_path: Path, patch: str = "") -> WorkerSession:
    src = tmp_path / "src" / "micrograd"
    src.mkdir(parents=True)
    shutil.copy(REFERENCE / "__init__.py", src / "__init__.py")
    (src / "engine.py").write_text((REFERENCE / "engine.py").read_text() + "\n" + patch)
    staged = load_submission(src.parent, tmp_path / "stage")
    return WorkerSession(staged, detect_isolation("process"), SessionConfig(call_timeout_s=5))


def _binary(expr: str, a: float, b: float) -> list:
    return [Leaf(a), Leaf(b), Apply(expr, {"a": 0, "b": 1}), Read(2, "data")]


def test_programs_of_a_batch_do_not_touch_each_other(tmp_path: Path) -> None:
    """The second program raises mid-way, the third reads a slot it never filled, the fourth
    exits the interpreter: each is that program's error, and the others still run."""
    patch = ("_mul = Value.__mul__\n"
             "def _exiting_mul(self, other):\n"
             "    if self.data == 13.0:\n"
             "        raise SystemExit(3)\n"
             "    return _mul(self, other)\n"
             "Value.__mul__ = _exiting_mul\n")
    with _session(tmp_path, patch) as session:
        replies = session.run_batch([
            (_binary("a + b", 1.0, 2.0), 1),
            (_binary("a / b", 1.0, 0.0), 1),
            ([Leaf(1.0), Read(5, "data")], 1),
            (_binary("a * b", 13.0, 2.0), 1),
            (_binary("a * b", 3.0, 2.0), 1),
        ])
        alone = session.run(_binary("a / b", 1.0, 0.0), 1)
    assert replies[0].ok and replies[0].values == (3.0,)
    assert not replies[1].ok and replies[1].error == alone.error  # as if sent alone
    assert replies[1].error.type == "ZeroDivisionError" and replies[1].error.step == 2
    assert not replies[2].ok and replies[2].error.type == "IndexError"
    assert replies[2].error.step == 1
    assert not replies[3].ok and "sys.exit(3)" in replies[3].error.message
    assert replies[4].ok and replies[4].values == (6.0,)
    assert session.tampered is None


def test_a_forged_frame_during_a_batch_taints_the_session(tmp_path: Path) -> None:
    patch = ('import gc, os, struct\n'
             '_add = Value.__add__\n'
             'def _forging_add(self, other):\n'
             '    for obj in gc.get_objects():\n'
             '        if type(obj).__name__ == "Worker" and hasattr(obj, "wfd"):\n'
             '            payload = b\'{"id": 2, "ok": true, "results": [], "events": []}\'\n'
             '            os.write(obj.wfd, struct.pack(">I", len(payload)) + payload)\n'
             '    return _add(self, other)\n'
             'Value.__add__ = _forging_add\n')
    with _session(tmp_path, patch) as session:
        with pytest.raises(WorkerDied) as died:
            session.run_batch([(_binary("a + b", 1.0, 2.0), 1), (_binary("a * b", 1.0, 2.0), 1)])
    assert died.value.outcome is Outcome.PROTOCOL
    assert session.tampered is not None


# ---- grades: the same verdicts as the live path -------------------------------------------------

ONLY = ("engine.add.forward", "engine.add.backward", "engine.mul.backward", "engine.rsub.forward",
        "engine.tanh.backward", "engine.backward.seed", "engine.backward.graphs",
        "engine.backward.accumulation")


def _verdicts(report) -> list[tuple]:
    return [(r.check_id, r.verdict.outcome, r.verdict.summary, r.verdict.feedback,
             r.verdict.repro, r.verdict.examples, r.verdict.notes, r.score) for r in report.results]


@pytest.mark.parametrize("name", ["reference", "eq_not_pluseq", "missing_rsub",
                                  "wrong_tanh_derivative"])
def test_batches_and_the_cache_give_the_live_verdicts(tmp_path: Path, name: str) -> None:
    submission = materialize(EXAMPLES[name], tmp_path)
    options = GradeOptions(assignments=["ops", "backprop"], only=ONLY, oracle="python")
    live = grade(submission, GradeOptions(**{**vars(options), "batch": False}))
    cache = GradeCache()
    first = grade(submission, GradeOptions(**{**vars(options), "cache": cache}))
    # drawn, or read from the session's disk cache (tests/conftest.py), never from memory yet
    assert cache.examples.misses + cache.examples.loaded and not cache.examples.hits
    again = grade(submission, GradeOptions(**{**vars(options), "cache": cache}))
    assert cache.examples.hits  # the second grade drew no example
    assert _verdicts(live) == _verdicts(first) == _verdicts(again)
    if name != "reference":
        assert any(r.verdict.outcome is not Outcome.PASSED for r in live.results)


def test_a_cache_filled_by_one_submission_serves_another(tmp_path: Path) -> None:
    """The batch case: a process grades a correct submission, then a buggy one from its cache."""
    reference = materialize(EXAMPLES["reference"], tmp_path)
    buggy = materialize(EXAMPLES["eq_not_pluseq"], tmp_path)
    options = GradeOptions(assignments=["ops", "backprop"], only=ONLY, oracle="python")
    cache = GradeCache()
    grade(reference, GradeOptions(**{**vars(options), "cache": cache}))
    from_cache = grade(buggy, GradeOptions(**{**vars(options), "cache": cache}))
    live = grade(buggy, GradeOptions(**{**vars(options), "batch": False}))
    assert cache.examples.hits
    assert _verdicts(from_cache) == _verdicts(live)


# ---- the oracle's cache -------------------------------------------------------------------------


def _same(a: list[float], b: list[float]) -> bool:
    """Exactly equal, down to the sign of zero."""
    return [repr(x) for x in a] == [repr(x) for x in b]


@pytest.mark.parametrize("make", [TorchOracle, PythonOracle], ids=["torch", "python"])
def test_a_cached_oracle_answer_equals_a_fresh_one_exactly(make) -> None:
    fresh = make()
    cached = CachingOracle(make())

    @settings(max_examples=60, database=None, derandomize=True)
    @given(graphs([op.name for op in OPS], max_nodes=8, share=True), st.integers(0, 3))
    def agree(graph, repeat):
        program = Program()
        slots = graph.build(program)
        program.backward(slots[-1])
        for slot in slots:
            program.read(slot, "grad")
            program.read(slot, "data")
        for _ in range(repeat + 1):  # the first asks, the others hit the cache
            answer = cached.run(program)
            assert _same(answer, fresh.run(program)), graph
            answer.append(0.5)  # a caller changing its copy changes nothing cached

    agree()
    assert cached.hits and cached.misses


def test_a_cached_network_answer_equals_a_fresh_one_exactly() -> None:
    fresh, cached = TorchOracle(), CachingOracle(TorchOracle())
    layers = ((2, 3, True), (3, 1, False))
    params = [0.1 * i - 0.7 for i in range(13)]
    args = (layers, params, [[0.5, -1.0], [2.0, 0.25]], "hinge", [1, -1], 0.1)
    for _ in range(3):
        got, want = cached.network(*args), fresh.network(*args)
        assert got == want and _same(got.grads, want.grads) and _same(got.stepped, want.stepped)
        got.grads.append(1.0)
    assert (cached.hits, cached.misses) == (2, 1)
