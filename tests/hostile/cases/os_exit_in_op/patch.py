# os._exit(0) inside an op: the worker vanishes without replying.
import os as _os


def _vanishing_exp(self):
    _os._exit(0)


Value.exp = _vanishing_exp
