# A 50 MB __repr__ on Value (never needed for grading), and exp returning an object whose repr
# never ends and whose class name is 5,000 characters: the message names its type, shortened.
Value.__repr__ = lambda self: "Value" * 10_000_000


class _Endless:
    def __repr__(self):
        while True:
            pass

    __str__ = __repr__


_Endless.__name__ = _Endless.__qualname__ = "Endless" + "E" * 5000


def _endless_exp(self):
    return _Endless()


Value.exp = _endless_exp
