# Breaks the builtins a harness loop would use (enumerate, range, reversed, min) and makes log
# return a plain float. The harness bound its own copies first: log is reported as returning a
# float, every other op passes.
import builtins as _builtins

_builtins.enumerate = lambda *a, **k: iter(())
_builtins.reversed = lambda *a, **k: iter(())
_builtins.min = lambda *a, **k: 0
_builtins.range = lambda *a, **k: iter(())


def _float_log(self):
    return math.log(self.data)


Value.log = _float_log
