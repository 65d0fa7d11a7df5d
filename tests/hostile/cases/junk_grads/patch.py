# Backward passes that leave junk in .grad: None, a huge int, a bool, NaN, a string.
def _junk_backward(name, junk):
    original = getattr(Value, name)

    def patched(self):
        out = original(self)

        def _backward():
            self.grad = junk

        out._backward = _backward
        return out

    setattr(Value, name, patched)


_junk_backward("tanh", None)
_junk_backward("exp", 10**400)
_junk_backward("log", True)
_junk_backward("sigmoid", float("nan"))
_junk_backward("relu", "0.0")
