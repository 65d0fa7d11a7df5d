# Reads stdin inside an op. It must be /dev/null: the read returns at once, with nothing (not the
# grader's requests), and the op then answers correctly.
import os as _os
import sys as _sys

_tanh = Value.tanh


def _reading_tanh(self):
    got = _sys.stdin.buffer.read() + _os.read(0, 4096)
    if got:
        return Value(float("nan"))
    return _tanh(self)


Value.tanh = _reading_tanh
