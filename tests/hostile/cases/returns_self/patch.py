# tanh returns its own input instead of a new Value.
def _lazy_tanh(self):
    return self


Value.tanh = _lazy_tanh
