"""What every worker transport offers the session: a channel for requests, replies and output.

A transport decides how the harness gets its request and reply streams (`Plan`), and gives the
grader a `Channel` that sends requests, waits for reply bytes with a timeout, and keeps what
the worker printed in a capped `OutputBuffer`. The session never asks which transport it holds.
"""

from __future__ import annotations

import subprocess
import threading
from typing import Any, ClassVar


class OutputBuffer:
    """What the workers of one session printed: the first `cap` bytes, the rest counted and
    dropped. Fed by the session's drain or by a reader thread, so it takes a lock."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.kept = bytearray()
        self.dropped = 0
        self._lock = threading.Lock()

    def add(self, chunk: bytes) -> None:
        with self._lock:
            room = max(self.cap - len(self.kept), 0)
            self.kept += chunk[:room]
            self.dropped += len(chunk) - min(room, len(chunk))


class Channel:
    """The grader's ends of one worker's request, reply and output streams."""

    def send(self, frame: bytes) -> None:
        """Start sending a request frame; `receive` finishes writing it while it waits."""
        raise NotImplementedError

    def receive(self, timeout: float) -> bytes | None:
        """Reply bytes: a chunk as soon as some arrive, b"" once the worker's end is closed (or
        the request could not be written: the worker is gone), None if nothing came within
        `timeout`. Output is drained meanwhile, so a flood cannot stall the worker or us."""
        raise NotImplementedError

    def unread(self) -> bool:
        """Whether reply bytes are waiting now, before anyone asked (end of file is not data)."""
        raise NotImplementedError

    def leftovers(self) -> bool:
        """After every process of the worker is dead: whether reply bytes were left behind."""
        return self.unread()

    def finish(self) -> None:
        """After every process of the worker is dead: collect the output still on its way."""

    def close(self) -> None:
        """Let go of the grader's ends (after `finish`)."""


class Plan:
    """How one worker is wired up: extra harness arguments and Popen arguments, then the channel.

    `connect` runs once the worker started, `abort` if it could not be started.
    """

    def __init__(self, args: list[str], popen_kwargs: dict[str, Any]) -> None:
        self.args = args
        self.popen_kwargs = popen_kwargs

    def connect(self, popen: subprocess.Popen, output: OutputBuffer) -> Channel:
        raise NotImplementedError

    def abort(self) -> None:
        """Close whatever `connect` would have taken over."""


class Transport:
    """One way for the grader and the harness to talk."""

    name: ClassVar[str]

    def probe(self) -> tuple[bool, str]:
        """(True, "") when this platform supports the transport, else the reason, in one phrase."""
        raise NotImplementedError

    def note(self) -> str:
        """What the isolation note says about the transport ("" for the usual one)."""
        return ""

    def plan(self) -> Plan:
        raise NotImplementedError
