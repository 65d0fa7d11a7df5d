"""A worker session: one sandboxed harness process, the programs sent to it, and its death.

The grader talks to the worker only through `WorkerSession.run`. Every call has a wall-clock
deadline; student output is drained and capped while waiting; a reply is validated before anyone
looks at it. When the worker hangs, crashes, exits or sends garbage, the session kills the whole
worker tree and raises `WorkerDied`; the next `run` starts a fresh worker.
"""

from __future__ import annotations

import contextlib
import os
import select
import shutil
import signal
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograder.loader import StagedSubmission
from autograder.model import Outcome
from autograder.protocol import (
    MAX_REPLY_BYTES,
    ProtocolViolation,
    Reply,
    decode_payload,
    encode_frame,
    frame_length,
    validate_reply,
)
from autograder.sandbox import (
    _TRACKED,
    Isolation,
    IsolationInfo,
    Limits,
    WorkerProcess,
    become_subreaper,
    spawn_worker,
)

SANDBOX_ROOT = "/submission"  # where the namespace level mounts the staged submission


class WorkerDied(BaseException):  # noqa: N818 - a BaseException so hypothesis stops, not shrinks
    """The worker timed out, crashed, exited or broke the protocol. The check fails with `reason`."""

    def __init__(self, outcome: Outcome, reason: str) -> None:
        super().__init__(reason)
        self.outcome = outcome
        self.reason = reason


@dataclass
class SessionConfig:
    call_timeout_s: float = 10.0
    start_timeout_s: float = 20.0
    output_cap_bytes: int = 64 * 1024
    watch_imports: tuple[str, ...] = ()
    want_nn: bool = False
    limits: Limits = field(default_factory=Limits)


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


class WorkerSession:
    """Runs programs against one submission in a fresh, sandboxed worker."""

    def __init__(self, staged: StagedSubmission, isolation: IsolationInfo,
                 config: SessionConfig | None = None) -> None:
        self.staged = staged
        self.isolation = isolation
        self.config = config or SessionConfig()
        self.worker: WorkerProcess | None = None
        self.out_r: int | None = None
        self.output = bytearray()
        self.output_dropped = 0
        self.events: list[str] = []
        self.init_reply: Reply | None = None
        self.next_id = 0
        self.starts = 0
        if isolation.level is Isolation.PROCESS:
            become_subreaper()

    # ---- lifecycle ---------------------------------------------------------------------------
    def __enter__(self) -> WorkerSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def layout(self) -> dict[str, Any]:
        root = SANDBOX_ROOT if self.isolation.level is Isolation.NAMESPACE else str(self.staged.root)
        return {"root": root, "engine": self.staged.engine_module, "nn": self.staged.nn_module}

    def start(self) -> Reply:
        """Start a worker and import the submission. The init reply says what loaded."""
        self._stop_worker()
        tmp = Path(tempfile.mkdtemp(prefix="mgrade-worker-"))
        os.chmod(tmp, 0o700)
        out_r, out_w = os.pipe()
        try:
            self.worker = spawn_worker(self.isolation.level, self.staged.root, tmp,
                                       self.config.limits, out_w, out_w)
        except BaseException:
            os.close(out_r)
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        finally:
            os.close(out_w)
        _TRACKED.add(self.worker.popen.pid)
        self.out_r = out_r
        os.set_blocking(self.worker.request_w, False)
        self.starts += 1
        request = {"kind": "init", "layout": self.layout(), "want_nn": self.config.want_nn,
                   "watch_imports": list(self.config.watch_imports)}
        self.init_reply = self._call(request, None, self.config.start_timeout_s)
        return self.init_reply

    def ensure_started(self) -> Reply:
        if self.worker is None or self.init_reply is None:
            return self.start()
        return self.init_reply

    def run(self, steps: list[list[Any]], expect_values: int | None = None,
            timeout_s: float | None = None) -> Reply:
        """Run one program. Raises WorkerDied (and discards the worker) if it does not reply."""
        init = self.ensure_started()
        if not init.ok:
            raise RuntimeError("run() on a submission that did not load; check init_reply first")
        return self._call({"kind": "run", "steps": steps}, expect_values,
                          timeout_s or self.config.call_timeout_s)

    def close(self) -> None:
        """Say goodbye, check for forged extra frames, and kill everything the worker started."""
        if self.worker is not None and self.init_reply is not None:
            with contextlib.suppress(WorkerDied):
                self._call({"kind": "bye"}, None, 2.0)
        self._stop_worker()

    def _stop_worker(self) -> None:
        worker, self.worker = self.worker, None
        self.init_reply = None
        if worker is None:
            return
        if self.out_r is not None:
            self._drain_output(0)
        worker.kill_tree()
        _TRACKED.discard(worker.popen.pid)
        if self.out_r is not None:
            os.close(self.out_r)
            self.out_r = None
        shutil.rmtree(worker.tmp, ignore_errors=True)

    # ---- output ------------------------------------------------------------------------------
    def _drain_output(self, timeout: float) -> None:
        while self.out_r is not None:
            ready, _, _ = select.select([self.out_r], [], [], timeout)
            if not ready:
                return
            chunk = os.read(self.out_r, 65536)
            if not chunk:
                return
            room = self.config.output_cap_bytes - len(self.output)
            self.output += chunk[:max(room, 0)]
            self.output_dropped += max(len(chunk) - max(room, 0), 0)
            timeout = 0

    def student_output(self) -> str:
        text = self.output.decode("utf-8", "replace")
        if self.output_dropped:
            text += f"\n[... {self.output_dropped} more bytes of output discarded]"
        return text

    # ---- one request/reply -------------------------------------------------------------------
    def _call(self, request: dict[str, Any], expect_values: int | None, timeout_s: float) -> Reply:
        assert self.worker is not None
        self.next_id += 1
        request_id = self.next_id
        request["id"] = request_id
        # A frame forged by student code leaves the real reply behind as an extra frame: any
        # byte waiting before we ask is a protocol violation.
        if select.select([self.worker.reply_r], [], [], 0)[0]:
            self._stop_worker()
            raise WorkerDied(Outcome.PROTOCOL, "the worker sent a reply nobody asked for (student "
                             "code wrote to the grader's reply channel)")
        pending = encode_frame(request)
        deadline = time.monotonic() + timeout_s
        buffer = bytearray()
        need: int | None = None
        worker = self.worker
        try:
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise WorkerDied(Outcome.TIMEOUT, f"timed out after {timeout_s:g} s "
                                     "(wall clock); the worker was killed")
                readers = [worker.reply_r] + ([self.out_r] if self.out_r is not None else [])
                writers = [worker.request_w] if pending else []
                ready_r, ready_w, _ = select.select(readers, writers, [], remaining)
                if ready_w:
                    try:
                        written = os.write(worker.request_w, pending)
                    except BrokenPipeError:
                        raise self._death() from None
                    except BlockingIOError:
                        written = 0
                    pending = pending[written:]
                if self.out_r is not None and self.out_r in ready_r:
                    self._drain_output(0)
                if worker.reply_r in ready_r:
                    chunk = os.read(worker.reply_r, 1 << 20)
                    if not chunk:
                        raise self._death()
                    buffer += chunk
                    if need is None and len(buffer) >= 4:
                        need = frame_length(bytes(buffer[:4]), MAX_REPLY_BYTES)
                    if need is not None and len(buffer) > 4 + need:
                        raise ProtocolViolation("the worker sent more than one reply frame "
                                                "(student code wrote to the reply channel)")
                    if need is not None and len(buffer) == 4 + need:
                        message = decode_payload(bytes(buffer[4:]))
                        reply = validate_reply(message, request_id, expect_values)
                        self.events.extend(e for e in reply.events if e not in self.events)
                        return reply
        except ProtocolViolation as exc:
            self._stop_worker()
            raise WorkerDied(Outcome.PROTOCOL, f"the worker's reply was invalid: {exc}") from None
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
        if code < 0:
            name = _signal_name(-code)
            hint = ""
            if -code == signal.SIGKILL:
                hint = " (it may have hit the CPU-time or memory limit)"
            elif -code == signal.SIGSEGV:
                hint = " (a segmentation fault: ctypes, or recursion past the C stack?)"
            elif -code == signal.SIGXFSZ:
                hint = " (it wrote a file larger than the limit)"
            return WorkerDied(Outcome.CRASHED, f"crashed (signal {-code}, {name}){hint}")
        return WorkerDied(Outcome.CRASHED, f"the worker exited with code {code} without replying: "
                          "a missing reply is a failure (did the code call sys.exit() or "
                          "os._exit()?)")
