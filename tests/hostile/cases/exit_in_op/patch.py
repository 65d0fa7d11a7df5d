# sys.exit() inside an op: a missing reply is a failure, never a pass.
import sys as _sys


def _exiting_tanh(self):
    _sys.exit(0)


Value.tanh = _exiting_tanh
