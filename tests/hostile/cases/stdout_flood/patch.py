# Prints 4 MiB per call: tanh is right anyway (output is drained and capped), exp is wrong, and
# its feedback shows only the tail of the output with a note of how much was dropped.
import os as _os

_tanh = Value.tanh
_exp = Value.exp
_chunk = b"flood " * 174763


def _flood():
    for _ in range(4):
        _os.write(1, _chunk)


def _flooding_tanh(self):
    _flood()
    return _tanh(self)


def _flooding_exp(self):
    _flood()
    out = _exp(self)
    out.data += 1.0
    return out


Value.tanh = _flooding_tanh
Value.exp = _flooding_exp
