"""One class per isolation level, strongest first: `namespace.py`, `uid.py`, `process.py`; the
interface they share is in `base.py`."""

from autograder.sandbox.levels.base import (
    Isolation,
    IsolationLevel,
    IsolationUnavailable,
    Lease,
    WorkerProcess,
)
from autograder.sandbox.levels.namespace import NamespaceLevel
from autograder.sandbox.levels.process import ProcessLevel
from autograder.sandbox.levels.uid import UidLevel

LEVELS: tuple[type[IsolationLevel], ...] = (NamespaceLevel, UidLevel, ProcessLevel)

__all__ = ["LEVELS", "Isolation", "IsolationLevel", "IsolationUnavailable", "Lease",
           "NamespaceLevel", "ProcessLevel", "UidLevel", "WorkerProcess"]
