# Ops that return something other than a Value: a float, None, and a look-alike object with
# data/grad/_prev/_backward (duck typing is not enough: the result must be a Value).
class _Duck:
    def __init__(self, data):
        self.data = data
        self.grad = 0.0
        self._prev = set()
        self._backward = lambda: None


def _float_exp(self):
    return math.exp(self.data)


def _none_log(self):
    return None


def _duck_sigmoid(self):
    return _Duck(1 / (1 + math.exp(-self.data)))


Value.exp = _float_exp
Value.log = _none_log
Value.sigmoid = _duck_sigmoid
