"""How the grader and the harness talk: `pipes` (two dedicated pipes and select(), POSIX) or
`stdio` (the worker's stdin and stdout with reader threads, every platform). The isolation level
holds the transport chosen for the run; `choose_transport` picks the first this platform
supports, and tests force one by name."""

from __future__ import annotations

from autograder.sandbox.transport.base import Channel, OutputBuffer, Plan, Transport
from autograder.sandbox.transport.pipes import PipesTransport, dedicated_pipes_available
from autograder.sandbox.transport.stdio import StdioTransport

TRANSPORT_NAMES = (PipesTransport.name, StdioTransport.name)


def choose_transport(forced: str | None = None) -> Transport:
    """The dedicated pipes where the platform has them, else stdio (saying why); or `forced`."""
    if forced is not None and forced not in TRANSPORT_NAMES:
        raise ValueError(f"unknown worker transport {forced!r}; choose one of "
                         f"{', '.join(TRANSPORT_NAMES)}")
    if forced == StdioTransport.name:
        return StdioTransport()
    pipes = PipesTransport()
    usable, why_not = pipes.probe()
    if usable:
        return pipes
    if forced == PipesTransport.name:
        raise OSError(f"the {pipes.name} transport is not available: {why_not}")
    return StdioTransport(why_not)


__all__ = ["TRANSPORT_NAMES", "Channel", "OutputBuffer", "PipesTransport", "Plan",
           "StdioTransport", "Transport", "choose_transport", "dedicated_pipes_available"]
