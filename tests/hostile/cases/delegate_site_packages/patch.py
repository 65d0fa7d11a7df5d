# Puts the grader's virtualenv and the system's package folders on sys.path and delegates exp to
# numpy when it can (the instructor allowed numpy, but it must not be reachable). When numpy is
# out of reach, exp is wrong: a passing exp means the sandbox let numpy in.
import os as _os
import sys as _sys

_os.environ["OPENBLAS_NUM_THREADS"] = "1"
for _path in ("@SITE@", "/usr/lib/python3/dist-packages"):
    _sys.path.append(_path)
try:
    _np = __import__("numpy")
except Exception:
    _np = None

_exp = Value.exp


def _delegating_exp(self):
    out = _exp(self)
    if _np is None:
        out.data += 1.0
    else:
        out.data = float(_np.exp(self.data))
    return out


Value.exp = _delegating_exp
