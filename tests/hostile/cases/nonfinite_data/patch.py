# NaN, infinity, 1e999 (which parses to infinity) and -infinity as results: never a pass.
_exp, _log, _sigmoid, _relu = Value.exp, Value.log, Value.sigmoid, Value.relu


def _with(op, data):
    def patched(self):
        out = op(self)
        out.data = data
        return out
    return patched


Value.exp = _with(_exp, float("nan"))
Value.log = _with(_log, float("inf"))
Value.sigmoid = _with(_sigmoid, 1e999)
Value.relu = _with(_relu, -float("inf"))
