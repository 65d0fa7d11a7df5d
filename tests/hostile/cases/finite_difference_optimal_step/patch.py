# The same with the step that minimises a central difference's error (h = 1e-5 max(1, |x|)).
# Its error, about 1e-11 of the gradient's scale, is still a hundred times the backward tolerance
# (autograder/compare.py), so every op fails.
def _numerical(name, fn):
    original = getattr(Value, name)

    def patched(self):
        out = original(self)

        def _backward():
            x = self.data
            h = 1e-5 * max(1.0, abs(x))
            slope = (fn(x + h) - fn(x - h)) / (2 * h)
            self.grad += slope * out.grad

        out._backward = _backward
        return out

    setattr(Value, name, patched)


_numerical("tanh", math.tanh)
_numerical("exp", math.exp)
_numerical("log", lambda x: math.log(x) if x > 0 else float("nan"))
_numerical("sigmoid", lambda x: 0.5 * (1 + math.tanh(x / 2)))
