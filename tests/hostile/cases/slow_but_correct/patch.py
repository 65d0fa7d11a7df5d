# Correct, but slow: well inside the per-call budget, so it passes.
import time as _time

_tanh, _pow = Value.tanh, Value.__pow__


def _slow_tanh(self):
    _time.sleep(0.02)
    return _tanh(self)


def _slow_pow(self, other):
    _time.sleep(0.01)
    return _pow(self, other)


Value.tanh = _slow_tanh
Value.__pow__ = _slow_pow
