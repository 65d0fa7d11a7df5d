# mul zeroes its right operand's .data after computing: the forward value is right, but the input
# changed (the forward check reads it back) and the backward pass reads the zeroed data.
_mul = Value.__mul__


def _mutating_mul(self, other):
    out = _mul(self, other)
    if isinstance(other, Value):
        other.data = 0.0
    return out


Value.__mul__ = _mutating_mul
