# Takes every file descriptor it may open at import, then raises in tanh: the harness still
# answers (it needs no new descriptor) and reports the error.
_hoard = []
try:
    while True:
        _hoard.append(open("/dev/null"))
except OSError:
    pass


def _raising_tanh(self):
    raise ValueError("tanh failed while every descriptor is taken")


Value.tanh = _raising_tanh
