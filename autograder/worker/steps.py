"""The steps of a worker program, defined once for everyone who builds or runs one.

A program is a list of steps; each step fills one slot (None for steps that only act), and later
steps refer to earlier ones by slot index. The grader builds programs (`autograder.ir.Program`),
the oracles run their engine steps on tensors (`autograder.ir.Evaluator`) and the worker runs
every step on the student's classes (`harness.py`). On the wire a step is a JSON array,
`[kind, field, ...]`; `encode` and `decode` are the only code that reads or writes that form.

The losses of the network checks are defined here too, once, as op text: the grader builds them
into programs, the worker's training run and the oracles evaluate them, and the feedback prints
them (see `loss`).

Standard library only: the worker imports this file under `python -I -S` before any student code.
"""

from collections import namedtuple


def _step(name, kind, fields, defaults=(), reads=0, doc=""):
    cls = namedtuple(name, fields, defaults=defaults)
    cls.kind = kind
    cls.static_reads = reads  # values an ok reply carries for this step (None: depends)
    cls.__doc__ = doc
    return cls


# ---- engine steps (every assignment) -----------------------------------------------------------
Leaf = _step("Leaf", "value", "x grad", (None,),
             doc="Value(x); with grad, the leaf already holds it")
Num = _step("Num", "num", "x", doc="a plain number (the k of `a ** k`, `k - a`)")
Apply = _step("Apply", "apply", "expr refs",
              doc="evaluate op text with names bound to slots: {name: slot}")
Chain = _step("Chain", "chain", "expr start n refs", ({},),
              doc="node = slots[start]; n times: node = expr with a = node (deep graphs)")
Backward = _step("Backward", "backward", "slot", doc="slots[slot].backward()")
LocalBackward = _step("LocalBackward", "local_backward", "slot grad",
                      doc="seed grad and call each node's _backward in reverse topological order")
Read = _step("Read", "read", "slot attr", reads=1,
             doc="append slots[slot].data or .grad to the reply")

# ---- network steps (the `mlp` assignment) ------------------------------------------------------
Module = _step("Module", "module", "cls args kwargs", ({},), doc="nn.<cls>(*args, **kwargs)")
Params = _step("Params", "params", "module", reads=1,
               doc="list(module.parameters()), all Values; appends how many")
Distinct = _step("Distinct", "distinct", "params", reads=1,
                 doc="append how many different objects the list holds (by identity)")
SetData = _step("SetData", "set_data", "params values", doc="p.data = v for each parameter")
SetGrad = _step("SetGrad", "set_grad", "params values", doc="p.grad = g for each parameter")
ReadAll = _step("ReadAll", "read_all", "params attr", reads=None,
                doc="append p.data or p.grad of every parameter")
Call = _step("Call", "call", "module inputs", doc="module([slots[i] for i in inputs])")
ExpectValue = _step("ExpectValue", "expect_value", "slot what", doc="the slot, if it holds a Value")
ExpectList = _step("ExpectList", "expect_list", "slot n what",
                   doc="the slot, if it holds a list of n Values")
Item = _step("Item", "item", "items index", doc="slots[items][index]")
ZeroGrad = _step("ZeroGrad", "zero_grad", "module", doc="module.zero_grad()")
Sgd = _step("Sgd", "sgd", "params lr", doc="p.data -= lr * p.grad for each parameter")
Seed = _step("Seed", "seed", "n",
             doc="random.seed(n), so the student's initialisation is reproducible")
Train = _step("Train", "train", "module X y steps lr_start lr_end alpha batch_size", reads=None,
              doc="the moons training loop (see `train_loss`); appends each step's loss, then "
                  "the trained model's score for every point")

ENGINE_STEPS = (Leaf, Num, Apply, Chain, Backward, LocalBackward, Read)
NETWORK_STEPS = (Module, Params, Distinct, SetData, SetGrad, ReadAll, Call, ExpectValue,
                 ExpectList, Item, ZeroGrad, Sgd, Seed, Train)
BY_KIND = {cls.kind: cls for cls in ENGINE_STEPS + NETWORK_STEPS}


def train_reads(step):
    return step.steps + len(step.X)


def encode(step):
    """The JSON array of one step; a trailing field left at None is not sent."""
    fields = list(step)
    while fields and fields[-1] is None:
        fields.pop()
    return [step.kind, *fields]


def decode(raw):
    """A step from its JSON array; ValueError names what is wrong with it."""
    if type(raw) is not list or not raw or type(raw[0]) is not str:
        raise ValueError("a step must be a list starting with its kind")
    cls = BY_KIND.get(raw[0])
    if cls is None:
        raise ValueError("unknown step %r" % (raw[0][:40],))
    try:
        return cls(*raw[1:])
    except TypeError:
        raise ValueError("step %r takes the fields %s" % (raw[0], ", ".join(cls._fields))) from None


def encode_program(steps):
    return [encode(step) for step in steps]


# ---- the losses ----------------------------------------------------------------------------------
# Op text over names bound to Values. `a` = 1, `b` = -y (the label) and `c` = the score for one
# hinge term; `a` = an output and `b` = -t (its target) for one squared error.
HINGE_TERM = "(a + b * c).relu()"
SQUARE_TERM = "(a + b) * (a + b)"
ADD = "a + b"
MUL = "a * b"


def total(terms, apply):
    """terms[0] + terms[1] + ..., with `+` only (sum() would also need __radd__ for its 0)."""
    result = terms[0]
    for term in terms[1:]:
        result = apply(ADD, {"a": result, "b": term})
    return result


def loss(kind, outputs, targets, lift, apply):
    """The loss of a batch, built from op text by `apply(expr, {name: node})`.

    `outputs` holds, per example, the list of the network's output nodes; `lift(x)` makes a
    constant node (a Value, a tensor, a slot). `hinge`: mean of (1 - y * score).relu() (`targets`
    are the labels); `mse`: mean over examples of the summed squared errors (`targets` are lists);
    `sum`: the sum of every output. The grader builds programs with it, the worker trains with
    it, and the oracles compute with it, so every party means the same loss.
    """
    if kind == "sum":
        return total([node for outs in outputs for node in outs], apply)
    if kind == "hinge":
        terms = [apply(HINGE_TERM, {"a": lift(1.0), "b": lift(-float(y)), "c": outs[0]})
                 for outs, y in zip(outputs, targets, strict=True)]
    elif kind == "mse":
        terms = [total([apply(SQUARE_TERM, {"a": node, "b": lift(-float(t))})
                        for node, t in zip(outs, target, strict=True)], apply)
                 for outs, target in zip(outputs, targets, strict=True)]
    else:
        raise ValueError("unknown loss %r" % (kind,))
    return apply(MUL, {"a": total(terms, apply), "b": lift(1.0 / len(terms))})


def train_loss(scores, labels, params, alpha, lift, apply):
    """One training step's loss: the hinge loss of the batch plus alpha * sum(p * p)."""
    data = loss("hinge", [[s] for s in scores], labels, lift, apply)
    reg = total([apply(MUL, {"a": p, "b": p}) for p in params], apply)
    return apply(ADD, {"a": data, "b": apply(MUL, {"a": lift(alpha), "b": reg})})


def learning_rate(step, k):
    """The rate of training step k: falling linearly from lr_start towards lr_end."""
    return step.lr_start - (step.lr_start - step.lr_end) * k / step.steps


def batch(step, k, n):
    """The indices of the points training step k uses: the next batch_size, wrapping around."""
    size = step.batch_size if 0 < step.batch_size < n else n
    return [(k * size + i) % n for i in range(size)]
