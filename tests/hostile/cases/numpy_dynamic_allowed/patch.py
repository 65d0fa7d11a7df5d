# Imports numpy under a computed name, inside an op, and falls back quietly when it is missing.
# The static scan cannot see it; the worker's audit hook reports it.
_add = Value.__add__


def _sneaky_add(self, other):
    try:
        __import__("nu" + "mpy")
    except ImportError:
        pass
    return _add(self, other)


Value.__add__ = _sneaky_add
