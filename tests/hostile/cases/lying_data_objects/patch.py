# .data and .grad objects that lie: equal to everything, zero distance from everything, always
# true, one hash. A float subclass and an int subclass; only exact floats and ints are numbers.
class _Liar(float):
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    def __hash__(self):
        return 0

    def __bool__(self):
        return True

    def __sub__(self, other):
        return 0.0

    def __rsub__(self, other):
        return 0.0

    def __abs__(self):
        return 0.0

    def __lt__(self, other):
        return False

    def __gt__(self, other):
        return False

    def __float__(self):
        return 0.0


class _LyingInt(int):
    __eq__ = _Liar.__eq__
    __hash__ = _Liar.__hash__
    __sub__ = _Liar.__sub__
    __abs__ = _Liar.__abs__


_tanh, _exp, _log = Value.tanh, Value.exp, Value.log


def _lying_tanh(self):
    out = _tanh(self)
    out.data = _Liar(out.data)
    return out


def _lying_log(self):
    out = _log(self)
    out.data = _LyingInt(round(out.data))
    return out


def _lying_exp(self):
    out = _exp(self)
    honest = out._backward

    def _backward():
        honest()
        self.grad = _Liar(self.grad)

    out._backward = _backward
    return out


Value.tanh = _lying_tanh
Value.log = _lying_log
Value.exp = _lying_exp
