"""Frames and strict reply validation for the worker channel (the grader's side).

A frame is a 4-byte big-endian length and that many bytes of UTF-8 JSON. Replies come from a process
that runs untrusted code, so everything is checked here before the grader looks at it: size, JSON
without NaN/Infinity tokens (nor numbers such as 1e999 that overflow to infinity), the request id,
and the exact shape of every field. A reply that fails any check is a `ProtocolViolation`, which
the grader treats as a failure, never as a pass, and which voids the whole worker session: the
harness never sends such a frame, so only student code writing to the reply pipe can.
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass
from typing import Any

MAX_REPLY_BYTES = 1 << 20  # 1 MiB: a reply holds floats and short messages, nothing bigger


class ProtocolViolation(Exception):
    """The worker sent something that is not a valid reply."""


def encode_frame(message: dict[str, Any]) -> bytes:
    """A request frame: compact JSON (never NaN: the grader only sends finite numbers)."""
    data = json.dumps(message, allow_nan=False, separators=(",", ":")).encode("utf-8")
    return struct.pack(">I", len(data)) + data


def frame_length(header: bytes, limit: int = MAX_REPLY_BYTES) -> int:
    """The payload length a 4-byte header announces; over `limit` is a violation, not a read."""
    (n,) = struct.unpack(">I", header)
    if n > limit:
        raise ProtocolViolation(f"reply of {n} bytes exceeds the {limit}-byte cap")
    return n


def _reject_constant(token: str) -> Any:
    raise ProtocolViolation(f"reply contains the JSON token {token}, which is not a finite number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e999 parses to inf
        raise ProtocolViolation(f"reply contains the out-of-range number {text[:40]}")
    return value


def decode_payload(payload: bytes) -> dict[str, Any]:
    """Parse a reply payload; anything but strict, finite JSON holding an object is a violation."""
    try:
        text = payload.decode("utf-8")
        message = json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
    except ProtocolViolation:
        raise
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ProtocolViolation(f"reply is not valid JSON: {exc}"[:200]) from None
    if not isinstance(message, dict):
        raise ProtocolViolation("reply is not a JSON object")
    return message


# ---- validated replies -------------------------------------------------------------------------

NumberOrIssue = float | str  # a finite float, or "nan"/"inf"/"-inf", or "bad:<type>"


@dataclass(frozen=True)
class StudentError:
    """An exception (or harness-detected problem) raised while running a step."""

    type: str
    message: str
    where: str
    kind: str  # raised | not_implemented | bad_return | load_error | protocol
    step: int | None

    def describe(self) -> str:
        where = f" ({self.where})" if self.where else ""
        return f"{self.type}: {self.message}{where}" if self.message else f"{self.type}{where}"


@dataclass(frozen=True)
class Reply:
    ok: bool
    values: tuple[NumberOrIssue, ...]
    error: StudentError | None
    events: tuple[str, ...]
    methods: dict[str, str]
    stage: str | None = None


_ERROR_KINDS = {"raised", "not_implemented", "bad_return", "load_error", "protocol"}
_METHOD_STATES = {"ok", "missing"}
_REPLY_KEYS = {"id", "ok", "values", "events", "methods", "stage", "step", "error"}
_ERROR_KEYS = {"type", "message", "where", "kind"}
# What the worker's audit hook reports (see harness.Worker.audit): imports of watched modules and
# attempts to start processes, signal other processes or open sockets.
RUNTIME_EVENTS = {"exec", "fork", "signal", "socket"}


def _string(value: Any, field: str, limit: int) -> str:
    if not isinstance(value, str):
        raise ProtocolViolation(f"reply field {field} is not a string")
    return value[:limit]


def _value(item: Any) -> NumberOrIssue:
    if type(item) is float:  # noqa: E721  (exact type: bool and int subclasses are not floats)
        return item
    if type(item) is int:  # noqa: E721
        if abs(item) > 2**53:
            raise ProtocolViolation("reply contains an integer too large to be a float")
        return float(item)
    if isinstance(item, dict) and len(item) == 1:
        if item.get("nonfinite") in ("nan", "inf", "-inf"):
            return item["nonfinite"]
        if "bad" in item:
            return "bad:" + _string(item["bad"], "values[].bad", 80)
    raise ProtocolViolation(f"reply value {str(item)[:60]!r} is neither a finite float nor a tag")


def _event(item: Any) -> str:
    text = _string(item, "events[]", 80)
    name = text[len("import:"):] if text.startswith("import:") else None
    if text in RUNTIME_EVENTS or (name and name.replace("_", "a").isalnum()):
        return text
    raise ProtocolViolation(f"reply field events holds the unknown event {text[:40]!r}")


_BATCH_KEYS = {"id", "ok", "results", "events"}
_RESULT_KEYS = {"ok", "values", "step", "error"}
MAX_BATCH_PROGRAMS = 256  # programs in one batch request


def _check_id(message: dict[str, Any], request_id: int) -> None:
    if type(message.get("id")) is not int or message["id"] != request_id:  # noqa: E721
        raise ProtocolViolation(f"reply id {str(message.get('id'))[:20]} does not match request "
                                f"{request_id}")


def _check_keys(message: dict[str, Any], allowed: set[str]) -> None:
    unknown = set(message) - allowed
    if unknown:
        raise ProtocolViolation(f"reply has unknown fields {sorted(unknown)[:3]}"[:120])


def validate_reply(message: dict[str, Any], request_id: int, expect_values: int | None) -> Reply:
    """Check a decoded reply against the schema; `expect_values` is the count an ok reply must have.

    Strict on purpose: the harness always sends exactly this shape, so anything else (an unknown
    key, a value of the wrong type, an event nobody defined) can only come from tampering.
    """
    _check_id(message, request_id)
    _check_keys(message, _REPLY_KEYS)
    return _validate_body(message, expect_values)


def validate_batch_reply(message: dict[str, Any], request_id: int,
                         expect_values: list[int]) -> tuple[list[Reply], tuple[str, ...]]:
    """Check the reply to a `batch` request: one result per program, in order, each with the
    shape of a `run` reply (without id and events) and the count of values its program reads.
    Returns the per-program replies and the events of the whole batch."""
    _check_id(message, request_id)
    _check_keys(message, _BATCH_KEYS)
    if message.get("ok") is not True:
        raise ProtocolViolation("a batch reply is not ok")
    events = _validate_body({"ok": True, "events": message.get("events", [])}, 0).events
    results = message.get("results")
    if not isinstance(results, list) or len(results) != len(expect_values):
        raise ProtocolViolation(f"a batch reply does not hold {len(expect_values)} results")
    replies = []
    for item, expect in zip(results, expect_values, strict=True):
        if not isinstance(item, dict):
            raise ProtocolViolation("a batch result is not an object")
        _check_keys(item, _RESULT_KEYS)
        replies.append(_validate_body(item, expect))
    return replies, events


def _validate_body(message: dict[str, Any], expect_values: int | None) -> Reply:
    ok = message.get("ok")
    if type(ok) is not bool:  # noqa: E721
        raise ProtocolViolation("reply field ok is not a boolean")
    events_raw = message.get("events", [])
    if not isinstance(events_raw, list) or len(events_raw) > 64:
        raise ProtocolViolation("reply field events is not a short list")
    events = tuple(_event(e) for e in events_raw)
    methods_raw = message.get("methods", {})
    if not isinstance(methods_raw, dict) or len(methods_raw) > 64:
        raise ProtocolViolation("reply field methods is not a small object")
    methods = {}
    for name, state in methods_raw.items():
        if state not in _METHOD_STATES:
            raise ProtocolViolation("reply field methods has an unknown state")
        methods[_string(name, "methods", 40)] = state
    stage = message.get("stage")
    if stage is not None:
        stage = _string(stage, "stage", 20)
    if ok:
        if "error" in message or message.get("step") is not None:
            raise ProtocolViolation("a successful reply carries an error")
        raw = message.get("values", [])
        if not isinstance(raw, list):
            raise ProtocolViolation("reply field values is not a list")
        values = tuple(_value(v) for v in raw)
        if expect_values is not None and len(values) != expect_values:
            raise ProtocolViolation(f"reply has {len(values)} values, expected {expect_values}")
        return Reply(True, values, None, events, methods, stage)
    if "values" in message:
        raise ProtocolViolation("a failed reply carries values")
    err = message.get("error")
    if not isinstance(err, dict) or set(err) - _ERROR_KEYS:
        raise ProtocolViolation("failed reply has no well-formed error object")
    kind = err.get("kind")
    if kind not in _ERROR_KINDS:
        raise ProtocolViolation("reply error kind is unknown")
    step = message.get("step")
    if step is not None and (type(step) is not int or step < 0):  # noqa: E721
        raise ProtocolViolation("reply field step is not a step index")
    error = StudentError(
        type=_string(err.get("type", ""), "error.type", 100),
        message=_string(err.get("message", ""), "error.message", 500),
        where=_string(err.get("where", ""), "error.where", 300),
        kind=kind,
        step=step,
    )
    return Reply(False, (), error, events, methods, stage)
