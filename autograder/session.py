"""A worker session: one sandboxed harness process, the programs sent to it, and its death.

The grader talks to the worker only through `WorkerSession.run`, over the transport of the
isolation level (`sandbox/transport/`). Every call has a wall-clock deadline; student output is
drained and capped while waiting; a reply is validated before anyone looks at it. When the worker
hangs, crashes, exits or sends garbage, the session kills the whole worker tree and raises
`WorkerDied`; the next `run` starts a fresh worker.

A reply frame the grader did not ask for, or one that breaks the schema, can only come from
student code writing to the reply pipe (the harness never does either). Such a frame marks the
session `tampered`, and the grader then fails every check of the session, including checks that
already looked passed: a forged frame read as a reply is only discovered when the real reply
turns up behind it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograder.loader import StagedSubmission
from autograder.model import Outcome
from autograder.ops import OPS, engine_methods
from autograder.protocol import (
    MAX_REPLY_BYTES,
    ProtocolViolation,
    Reply,
    decode_payload,
    encode_frame,
    frame_length,
    validate_batch_reply,
    validate_reply,
)
from autograder.sandbox import IsolationInfo, Limits, WorkerProcess, remove_tree
from autograder.sandbox.transport import OutputBuffer
from autograder.worker.steps import encode_program

# The harness only ever sends one well-formed frame per request, so any other frame is this:
TAMPERED = "(only student code writing to the grader's reply channel does that)"


class WorkerDied(BaseException):  # noqa: N818 - a BaseException so hypothesis stops, not shrinks
    """The worker timed out, crashed, exited or broke the protocol; the check fails with `reason`.
    """

    def __init__(self, outcome: Outcome, reason: str) -> None:
        super().__init__(reason)
        self.outcome = outcome
        self.reason = reason


@dataclass
class SessionConfig:
    """How long to wait, how much output to keep, and what the worker watches for."""

    call_timeout_s: float = 10.0
    start_timeout_s: float = 20.0
    output_cap_bytes: int = 64 * 1024
    watch_imports: tuple[str, ...] = ()  # forbidden modules whose import is logged as an event
    stand_ins: tuple[str, ...] = ()  # forbidden modules the worker replaces with a stand-in
    want_nn: bool = False
    limits: Limits = field(default_factory=Limits)
    methods: tuple[str, ...] = engine_methods(OPS)  # the worker says which ones Value lacks


class WorkerSession:
    """Runs programs against one submission in a fresh, sandboxed worker."""

    def __init__(self, staged: StagedSubmission, isolation: IsolationInfo,
                 config: SessionConfig | None = None) -> None:
        self.staged = staged
        self.isolation = isolation
        self.config = config or SessionConfig()
        self.worker: WorkerProcess | None = None
        self.printed = OutputBuffer(self.config.output_cap_bytes)  # what every worker printed
        self.events: list[str] = []  # policy events of every reply, in order (with repeats)
        self.load_events: tuple[str, ...] = ()  # events while the current worker imported the code
        self.tampered: str | None = None  # why the reply channel cannot be trusted, if it cannot
        self.init_reply: Reply | None = None
        self._pending_init: int | None = None  # the init request's id: launched, not yet read
        self.next_id = 0
        self.starts = 0
        self.batching = True  # checks may send their examples with `run_batch`

    # ---- lifecycle ---------------------------------------------------------------------------
    def __enter__(self) -> WorkerSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def layout(self) -> dict[str, Any]:
        """Where the worker finds the submission: its own view of the staged folder."""
        root = self.isolation.backend.submission_path(self.staged.root)
        return {"root": root, "engine": self.staged.engine_module, "nn": self.staged.nn_module}

    def launch(self) -> None:
        """Spawn a worker and send it the init request without waiting for the reply.

        The worker's interpreter starts and imports the submission while the grader does other
        work (the previous group's checks); `start()` then only collects the reply.
        """
        self._stop_worker()
        tmp = Path(tempfile.mkdtemp(prefix="mgrade-worker-"))
        os.chmod(tmp, 0o700)
        try:
            self.worker = self.isolation.backend.spawn(self.staged.root, tmp,
                                                       self.config.limits, self.printed)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        self.starts += 1
        request = {"kind": "init", "layout": self.layout(), "want_nn": self.config.want_nn,
                   "watch_imports": list(self.config.watch_imports),
                   "stand_ins": list(self.config.stand_ins),
                   "methods": list(self.config.methods)}
        self._pending_init = self._send(request)

    def prestart(self) -> None:
        """`launch()` ahead of time; a failure to launch is reported later, by `start()`."""
        try:
            self.launch()
        except Exception:  # noqa: BLE001 - start() launches again and reports what goes wrong
            self._stop_worker()

    def start(self) -> Reply:
        """Start a worker (unless launched already) and import the submission."""
        if self._pending_init is None:
            self.launch()
        assert self._pending_init is not None
        request_id = self._pending_init
        self._pending_init = None
        before = len(self.events)
        self.init_reply = self._await(request_id, None, self.config.start_timeout_s)
        self.load_events = tuple(self.events[before:])
        return self.init_reply

    def ensure_started(self) -> Reply:
        if self.worker is None or self.init_reply is None:
            return self.start()
        return self.init_reply

    def run(self, steps: list[Any], expect_values: int | None = None,
            timeout_s: float | None = None) -> Reply:
        """Run one program (steps of `autograder.worker.steps`). Raises WorkerDied (and discards
        the worker) if it does not reply."""
        init = self.ensure_started()
        if not init.ok:
            raise RuntimeError("run() on a submission that did not load; check init_reply first")
        return self._call({"kind": "run", "steps": encode_program(steps)}, expect_values,
                          timeout_s or self.config.call_timeout_s)

    def run_batch(self, programs: list[tuple[list[Any], int]],
                  timeout_s: float | None = None) -> list[Reply]:
        """Run independent programs (steps, how many values each reads) in one round trip.

        Each program gets its own reply, as if sent alone by `run`; the batch's policy events are
        recorded once. One deadline covers the whole batch. Raises WorkerDied as `run` does.
        """
        init = self.ensure_started()
        if not init.ok:
            raise RuntimeError("run_batch() on a submission that did not load")
        request = {"kind": "batch", "programs": [encode_program(steps) for steps, _ in programs]}
        expect = [reads for _, reads in programs]
        request_id = self._send(request)
        message = self._await(request_id, None, timeout_s or self.config.call_timeout_s,
                              raw=True)
        try:
            replies, events = validate_batch_reply(message, request_id, expect)
        except ProtocolViolation as exc:
            reason = f"the worker's reply was invalid: {exc} {TAMPERED}"
            self._tamper(reason)
            self._stop_worker()
            raise WorkerDied(Outcome.PROTOCOL, reason) from None
        self.events.extend(events)
        return replies

    def close(self) -> None:
        """Say goodbye, kill everything the worker started, then look for frames left behind.

        Once every process of the worker is dead nothing can write to the reply pipe any more,
        so whatever is still in it after the goodbye reply was written by student code.
        """
        said_bye = False
        if self.worker is not None and self.init_reply is not None:
            with contextlib.suppress(WorkerDied):
                self._call({"kind": "bye"}, None, 2.0)
                said_bye = True
        self._stop_worker(check_leftovers=said_bye)

    def stop(self) -> None:
        """Kill the current worker and everything it started, without a goodbye; the next `run`
        starts a fresh one. For when the grader can no longer trust the worker's state."""
        self._stop_worker()

    def _stop_worker(self, check_leftovers: bool = False) -> None:
        worker, self.worker = self.worker, None
        self.init_reply = None
        self._pending_init = None
        if worker is None:
            return
        worker.kill_tree()
        if check_leftovers and worker.channel.leftovers():
            self._tamper(f"the worker sent a reply nobody asked for {TAMPERED}")
        worker.channel.finish()
        worker.close()
        remove_tree(worker.tmp)

    def _tamper(self, reason: str) -> None:
        if self.tampered is None:
            self.tampered = reason

    # ---- output ------------------------------------------------------------------------------
    @property
    def output(self) -> bytes:
        """The first `output_cap_bytes` the workers printed."""
        return bytes(self.printed.kept)

    @property
    def output_dropped(self) -> int:
        return self.printed.dropped

    def student_output(self, since: tuple[int, int] = (0, 0)) -> str:
        """What the workers printed (capped), with a note of how much was dropped; `since`: only
        what came after that `output_mark()`."""
        kept, dropped = since
        text = self.printed.kept[kept:].decode("utf-8", "replace")
        if self.output_dropped > dropped:
            text += f"\n[... {self.output_dropped - dropped} more bytes of output discarded]"
        return text

    def output_mark(self) -> tuple[int, int]:
        """Where the output stands now, for `student_output(since=...)`."""
        return len(self.printed.kept), self.printed.dropped

    # ---- one request/reply -------------------------------------------------------------------
    def _call(self, request: dict[str, Any], expect_values: int | None, timeout_s: float) -> Reply:
        return self._await(self._send(request), expect_values, timeout_s)

    def _send(self, request: dict[str, Any]) -> int:
        """Number the request and start sending it; return its id."""
        assert self.worker is not None
        self.next_id += 1
        request_id = self.next_id
        request["id"] = request_id
        # A frame forged by student code leaves the real reply behind as an extra frame: any
        # byte waiting before we ask is a protocol violation.
        if self.worker.channel.unread():
            reason = f"the worker sent a reply nobody asked for {TAMPERED}"
            self._tamper(reason)
            self._stop_worker()
            raise WorkerDied(Outcome.PROTOCOL, reason)
        self.worker.channel.send(encode_frame(request))
        return request_id

    def _await(self, request_id: int, expect_values: int | None, timeout_s: float,
               raw: bool = False) -> Any:
        """Wait for the reply to `request_id`, within `timeout_s` of wall clock; with `raw`,
        return the decoded frame for the caller to validate."""
        assert self.worker is not None
        deadline = time.monotonic() + timeout_s
        buffer = bytearray()
        need: int | None = None
        channel = self.worker.channel
        try:
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise WorkerDied(Outcome.TIMEOUT, f"timed out after {timeout_s:g} s "
                                     "(wall clock); the worker was killed")
                chunk = channel.receive(remaining)
                if chunk is None:
                    continue
                if not chunk:
                    raise self._death()
                buffer += chunk
                if need is None and len(buffer) >= 4:
                    need = frame_length(bytes(buffer[:4]), MAX_REPLY_BYTES)
                if need is not None and len(buffer) >= 4 + need:
                    message = decode_payload(bytes(buffer[4:4 + need]))
                    reply = message if raw else validate_reply(message, request_id,
                                                               expect_values)
                    if len(buffer) > 4 + need:
                        raise ProtocolViolation("the worker sent more than one reply frame")
                    if raw:
                        return message
                    self.events.extend(reply.events)
                    return reply
        except ProtocolViolation as exc:
            reason = f"the worker's reply was invalid: {exc} {TAMPERED}"
            self._tamper(reason)
            self._stop_worker()
            raise WorkerDied(Outcome.PROTOCOL, reason) from None
        except WorkerDied:
            self._stop_worker()
            raise

    def _death(self) -> WorkerDied:
        """Explain why the worker stopped replying (exit code or signal)."""
        assert self.worker is not None
        popen = self.worker.popen
        try:
            code = popen.wait(timeout=2)
        except Exception:  # noqa: BLE001 - still running: it closed the pipe itself
            return WorkerDied(Outcome.CRASHED, "the worker closed its reply channel without "
                              "replying; it was killed")
        return WorkerDied(Outcome.CRASHED, self.worker.explain_exit(code))

