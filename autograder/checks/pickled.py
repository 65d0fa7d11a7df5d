"""Drawn examples as bytes: pickled once, loaded as a fresh private copy at every use.

A check body may change the example it is given (a list it appends to, a dict it edits), so the
examples a process keeps (`checks.examplecache`) are stored pickled and every use loads its own
copy, which is several times cheaper than `copy.deepcopy`. The same bytes go to the disk cache,
so loading must be safe on a file someone else wrote: `thaw` builds nothing but plain data
(None, bools, numbers, strings, bytes, lists, tuples, dicts, sets), instances of the frozen
dataclasses named in `EXAMPLE_CLASSES`, and the op table `OPS_BY_NAME` (a persistent id: a
shared, read-only object is referred to, never copied). Anything else makes a pickle unreadable.

The allowed classes are never handed to the unpickler itself: each name resolves to a fresh
function that calls the class's constructor, so a crafted pickle cannot change a class (pickle's
BUILD on a class sets class attributes), and frozen instances refuse attribute changes. An
example that holds anything outside the list cannot be pickled (`freeze` raises), and the live
path grades that check.
"""

from __future__ import annotations

import dataclasses
import importlib
import io
import pickle
import sys
from collections.abc import Callable
from typing import Any

from autograder.ops import OPS_BY_NAME

PROTOCOL = 5
OPS_ID = "OPS_BY_NAME"  # the persistent id of the op table (graphs refer to it)
# Every kind of example value the checks draw: (module, class name), each a frozen dataclass.
EXAMPLE_CLASSES = frozenset({
    ("autograder.checks.engine_ops", "Case"),
    ("autograder.checks.graphs", "Node"),
    ("autograder.checks.graphs", "Graph"),
    ("autograder.checks.backprop", "Fanout"),
    ("autograder.checks.network.nets", "Net"),
    ("autograder.checks.network.forward", "ForwardCase"),
    ("autograder.checks.network.backward", "LossCase"),
    ("autograder.checks.network.parameters", "ProbeCase"),
})
_PLAIN = frozenset({type(None), bool, int, float, str, bytes, list, tuple, dict})


class Unreadable(Exception):
    """Bytes that do not load as an example: truncated, corrupt, or naming a class not allowed."""


class _Pickler(pickle.Pickler):
    def persistent_id(self, obj: Any) -> str | None:
        return OPS_ID if obj is OPS_BY_NAME else None

    def reducer_override(self, obj: Any) -> Any:
        kind = type(obj)
        if kind in _PLAIN:
            return NotImplemented
        if isinstance(obj, type):  # the class of an example: written by name
            if (obj.__module__, obj.__qualname__) in EXAMPLE_CLASSES:
                return NotImplemented
        elif (kind.__module__, kind.__qualname__) in EXAMPLE_CLASSES:
            return kind, tuple(getattr(obj, f.name) for f in dataclasses.fields(obj))
        raise pickle.PicklingError(f"a {kind.__qualname__} is not a kind of example value")


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Callable[..., Any]:
        if (module, name) not in EXAMPLE_CLASSES:
            raise Unreadable(f"{module}.{name} is not a kind of example value")
        cls = getattr(sys.modules.get(module) or importlib.import_module(module), name)
        params = getattr(cls, "__dataclass_params__", None)
        if not isinstance(cls, type) or params is None or not params.frozen:
            raise Unreadable(f"{module}.{name} is not a frozen dataclass")

        def construct(*args: Any) -> Any:
            return cls(*args)

        return construct

    def persistent_load(self, pid: Any) -> Any:
        if pid == OPS_ID:
            return OPS_BY_NAME
        raise Unreadable(f"unknown shared object {pid!r}")


def freeze(value: Any) -> bytes:
    """`value` as bytes; raises `pickle.PicklingError` when it holds anything but example data."""
    buffer = io.BytesIO()
    _Pickler(buffer, PROTOCOL).dump(value)
    return buffer.getvalue()


def thaw(data: bytes) -> Any:
    """A fresh copy of what `freeze` wrote; raises `Unreadable` for anything else."""
    try:
        return _Unpickler(io.BytesIO(data)).load()
    except Exception as exc:  # noqa: BLE001 - whatever a bad pickle raises, it is unreadable
        raise Unreadable(f"{type(exc).__name__}: {exc}"[:200]) from None
