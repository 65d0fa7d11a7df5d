# .data that is not a plain number: a bool, an int too large for a float, a string, a list, and
# a dict that looks like the grader's own "nonfinite" tag. None of them is a finite float.
_tanh, _exp, _log, _sigmoid, _relu = Value.tanh, Value.exp, Value.log, Value.sigmoid, Value.relu


def _with(op, data):
    def patched(self):
        out = op(self)
        out.data = data
        return out
    return patched


Value.tanh = _with(_tanh, True)
Value.exp = _with(_exp, 10**400)
Value.log = _with(_log, "0.5")
Value.sigmoid = _with(_sigmoid, [0.5])
Value.relu = _with(_relu, {"nonfinite": "nan"})
