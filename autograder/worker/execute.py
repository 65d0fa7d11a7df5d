"""What the worker does for each step of a program (the steps: `steps.py`).

Part of the worker: standard library only, loaded by `harness.py` before any student code, with
every builtin it uses bound at import time (see harness.py). Each handler takes the worker (which
holds the student's `Value` class and `nn` module), the step, the slots filled so far and the
list of values the reply will carry, and returns what the step's slot holds.
"""

import math
import random

from . import steps as S

_type = type
_float = float
_int = int
_bool = bool
_len = len
_id = id
_isinstance = isinstance
_getattr = getattr
_repr = repr
_reversed = reversed
_set = set
_zip = zip
_list = list
_tuple = tuple
_all = all
_range = range
_setattr = setattr
_isfinite = math.isfinite
_seed = random.seed

MAX_NODES = 5_000_000  # harness traversal bound (a cyclic or exploding _prev)


class HarnessError(Exception):
    """A problem the harness detected itself (wrong return type, bad `_prev`), with its kind."""

    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind


def describe(obj):
    """Name what came back without calling student code (`__repr__` may be hostile)."""
    t = _type(obj)
    if obj is None:
        return "None"
    if t in (_float, _int, _bool):
        text = _repr(obj)
        return "%s %s" % (t.__name__, text[:40])
    return "a %s object" % t.__name__[:60]


def read_number(x):
    """A finite float, a tag for nan/inf, or {"bad": type} when it is not an int or float."""
    t = _type(x)
    if t is _float:
        value = x
    elif t is _int:
        try:
            value = _float(x)
        except OverflowError:
            return {"bad": "int too large for a float"}
    else:
        return {"bad": "None" if x is None else t.__name__[:60]}
    if _isfinite(value):
        return value
    return {"nonfinite": "nan" if value != value else ("inf" if value > 0 else "-inf")}


def run_step(worker, raw, slots, values):
    try:
        step = S.decode(raw)
    except ValueError as exc:
        raise HarnessError("protocol", exc.args[0]) from None
    return HANDLERS[_type(step)](worker, step, slots, values)


def _env(refs, slots):
    return {name: slots[i] for name, i in refs.items()}


# ---- engine steps --------------------------------------------------------------------------------


def _leaf(worker, step, slots, values):
    node = worker.Value(step.x)
    if step.grad is not None:
        node.grad = step.grad
    return node


def _chain(worker, step, slots, values):
    node = slots[step.start]
    env = _env(step.refs, slots)
    for _ in _range(step.n):
        env["a"] = node
        node = worker.apply(step.expr, env)
    return node


def _local_backward(worker, step, slots, values):
    """Seed `root.grad` and call each node's `_backward` in reverse topological order.

    This is the grader's own traversal (iterative, identity-based so a lying `__hash__`/`__eq__`
    cannot confuse it). It checks an op's local derivative without relying on the student's
    `backward()`, which has checks of its own.
    """
    Value = worker.Value
    root = slots[step.slot]
    root.grad = step.grad
    order = []
    seen = _set()
    stack = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if _id(node) in seen:
            continue
        seen.add(_id(node))
        if _len(seen) > MAX_NODES:
            raise HarnessError("raised", "the graph behind this Value has over %d nodes "
                               "(is `_prev` cyclic?)" % MAX_NODES)
        stack.append((node, True))
        for child in node._prev:
            if not _isinstance(child, Value):
                raise HarnessError("bad_return", "`_prev` holds %s; it must hold the Value "
                                   "operands of the op" % describe(child))
            if _id(child) not in seen:
                stack.append((child, False))
    for node in _reversed(order):
        node._backward()


def _read(worker, step, slots, values):
    values.append(read_number(_getattr(slots[step.slot], step.attr)))


# ---- network steps -------------------------------------------------------------------------------


def parameter_list(worker, module):
    params = module.parameters()
    try:
        params = _list(params)
    except TypeError:
        raise HarnessError("bad_return", "parameters() returned %s, expected a list of Values"
                           % describe(params)) from None
    for p in params:
        if not _isinstance(p, worker.Value):
            raise HarnessError("bad_return", "parameters() holds %s; every parameter must be a "
                               "Value" % describe(p))
    return params


def _params(worker, step, slots, values):
    params = parameter_list(worker, slots[step.module])
    values.append(_float(_len(params)))
    return params


def _set_attr(attr):
    def handler(worker, step, slots, values):
        for p, x in _zip(slots[step.params], step.values, strict=False):  # a count mismatch
            _setattr(p, attr, x)                                           # is reported
    return handler


def _read_all(worker, step, slots, values):
    for p in slots[step.params]:
        values.append(read_number(_getattr(p, step.attr)))


def _expect_value(worker, step, slots, values):
    obj = slots[step.slot]
    if not _isinstance(obj, worker.Value):
        raise HarnessError("bad_return", "%s returned %s, expected a Value" % (
            step.what, describe(obj)))
    return obj


def _expect_list(worker, step, slots, values):
    obj = slots[step.slot]
    if _type(obj) not in (_list, _tuple) or _len(obj) != step.n or not _all(
            _isinstance(v, worker.Value) for v in obj):
        raise HarnessError("bad_return", "%s returned %s, expected a list of %d Values" % (
            step.what, describe(obj) if _type(obj) not in (_list, _tuple) else
            "a %s of %d items" % (_type(obj).__name__, _len(obj)), step.n))
    return obj


def _sgd(worker, step, slots, values):
    for p in slots[step.params]:
        p.data -= step.lr * p.grad


def score(worker, model, row):
    out = model([worker.Value(x) for x in row])
    if not _isinstance(out, worker.Value):
        raise HarnessError("bad_return", "the model returned %s for one input point; a network "
                           "whose last layer has one neuron must return a Value" % describe(out))
    return out


def _train(worker, step, slots, values):
    """The moons demo's loop with the student's own classes: for each step k, the next batch of
    points (`steps.batch`), the loss `steps.train_loss`, model.zero_grad(), loss.backward(), and
    p.data -= lr * p.grad with `steps.learning_rate`."""
    model = slots[step.module]
    Value = worker.Value
    params = parameter_list(worker, model)
    for k in _range(step.steps):
        batch = S.batch(step, k, _len(step.X))
        scores = [score(worker, model, step.X[i]) for i in batch]
        loss = S.train_loss(scores, [step.y[i] for i in batch], params, step.alpha, Value,
                            worker.apply)
        model.zero_grad()
        loss.backward()
        lr = S.learning_rate(step, k)
        for p in params:
            p.data -= lr * p.grad
        values.append(read_number(loss.data))
    for row in step.X:
        values.append(read_number(score(worker, model, row).data))


HANDLERS = {
    S.Leaf: _leaf,
    S.Num: lambda worker, step, slots, values: step.x,
    S.Apply: lambda worker, step, slots, values: worker.apply(step.expr, _env(step.refs, slots)),
    S.Chain: _chain,
    S.Backward: lambda worker, step, slots, values: slots[step.slot].backward(),
    S.LocalBackward: _local_backward,
    S.Read: _read,
    S.Module: lambda worker, step, slots, values: _getattr(worker.nn, step.cls)(
        *step.args, **step.kwargs),
    S.Params: _params,
    S.Distinct: lambda worker, step, slots, values: values.append(
        _float(_len({_id(p) for p in slots[step.params]}))),
    S.SetData: _set_attr("data"),
    S.SetGrad: _set_attr("grad"),
    S.ReadAll: _read_all,
    S.Call: lambda worker, step, slots, values: slots[step.module](
        [slots[i] for i in step.inputs]),
    S.ExpectValue: _expect_value,
    S.ExpectList: _expect_list,
    S.Item: lambda worker, step, slots, values: slots[step.items][step.index],
    S.ZeroGrad: lambda worker, step, slots, values: slots[step.module].zero_grad(),
    S.Sgd: _sgd,
    S.Seed: lambda worker, step, slots, values: _seed(step.n),
    S.Train: _train,
}
