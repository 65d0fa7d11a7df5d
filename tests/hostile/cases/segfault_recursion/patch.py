# Raises the recursion limit and recurses in C (repr of a deeply nested list): the C stack
# overflows and the worker dies of SIGSEGV.
import sys as _sys


def _crashing_sigmoid(self):
    _sys.setrecursionlimit(10**7)
    nested = []
    for _ in range(200_000):
        nested = [nested]
    return repr(nested)


Value.sigmoid = _crashing_sigmoid
