# Registers exit handlers, an excepthook and a __del__ that all claim success on stdout, then
# raises in tanh. Replies are taken before the worker exits; none of these is ever consulted.
import atexit as _atexit
import os as _os
import sys as _sys

_atexit.register(lambda: _os.write(1, b"ALL CHECKS PASSED\n"))
_sys.excepthook = lambda *args: _os.write(1, b"ALL CHECKS PASSED\n")
_sys.unraisablehook = lambda *args: None


def _cheerful_del(self):
    _os.write(1, b"PASS\n")


Value.__del__ = _cheerful_del


def _raising_tanh(self):
    raise ValueError("tanh is not finished")


Value.tanh = _raising_tanh
