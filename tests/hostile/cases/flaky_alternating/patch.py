# Right every other call: the same input must give the same (right) answer every time.
_exp = Value.exp
_calls = [0]


def _alternating_exp(self):
    _calls[0] += 1
    out = _exp(self)
    if _calls[0] % 2 == 0:
        out.data *= 1.001
    return out


Value.exp = _alternating_exp
