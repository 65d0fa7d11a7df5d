"""Two dedicated pipes (POSIX): the usual transport.

The worker inherits the read end of a request pipe and the write end of a reply pipe (`pass_fds`,
announced as `--rfd/--wfd`); its stdout and stderr share a third pipe that is only ever drained
into the capped output buffer. The grader waits on all three with `select()`, so it needs no
thread. Windows has neither `pass_fds` nor `select()` on pipes: there `stdio.py` serves.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from functools import cache

import autograder.sandbox.interpreter as interpreter
from autograder.sandbox.transport.base import Channel, OutputBuffer, Plan, Transport

DRAIN_CHUNK = 65536
DRAIN_ROUNDS = 16  # reads per drain: a flood cannot keep the grader from its deadline


class PipesTransport(Transport):
    name = "pipes"

    def probe(self) -> tuple[bool, str]:
        return dedicated_pipes_available()

    def plan(self) -> Plan:
        return PipesPlan()


PROBE = "import os, sys; os.write(int(sys.argv[1]), b'ok')"


@cache
def dedicated_pipes_available() -> tuple[bool, str]:
    """(True, "") when the grader can select() on a pipe and a child can write to a pipe it
    inherited (`pass_fds`), else the reason. Probed by starting the interpreter that way."""
    if os.name != "posix":
        return False, (f"this platform ({sys.platform}) cannot hand a worker extra pipes "
                       "(subprocess's pass_fds) nor wait on pipes with select()")
    import select

    r, w = os.pipe()
    try:
        try:
            select.select([r], [], [], 0)
        except (OSError, ValueError) as exc:
            return False, f"select() does not work on pipes here ({exc})"
        try:
            subprocess.run([interpreter.python_executable(), "-I", "-S", "-c", PROBE, str(w)],
                           pass_fds=(w,), stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=20, check=True)
        except (AssertionError, OSError, ValueError, subprocess.SubprocessError) as exc:
            return False, f"a worker cannot inherit extra pipes here ({exc or type(exc).__name__})"
        ready = select.select([r], [], [], 5)[0]
        if not ready or os.read(r, 2) != b"ok":
            return False, "a worker could not write to the pipe it inherited"
    finally:
        os.close(r)
        os.close(w)
    return True, ""


class PipesPlan(Plan):
    def __init__(self) -> None:
        self.req_r, self.req_w = os.pipe()
        self.rep_r, self.rep_w = os.pipe()
        self.out_r, self.out_w = os.pipe()
        super().__init__(["--rfd", str(self.req_r), "--wfd", str(self.rep_w)],
                         {"stdin": subprocess.DEVNULL, "stdout": self.out_w,
                          "stderr": self.out_w, "pass_fds": (self.req_r, self.rep_w)})

    def _close_child_ends(self) -> None:
        for fd in (self.req_r, self.rep_w, self.out_w):
            with contextlib.suppress(OSError):
                os.close(fd)

    def connect(self, popen: subprocess.Popen, output: OutputBuffer) -> Channel:
        self._close_child_ends()
        os.set_blocking(self.req_w, False)
        return PipeChannel(self.req_w, self.rep_r, self.out_r, output)

    def abort(self) -> None:
        self._close_child_ends()
        for fd in (self.req_w, self.rep_r, self.out_r):
            with contextlib.suppress(OSError):
                os.close(fd)


class PipeChannel(Channel):
    def __init__(self, request_w: int, reply_r: int, out_r: int, output: OutputBuffer) -> None:
        self.request_w = request_w
        self.reply_r = reply_r
        self.out_r: int | None = out_r
        self.output = output
        self.pending = b""

    def send(self, frame: bytes) -> None:
        self.pending = frame
        with contextlib.suppress(BlockingIOError, BrokenPipeError):
            self.pending = frame[os.write(self.request_w, frame):]  # else written by receive()

    def receive(self, timeout: float) -> bytes | None:
        import select

        readers = [self.reply_r] + ([self.out_r] if self.out_r is not None else [])
        writers = [self.request_w] if self.pending else []
        ready_r, ready_w, _ = select.select(readers, writers, [], timeout)
        if ready_w:
            try:
                self.pending = self.pending[os.write(self.request_w, self.pending):]
            except BrokenPipeError:
                return b""
            except BlockingIOError:
                pass
        if self.out_r is not None and self.out_r in ready_r:
            self._drain(0)
        if self.reply_r in ready_r:
            return os.read(self.reply_r, 1 << 20)
        return None

    def unread(self) -> bool:
        """End of file (the worker is gone) shows up as readable too; the next call reports the
        death instead."""
        import select

        if not select.select([self.reply_r], [], [], 0)[0]:
            return False
        try:
            return bool(os.read(self.reply_r, 1))
        except BlockingIOError:
            return False

    def _drain(self, timeout: float) -> None:
        """Read what the worker printed; bounded per call, so a worker printing without pause
        cannot keep the grader past a deadline (the rest is read on the next turn)."""
        import select

        for _ in range(DRAIN_ROUNDS):
            if self.out_r is None or not select.select([self.out_r], [], [], timeout)[0]:
                return
            chunk = os.read(self.out_r, DRAIN_CHUNK)
            if not chunk:
                return
            self.output.add(chunk)
            timeout = 0

    def finish(self) -> None:
        self._drain(0)

    def close(self) -> None:
        for fd in (self.request_w, self.reply_r, self.out_r):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self.out_r = None
