"""The reply channel: frames, strict parsing and schema, and what a session makes of forgeries.

Replies come from a process that runs student code, so the parent accepts exactly the shape the
harness sends and nothing else. The unit tests pin each rule; the fuzz tests check that no input
at all gets past the parser as anything but a valid `Reply` or a `ProtocolViolation`; the session
tests use real workers whose student code writes to the reply pipe.
"""

from __future__ import annotations

import json
import shutil
import struct
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from util import REFERENCE

from autograder.loader import load_submission
from autograder.model import Outcome
from autograder.protocol import (
    MAX_REPLY_BYTES,
    ProtocolViolation,
    decode_payload,
    encode_frame,
    frame_length,
    validate_reply,
)
from autograder.sandbox import detect_isolation
from autograder.session import SessionConfig, WorkerDied, WorkerSession
from autograder.worker.steps import Apply, Leaf, Read


def reply(**fields: object) -> dict:
    return {"id": 7, "ok": True, "values": [], "events": [], **fields}


# ---- frames -------------------------------------------------------------------------------------


def test_frame_is_big_endian_length_then_compact_json() -> None:
    frame = encode_frame({"id": 3, "kind": "run", "steps": [["value", 1.5]]})
    (n,) = struct.unpack(">I", frame[:4])
    assert n == len(frame) - 4
    assert json.loads(frame[4:]) == {"id": 3, "kind": "run", "steps": [["value", 1.5]]}
    assert b" " not in frame[4:]


def test_requests_never_carry_nan() -> None:
    with pytest.raises(ValueError):
        encode_frame({"id": 1, "x": float("nan")})


def test_oversize_frame_is_refused_before_it_is_read() -> None:
    assert frame_length(struct.pack(">I", MAX_REPLY_BYTES)) == MAX_REPLY_BYTES
    with pytest.raises(ProtocolViolation, match="exceeds"):
        frame_length(struct.pack(">I", MAX_REPLY_BYTES + 1))
    with pytest.raises(ProtocolViolation):
        frame_length(b"\xff\xff\xff\xff")


# ---- parsing ------------------------------------------------------------------------------------


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_tokens_are_rejected(token: str) -> None:
    with pytest.raises(ProtocolViolation, match="not a finite number"):
        decode_payload(f'{{"id": 1, "ok": true, "values": [{token}]}}'.encode())


@pytest.mark.parametrize("number", ["1e999", "-1e999", "1.0e400"])
def test_numbers_that_overflow_to_infinity_are_rejected(number: str) -> None:
    # json.loads would turn these into inf; a reply may only hold finite floats.
    with pytest.raises(ProtocolViolation, match="out-of-range"):
        decode_payload(f'{{"values": [{number}]}}'.encode())


@pytest.mark.parametrize("payload", [
    b"", b"{", b"[1, 2]", b'"ok"', b"\xff\xfe{}", b"{'id': 1}", b"[" * 100_000 + b"]" * 100_000,
    b'{"id": 1' + b"9" * 5000 + b"}",
])
def test_anything_but_a_strict_json_object_is_a_violation(payload: bytes) -> None:
    with pytest.raises(ProtocolViolation):
        decode_payload(payload)


@given(st.binary(max_size=200))
def test_random_bytes_never_parse_into_anything_else(data: bytes) -> None:
    try:
        message = decode_payload(data)
    except ProtocolViolation:
        return
    assert isinstance(message, dict)


# ---- the schema ---------------------------------------------------------------------------------


def test_a_valid_reply() -> None:
    got = validate_reply(reply(values=[1.5, 2, {"nonfinite": "nan"}, {"bad": "NoneType"}],
                               events=["import:numpy", "fork"]), 7, 4)
    assert got.ok and got.values == (1.5, 2.0, "nan", "bad:NoneType")
    assert got.events == ("import:numpy", "fork")


@pytest.mark.parametrize("wrong_id", [8, 6, True, 7.0, "7", None, [7]])
def test_the_id_must_be_the_request_id_exactly(wrong_id: object) -> None:
    with pytest.raises(ProtocolViolation, match="does not match"):
        validate_reply(reply(id=wrong_id), 7, None)


@pytest.mark.parametrize("value", [True, False, 2**53 + 1, -(2**60), "1.5", None, [1.0],
                                   {"nonfinite": "nope"}, {"nonfinite": "nan", "x": 1}, {}])
def test_only_finite_floats_and_known_tags_count_as_values(value: object) -> None:
    with pytest.raises(ProtocolViolation):
        validate_reply(reply(values=[value]), 7, 1)


def test_ints_within_float_precision_are_floats() -> None:
    assert validate_reply(reply(values=[3, -(2**53)]), 7, 2).values == (3.0, -float(2**53))


def test_the_number_of_values_must_be_what_was_asked() -> None:
    with pytest.raises(ProtocolViolation, match="expected 2"):
        validate_reply(reply(values=[1.0]), 7, 2)


@pytest.mark.parametrize("fields", [
    {"verdict": "passed"}, {"score": 1.0}, {"ok": 1}, {"ok": "true"},
    {"events": "fork"}, {"events": ["pwned"]}, {"events": ["import:../x"]}, {"events": [1]},
    {"events": ["fork"] * 65}, {"methods": {"__add__": "stub"}}, {"methods": []},
    {"error": {"type": "X", "message": "", "where": "", "kind": "raised"}}, {"step": 2},
])
def test_anything_the_harness_never_sends_is_a_violation(fields: dict) -> None:
    with pytest.raises(ProtocolViolation):
        validate_reply(reply(**fields), 7, None)


def test_a_failed_reply_needs_a_well_formed_error_and_no_values() -> None:
    error = {"type": "TypeError", "message": "m", "where": "engine.py:3 in f", "kind": "raised"}
    got = validate_reply({"id": 7, "ok": False, "step": 2, "error": error, "events": []}, 7, 3)
    assert not got.ok and got.error is not None and got.error.step == 2
    assert got.error.describe() == "TypeError: m (engine.py:3 in f)"
    for broken in ({"error": None}, {"error": {**error, "kind": "passed"}},
                   {"error": {**error, "extra": 1}}, {"error": error, "values": [1.0]},
                   {"error": error, "step": -1}, {"error": {**error, "message": 5}}):
        with pytest.raises(ProtocolViolation):
            validate_reply({"id": 7, "ok": False, **broken}, 7, None)


def test_long_strings_are_cut() -> None:
    error = {"type": "T" * 500, "message": "m" * 100_000, "where": "w" * 1000, "kind": "raised"}
    got = validate_reply({"id": 7, "ok": False, "error": error}, 7, None)
    assert got.error is not None
    assert len(got.error.type) == 100 and len(got.error.message) == 500
    assert len(got.error.where) == 300


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                  max_size=4),
    max_leaves=12,
)
reply_like = st.fixed_dictionaries(
    {"id": st.sampled_from([7, 8, True]), "ok": st.booleans() | json_values},
    optional={"values": json_values | st.lists(st.floats(allow_nan=False) | json_values),
              "events": json_values, "methods": json_values, "stage": json_values,
              "step": json_values, "error": json_values, "extra": json_values},
)


@given(reply_like)
def test_no_reply_gets_past_validation_as_anything_but_a_reply(message: dict) -> None:
    """Whatever the shape, validation either returns a Reply of finite floats and tags or raises
    ProtocolViolation; it never crashes with another exception."""
    payload = json.dumps(message).encode()
    try:
        got = validate_reply(decode_payload(payload), 7, None)
    except ProtocolViolation:
        return
    for value in got.values:
        assert isinstance(value, str) or (type(value) is float and value == value)


# ---- sessions: frames written by student code ---------------------------------------------------


def _submission(tmp_path: Path, patch: str) -> Path:
    src = tmp_path / "src" / "micrograd"
    src.mkdir(parents=True)
    shutil.copy(REFERENCE / "__init__.py", src / "__init__.py")
    (src / "engine.py").write_text((REFERENCE / "engine.py").read_text() + "\n" + patch)
    return src.parent


FORGE = '''
import gc, json, os, struct

def _pipe():
    for obj in gc.get_objects():
        if type(obj).__name__ == "Worker" and hasattr(obj, "wfd"):
            return obj.wfd

def _write(payload):
    os.write(_pipe(), struct.pack(">I", len(payload)) + payload)

_add = Value.__add__

def _forging_add(self, other):
    {body}
    return _add(self, other)

Value.__add__ = _forging_add
'''


def _session(tmp_path: Path, body: str) -> WorkerSession:
    src = _submission(tmp_path, FORGE.replace("{body}", body))
    staged = load_submission(src, tmp_path / "stage")
    return WorkerSession(staged, detect_isolation("process"), SessionConfig(call_timeout_s=5))


ADD = [Leaf(1.0), Leaf(2.0), Apply("a + b", {"a": 0, "b": 1}), Read(2, "data")]


def test_an_honest_worker_is_not_flagged(tmp_path: Path) -> None:
    with _session(tmp_path, "pass") as session:
        assert session.run(ADD, 1).values == (3.0,)
    assert session.tampered is None


@pytest.mark.parametrize(("body", "why"), [
    ('_write(b"{\\"id\\": 999, \\"ok\\": true, \\"values\\": [3.0], \\"events\\": []}")',
     "does not match"),
    ('_write(b"{\\"id\\": 2, \\"ok\\": true, \\"values\\": [NaN], \\"events\\": []}")',
     "not a finite number"),
    ('os.write(_pipe(), struct.pack(">I", 1 << 30))', "exceeds"),
    ('os.write(_pipe(), b"\\x00\\x00\\x00\\x05junk!")', "not valid JSON"),
])
def test_garbage_on_the_reply_pipe_fails_the_call_and_taints_the_session(
        tmp_path: Path, body: str, why: str) -> None:
    with _session(tmp_path, body) as session:
        with pytest.raises(WorkerDied) as died:
            session.run(ADD, 1)
    assert died.value.outcome is Outcome.PROTOCOL and why in died.value.reason
    assert session.tampered is not None


def test_a_forged_correct_reply_is_found_when_the_real_one_follows(tmp_path: Path) -> None:
    """The forged frame (right id, right value) is read as the reply; the harness's own reply,
    sent a moment later, then sits in the pipe as an extra frame, and the session is marked
    tampered when it closes (the grader then fails every check the worker ran)."""
    body = ('_write(json.dumps({"id": 2, "ok": True, "values": [3.0], "events": []})'
            '.encode()); __import__("time").sleep(0.3)')
    with _session(tmp_path, body) as session:
        assert session.run(ADD, 1).values == (3.0,)  # the forgery, accepted for now
        assert session.tampered is None
    assert session.tampered is not None  # a stale reply id, or bytes left over after "bye"


def test_a_forged_frame_arriving_with_the_real_one_fails_the_call(tmp_path: Path) -> None:
    body = '_write(json.dumps({"id": 2, "ok": True, "values": [3.0], "events": []}).encode())'
    with _session(tmp_path, body) as session:
        try:
            session.run(ADD, 1)
        except WorkerDied as died:
            assert died.outcome is Outcome.PROTOCOL
    assert session.tampered is not None
