"""Stand-ins for the modules an assignment forbids: importing one works, using it raises.

Part of the worker (standard library only, loaded by `harness.py` before any student code). An
unused `import numpy as np` left over from the lecture then costs nothing, while an op that
really calls numpy fails with a message that says why.
"""

import importlib.machinery
import sys

_type = type
_frozenset = frozenset


class ForbiddenModuleError(Exception):
    """Raised when student code uses a stand-in for a module the assignment forbids."""


class _StandIn:
    """What every attribute of a forbidden module is: anything done with it raises."""

    def __init__(self, name):
        object.__setattr__(self, "_name", name)

    def _refuse(self, *args, **kwargs):
        raise ForbiddenModuleError(
            "%s is not available: this assignment forbids %s, so the grader gives your code a "
            "stand-in that cannot compute. Write this op with the math module and plain Python."
            % (object.__getattribute__(self, "_name"),
               object.__getattribute__(self, "_name").split(".")[0]))

    def __getattr__(self, attr):
        return _StandIn("%s.%s" % (object.__getattribute__(self, "_name"), attr))

    __call__ = __float__ = __int__ = __index__ = __bool__ = __iter__ = __len__ = _refuse
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = _refuse
    __rtruediv__ = __pow__ = __rpow__ = __neg__ = __getitem__ = __setattr__ = _refuse


class StandInFinder:
    """A meta-path finder that imports a stand-in for each forbidden module (never the real one),
    so an unused `import numpy as np` left over from the lecture imports cleanly. The import still
    fires its audit event, so the tripwire sees it."""

    def __init__(self, names):
        self.names = _frozenset(names)

    def find_spec(self, fullname, path=None, target=None):
        if fullname.split(".")[0] not in self.names:
            return None
        return importlib.machinery.ModuleSpec(fullname, self, is_package=True)

    def create_module(self, spec):
        module = StandInModule(spec.name)
        module.__path__ = []
        return module

    def exec_module(self, module):
        pass


class StandInModule(_type(sys)):
    def __getattr__(self, attr):
        if attr.startswith("__"):
            raise AttributeError(attr)
        return _StandIn("%s.%s" % (self.__name__, attr))
