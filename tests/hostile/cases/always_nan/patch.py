# Every Value holds NaN, whatever it was given, in .data and in .grad: NaN never compares equal,
# and never passes.
_init = Value.__init__


def _nan_init(self, data, _children=(), _op=""):
    _init(self, float("nan"), _children, _op)
    self.grad = float("nan")


Value.__init__ = _nan_init
