"""The worker's own stdin and stdout (any platform): the transport where `pipes.py` cannot serve.

Popen gives the worker three pipes on every platform: stdin carries requests, stdout replies,
stderr output. Before any student code runs, the harness (`--stdio`) moves the request and reply
pipes to private descriptors, points fd 0 at the null device and fd 1 at the output pipe, so
whatever the submission prints (or writes to fd 0, 1 or 2) lands in the capped output buffer
and never on the reply channel.

Without `select()` on pipes the grader reads each pipe with a daemon thread (`Pump`) into a
buffer it waits on with a timeout, and writes requests from another (`Feeder`), so no read or
write can block it past a deadline. Each thread owns its pipe and closes it at end of file; the
pipes reach end of file when every process of the worker is dead.
"""

from __future__ import annotations

import contextlib
import queue
import subprocess
import threading
from collections.abc import Callable
from typing import Any

from autograder.protocol import MAX_REPLY_BYTES
from autograder.sandbox.transport.base import Channel, OutputBuffer, Plan, Transport

CHUNK = 65536
INBOX_LIMIT = MAX_REPLY_BYTES + CHUNK  # unread reply bytes held before the pump waits
SETTLE_S = 2.0  # how long a dead worker's pipes may take to reach end of file


class StdioTransport(Transport):
    name = "stdio"

    def __init__(self, why: str = "") -> None:
        self.why = why  # why the usual transport is not used, for the note

    def probe(self) -> tuple[bool, str]:
        return True, ""

    def note(self) -> str:
        because = f" ({self.why})" if self.why else ""
        return ("Requests and replies travel on the worker's stdin and stdout, which the harness "
                "moves to private descriptors before the submission runs; output is captured "
                f"apart{because}.")

    def plan(self) -> Plan:
        return StdioPlan()


class StdioPlan(Plan):
    def __init__(self) -> None:
        super().__init__(["--stdio"], {"stdin": subprocess.PIPE, "stdout": subprocess.PIPE,
                                       "stderr": subprocess.PIPE, "bufsize": 0})

    def connect(self, popen: subprocess.Popen, output: OutputBuffer) -> Channel:
        # The channel's threads own the streams from here on: Popen must not close them.
        requests, replies, printed = popen.stdin, popen.stdout, popen.stderr
        popen.stdin = popen.stdout = popen.stderr = None
        return StdioChannel(requests, replies, printed, output)


class Inbox:
    """Reply bytes read but not yet taken. Holds at most INBOX_LIMIT (the pump then waits: the
    harness sends one frame per request, so only student code writes more) until `stop()`, after
    which bytes are counted and dropped."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.late = 0  # bytes that arrived after stop()
        self.eof = False
        self.stopped = False
        self.cond = threading.Condition()

    def add(self, chunk: bytes) -> None:
        with self.cond:
            if not chunk:
                self.eof = True
            while len(self.data) >= INBOX_LIMIT and not self.stopped:
                self.cond.wait()
            if self.stopped:
                self.late += len(chunk)
            else:
                self.data += chunk
            self.cond.notify_all()

    def take(self, timeout: float) -> bytes | None:
        with self.cond:
            self.cond.wait_for(lambda: self.data or self.eof, timeout)
            if self.data:
                chunk = bytes(self.data)
                self.data.clear()
                self.cond.notify_all()
                return chunk
            return b"" if self.eof else None

    def stop(self) -> None:
        with self.cond:
            self.stopped = True
            self.cond.notify_all()


class Pump(threading.Thread):
    """Reads one stream to its end, handing each chunk (and b"" at the end) to `sink`."""

    def __init__(self, stream: Any, sink: Callable[[bytes], None], name: str) -> None:
        super().__init__(name=name, daemon=True)
        self.stream = stream
        self.sink = sink

    def run(self) -> None:
        try:
            while True:
                try:
                    chunk = self.stream.read(CHUNK)
                except (OSError, ValueError):
                    chunk = b""
                self.sink(chunk or b"")
                if not chunk:
                    return
        finally:
            with contextlib.suppress(OSError):
                self.stream.close()


class Feeder(threading.Thread):
    """Writes request frames, one after the other, until told to stop or the pipe breaks."""

    def __init__(self, stream: Any) -> None:
        super().__init__(name="mgrade-requests", daemon=True)
        self.stream = stream
        self.frames: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self.broken = threading.Event()

    def run(self) -> None:
        try:
            while (frame := self.frames.get()) is not None:
                view = memoryview(frame)
                while view:
                    view = view[self.stream.write(view) or 0:]
        except (OSError, ValueError):
            self.broken.set()
        finally:
            with contextlib.suppress(OSError):
                self.stream.close()


class StdioChannel(Channel):
    def __init__(self, requests: Any, replies: Any, printed: Any, output: OutputBuffer) -> None:
        self.inbox = Inbox()
        self.feeder = Feeder(requests)
        self.replies = Pump(replies, self.inbox.add, "mgrade-replies")
        self.printed = Pump(printed, output.add, "mgrade-output")
        for thread in (self.feeder, self.replies, self.printed):
            thread.start()

    def send(self, frame: bytes) -> None:
        self.feeder.frames.put(frame)

    def receive(self, timeout: float) -> bytes | None:
        chunk = self.inbox.take(timeout)
        if chunk is None and self.feeder.broken.is_set():
            return b""  # the request could not be written: the worker is gone
        return chunk

    def unread(self) -> bool:
        with self.inbox.cond:
            return bool(self.inbox.data)

    def leftovers(self) -> bool:
        self.replies.join(SETTLE_S)
        with self.inbox.cond:
            return bool(self.inbox.data) or self.inbox.late > 0

    def finish(self) -> None:
        self.printed.join(SETTLE_S)

    def close(self) -> None:
        """The threads close their own streams: closing one under a blocked read would hang
        (or, with a reused descriptor, read someone else's file)."""
        self.feeder.frames.put(None)
        self.inbox.stop()
