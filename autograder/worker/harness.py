"""The grading worker: runs a student's engine, one small JSON program at a time.

This file is the only grader code that shares a process with student code, so it:
- uses the standard library only and runs as `python -I -S -B harness.py --rfd R --wfd W`, or
  `... harness.py --stdio` where the grader cannot hand it extra pipes (Windows)
  (no site-packages, no user site, no PYTHON* variables, the submission last on sys.path);
- binds everything it needs before the submission is imported, so monkeypatching `json`, `math` or
  `builtins` later does not change how replies are framed;
- talks to the grader over two dedicated pipes with length-prefixed frames, never stdout (with
  `--stdio` the pipes arrive as stdin and stdout, and are moved to private descriptors before the
  submission is imported: see `private_stdio`);
- converts `.data` and `.grad` to plain floats here, once, accepting only exact `int`/`float`
  objects, so the grader never touches a student object and no lying `__eq__`/`__float__` counts.

Nothing here decides a verdict. The grader compares every value and treats a missing reply, a
malformed frame or an extra frame as a failure.
"""

import importlib
import json
import math
import os
import struct
import sys
import traceback

# Bound before any student code runs (see the module docstring).
_loads = json.loads
_dumps = json.dumps
_isfinite = math.isfinite
_pack = struct.pack
_unpack = struct.unpack
_read = os.read
_write = os.write
_exit = os._exit
_eval = eval
_compile = compile
_type = type
_float = float
_int = int
_bool = bool
_str = str
_len = len
_id = id
_isinstance = isinstance
_getattr = getattr
_setattr = setattr
_repr = repr
_enumerate = enumerate
_range = range
_reversed = reversed
_set = set
_min = min
_frozenset = frozenset
_BaseException = BaseException
_extract_tb = traceback.extract_tb

MAX_FRAME = 64 * 1024 * 1024  # requests come from the grader; this guards against a broken pipe
MAX_MESSAGE = 500  # characters of an exception message sent back
MAX_NODES = 5_000_000  # harness traversal bound (a cyclic or exploding _prev)


# Audit events that have no place in an engine: starting programs, forking, signalling other
# processes (the grader, a sibling), opening sockets. Reported as policy events with each reply.
AUDIT_TAGS = {
    "subprocess.Popen": "exec", "os.system": "exec", "os.exec": "exec", "os.posix_spawn": "exec",
    "os.spawn": "exec", "pty.spawn": "exec",
    "os.fork": "fork", "os.forkpty": "fork",
    "os.kill": "signal", "os.killpg": "signal", "signal.pthread_kill": "signal",
    "socket.__new__": "socket", "socket.connect": "socket", "socket.bind": "socket",
    "socket.sendto": "socket", "socket.getaddrinfo": "socket",
}


class HarnessError(Exception):
    """A problem the harness detected itself (wrong return type, bad `_prev`), with its kind."""

    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind


class ForbiddenModuleError(Exception):
    """Raised when student code uses a stand-in for a module the assignment forbids."""


class _StandIn:
    """What every attribute of a forbidden module is: anything done with it raises."""

    def __init__(self, name):
        object.__setattr__(self, "_name", name)

    def _refuse(self, *args, **kwargs):
        raise ForbiddenModuleError(
            "%s is not available: this assignment forbids %s, so the grader gives your code a "
            "stand-in that cannot compute. Write this op with the math module and plain Python."
            % (object.__getattribute__(self, "_name"),
               object.__getattribute__(self, "_name").split(".")[0]))

    def __getattr__(self, attr):
        return _StandIn("%s.%s" % (object.__getattribute__(self, "_name"), attr))

    __call__ = __float__ = __int__ = __index__ = __bool__ = __iter__ = __len__ = _refuse
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = _refuse
    __rtruediv__ = __pow__ = __rpow__ = __neg__ = __getitem__ = __setattr__ = _refuse


class StandInFinder:
    """A meta-path finder that imports a stand-in for each forbidden module (never the real one),
    so an unused `import numpy as np` left over from the lecture imports cleanly. The import still
    fires its audit event, so the tripwire sees it."""

    def __init__(self, names):
        self.names = _frozenset(names)

    def find_spec(self, fullname, path=None, target=None):
        if fullname.split(".")[0] not in self.names:
            return None
        import importlib.machinery

        return importlib.machinery.ModuleSpec(fullname, self, is_package=True)

    def create_module(self, spec):
        module = _StandInModule(spec.name)
        module.__path__ = []
        return module

    def exec_module(self, module):
        pass


class _StandInModule(_type(sys)):
    def __getattr__(self, attr):
        if attr.startswith("__"):
            raise AttributeError(attr)
        return _StandIn("%s.%s" % (self.__name__, attr))


class Worker:
    def __init__(self, rfd, wfd):
        self.rfd = rfd
        self.wfd = wfd
        self.events = []
        self.watch = frozenset()
        self.root = ""
        self.Value = None
        self.nn = None
        self.codes = {}

    # ---- framing -------------------------------------------------------------------------------
    def _read_exact(self, n):
        chunks = []
        while n:
            chunk = _read(self.rfd, _min(n, 1 << 20))
            if not chunk:
                _exit(0)  # the grader closed the pipe: nothing left to do
            chunks.append(chunk)
            n -= _len(chunk)
        return b"".join(chunks)

    def recv(self):
        (n,) = _unpack(">I", self._read_exact(4))
        if n > MAX_FRAME:
            _exit(3)
        return _loads(self._read_exact(n).decode("utf-8"))

    def send(self, message):
        data = _dumps(message, allow_nan=False, separators=(",", ":")).encode("utf-8")
        frame = _pack(">I", _len(data)) + data
        while frame:
            written = _write(self.wfd, frame)
            frame = frame[written:]

    # ---- policy tripwire -----------------------------------------------------------------------
    def audit(self, event, args):
        # A tripwire, not a sandbox: it logs, the kernel enforces. Must never raise. Imports are
        # seen only when a module is first loaded (a cached module fires no event), so the grader
        # charges events seen while the submission was imported to every check of the worker.
        try:
            tag = None
            if event == "import":
                top = _str(args[0]).split(".")[0]
                if top in self.watch:
                    tag = "import:" + top
            else:
                tag = AUDIT_TAGS.get(event)
            if tag is not None and tag not in self.events:
                self.events.append(tag)
        except _BaseException:
            pass

    def take_events(self):
        # Forget stand-ins between replies, so a later import of the same forbidden module fires
        # its audit event again (a cached module fires none) and is charged to that check too.
        for name in [n for n, m in sys.modules.items() if _isinstance(m, _StandInModule)]:
            del sys.modules[name]
        events, self.events = self.events, []
        return events

    # ---- error reports -------------------------------------------------------------------------
    def where(self, exc):
        """`engine.py:42 in __rsub__`: the innermost frame inside the submission."""
        if _isinstance(exc, SyntaxError) and exc.filename:
            return "%s:%s" % (self.relative(exc.filename), exc.lineno)
        try:
            frames = _extract_tb(exc.__traceback__)
        except _BaseException:
            return ""
        for frame in _reversed(frames):
            if self.root and frame.filename.startswith(self.root):
                return "%s:%s in %s" % (self.relative(frame.filename), frame.lineno, frame.name)
        return ""

    def relative(self, filename):
        if self.root and filename.startswith(self.root):
            return filename[_len(self.root):].lstrip("/")
        return os.path.basename(filename)

    def error(self, exc, step=None):
        if _isinstance(exc, HarnessError):
            kind = exc.kind
        elif _isinstance(exc, NotImplementedError):
            kind = "not_implemented"
        else:
            kind = "raised"
        etype = _type(exc).__name__
        try:
            message = _str(exc)
        except _BaseException:
            message = "<the exception's message could not be read>"
        if _type(message) is not _str:
            message = ""
        if _isinstance(exc, SystemExit):
            message = "sys.exit(%s) was called" % (_repr(exc.code) if _type(exc.code) in (
                _int, _str, _type(None)) else "...")
        if _isinstance(exc, SyntaxError) and exc.text:
            message = "%s: %s" % (exc.msg, exc.text.strip()[:200])
        return {
            "step": step,
            "error": {
                "type": etype[:100],
                "message": message[:MAX_MESSAGE],
                "where": self.where(exc)[:300],
                "kind": kind,
            },
        }

    # ---- requests ------------------------------------------------------------------------------
    def init(self, request):
        layout = request["layout"]
        self.root = os.path.realpath(layout["root"]) + "/"
        self.watch = _frozenset(request.get("watch_imports", ()))
        stand_ins = request.get("stand_ins", ())
        if stand_ins:
            sys.meta_path.insert(0, StandInFinder(stand_ins))
        sys.addaudithook(self.audit)
        sys.path.append(layout["root"])  # last: a submitted json.py cannot shadow the stdlib
        try:
            engine = importlib.import_module(layout["engine"])
            if layout["engine"] == "engine" and "micrograd" not in sys.modules:
                # flat layout: make `from micrograd.engine import Value` find the same module
                package = _type(sys)("micrograd")
                package.__path__ = []
                package.engine = engine
                sys.modules["micrograd"] = package
                sys.modules["micrograd.engine"] = engine
            Value = _getattr(engine, "Value", None)
            if not _isinstance(Value, _type):
                raise HarnessError("load_error", "%s.py defines no class Value" % layout["engine"]
                                   .replace(".", "/"))
            self.Value = Value
        except _BaseException as exc:
            return {"ok": False, "stage": "engine", **self.error(exc)}
        # the methods the grader asks about (from its op table), so feedback can say
        # "`__rsub__` is not defined"
        methods = {}
        for name in request.get("methods", ()):
            methods[name] = "ok" if _getattr(Value, name, None) is not None else "missing"
        reply = {"ok": True, "methods": methods}
        if request.get("want_nn"):
            if not layout.get("nn"):
                return {"ok": False, "stage": "nn", "step": None, "error": {
                    "type": "ModuleNotFoundError", "message": "the submission has no nn.py",
                    "where": "", "kind": "load_error"}, "methods": methods}
            try:
                nn = importlib.import_module(layout["nn"])
                if layout["nn"] == "nn" and "micrograd" in sys.modules:
                    sys.modules["micrograd.nn"] = nn
                self.nn = nn
            except _BaseException as exc:
                return {"ok": False, "stage": "nn", "methods": methods, **self.error(exc)}
        return reply

    def code(self, expr):
        code = self.codes.get(expr)
        if code is None:
            code = self.codes[expr] = _compile(expr, "<grader: %s>" % expr, "eval")
        return code

    def apply(self, expr, env):
        result = _eval(self.code(expr), {"__builtins__": {}}, env)
        if not _isinstance(result, self.Value):
            raise HarnessError("bad_return", "`%s` returned %s, expected a Value" % (
                expr, describe(result)))
        return result

    def run(self, request):
        slots = []
        values = []
        Value = self.Value
        for index, step in _enumerate(request["steps"]):
            try:
                slots.append(self.step(step, slots, values, Value))
            except _BaseException as exc:
                return {"ok": False, **self.error(exc, index)}
        return {"ok": True, "values": values}

    def step(self, step, slots, values, Value):
        kind = step[0]
        if kind == "value":
            node = Value(step[1])
            if _len(step) > 2:
                node.grad = step[2]
            return node
        if kind == "num":
            return step[1]
        if kind == "apply":
            return self.apply(step[1], {name: slots[i] for name, i in step[2].items()})
        if kind == "chain":
            node = slots[step[2]]
            env = {name: slots[i] for name, i in step[4].items()}
            for _ in _range(step[3]):
                env["a"] = node
                node = self.apply(step[1], env)
            return node
        if kind == "backward":
            slots[step[1]].backward()
            return None
        if kind == "local_backward":
            self.local_backward(slots[step[1]], step[2])
            return None
        if kind == "read":
            values.append(read_number(_getattr(slots[step[1]], step[2])))
            return None
        if kind in NN_STEPS:
            return NN_STEPS[kind](self, step, slots, values)
        raise HarnessError("protocol", "unknown step %r" % (kind,))

    def local_backward(self, root, grad):
        """Seed `root.grad` and call each node's `_backward` in reverse topological order.

        This is the grader's own traversal (iterative, identity-based so a lying `__hash__`/`__eq__`
        cannot confuse it). It checks an op's local derivative without relying on the student's
        `backward()`, which has checks of its own.
        """
        Value = self.Value
        root.grad = grad
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

    def serve(self):
        while True:
            request = self.recv()
            kind = request.get("kind")
            if kind == "bye":
                self.send({"id": request.get("id"), "ok": True, "events": self.take_events()})
                _exit(0)
            if kind == "init":
                reply = self.init(request)
            elif kind == "run":
                reply = self.run(request)
            else:
                reply = {"ok": False, "step": None, "error": {
                    "type": "ProtocolError", "message": "unknown request", "where": "",
                    "kind": "protocol"}}
            reply["id"] = request.get("id")
            reply["events"] = self.take_events()
            self.send(reply)


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


# ---- network steps (the `nn` assignment) ------------------------------------------------------

# Bound before any student code runs, like the names at the top of this file.
_zip = zip
_list = list
_tuple = tuple
_all = all
_nn_range = range


def _module_ctor(worker, step, slots, values):
    # ["module", "MLP", [args...], {kwargs}]
    cls = _getattr(worker.nn, step[1])
    return cls(*step[2], **(step[3] if _len(step) > 3 else {}))


def _parameter_list(worker, module):
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


def _parameters(worker, step, slots, values):
    # ["params", m] -> list of parameters; appends their count to values
    params = _parameter_list(worker, slots[step[1]])
    values.append(_float(_len(params)))
    return params


def _distinct(worker, step, slots, values):
    # ["distinct", params_slot] -> appends how many different objects the list holds (by identity)
    values.append(_float(_len({_id(p) for p in slots[step[1]]})))
    return None


def _set_grad(worker, step, slots, values):
    # ["set_grad", params_slot, [floats]]: give each parameter a gradient (to test zero_grad)
    for p, g in _zip(slots[step[1]], step[2], strict=False):  # a count mismatch is reported
        p.grad = g
    return None


def _set_data(worker, step, slots, values):
    # ["set_data", params_slot, [floats]]
    params = slots[step[1]]
    for p, x in _zip(params, step[2], strict=False):  # by the grader, from the params count
        p.data = x
    return None


def _read_all(worker, step, slots, values):
    # ["read_all", list_slot, "data" | "grad"]
    for p in slots[step[1]]:
        values.append(read_number(_getattr(p, step[2])))
    return None


def _call(worker, step, slots, values):
    # ["call", module_slot, [input slots]] -> whatever the module returns
    return slots[step[1]]([slots[i] for i in step[2]])


def _call_floats(worker, step, slots, values):
    # ["call_floats", module_slot, [floats]] -> module(list of plain floats), as micrograd's README
    return slots[step[1]](_list(step[2]))


def _expect_value(worker, step, slots, values):
    # ["expect_value", slot, "what"] -> the slot itself, if it is a Value
    obj = slots[step[1]]
    if not _isinstance(obj, worker.Value):
        raise HarnessError("bad_return", "%s returned %s, expected a Value" % (
            step[2], describe(obj)))
    return obj


def _expect_list(worker, step, slots, values):
    # ["expect_list", slot, n, "what"] -> the slot, if it is a list/tuple of n Values
    obj = slots[step[1]]
    if _type(obj) not in (_list, _tuple) or _len(obj) != step[2] or not _all(
            _isinstance(v, worker.Value) for v in obj):
        raise HarnessError("bad_return", "%s returned %s, expected a list of %d Values" % (
            step[3], describe(obj) if _type(obj) not in (_list, _tuple) else
            "a %s of %d items" % (_type(obj).__name__, _len(obj)), step[2]))
    return obj


def _item(worker, step, slots, values):
    # ["item", list_slot, index]
    return slots[step[1]][step[2]]


def _zero_grad(worker, step, slots, values):
    slots[step[1]].zero_grad()
    return None


def _sgd(worker, step, slots, values):
    # ["sgd", params_slot, lr]: p.data -= lr * p.grad, as micrograd's demo does
    lr = step[2]
    for p in slots[step[1]]:
        p.data -= lr * p.grad
    return None


def _seed(worker, step, slots, values):
    # ["seed", n]: random.seed(n), so weight initialisation is reproducible
    import random

    random.seed(step[1])
    return None


def _score(worker, model, row):
    out = model([worker.Value(x) for x in row])
    if not _isinstance(out, worker.Value):
        raise HarnessError("bad_return", "the model returned %s for one input point; a network "
                           "whose last layer has one neuron must return a Value" % describe(out))
    return out


def _total(terms):
    # a + b + ... with Value.__add__ only (sum() would need __radd__ for its 0 start)
    total = None
    for term in terms:
        total = term if total is None else total + term
    return total


def _train(worker, step, slots, values):
    # ["train", module_slot, X, y, steps, lr_start, lr_end, alpha, batch_size]: the moons demo's
    # loop with the student's own classes. Step k takes the next batch_size points in order
    # (wrapping around; batch_size 0 means all of them), then: max-margin loss
    # mean((1 - y*score).relu()) plus alpha * sum(p*p), model.zero_grad(), loss.backward(),
    # p.data -= lr * p.grad with lr falling linearly from lr_start towards lr_end. Appends each
    # step's loss, then the trained model's score for every point (the grader computes accuracy).
    model = slots[step[1]]
    X, y, steps, lr_start, lr_end, alpha, batch_size = step[2:9]
    Value = worker.Value
    params = _parameter_list(worker, model)
    n = _len(X)
    size = batch_size if 0 < batch_size < n else n
    scale = Value(1.0 / size)
    for k in _nn_range(steps):
        batch = [(k * size + i) % n for i in _nn_range(size)]
        margins = [(Value(1.0) + Value(-y[i]) * _score(worker, model, X[i])).relu()
                   for i in batch]
        data_loss = _total(margins) * scale
        total = data_loss + Value(alpha) * _total([p * p for p in params])
        model.zero_grad()
        total.backward()
        lr = lr_start - (lr_start - lr_end) * k / steps
        for p in params:
            p.data -= lr * p.grad
        values.append(read_number(total.data))
    for row in X:
        values.append(read_number(_score(worker, model, row).data))
    return None


NN_STEPS = {
    "module": _module_ctor,
    "params": _parameters,
    "distinct": _distinct,
    "set_grad": _set_grad,
    "train": _train,
    "set_data": _set_data,
    "read_all": _read_all,
    "call": _call,
    "call_floats": _call_floats,
    "expect_value": _expect_value,
    "expect_list": _expect_list,
    "item": _item,
    "zero_grad": _zero_grad,
    "sgd": _sgd,
    "seed": _seed,
}


def private_stdio():
    """Take the request pipe (fd 0) and the reply pipe (fd 1) for the protocol, on descriptors
    of their own that no child inherits, and give fd 0 the null device and fd 1 the output pipe
    (fd 2, which the grader drains with a cap). Whatever the submission then prints, or writes to
    fd 0, 1 or 2, never reaches the reply channel. Runs before any student code."""
    rfd = os.dup(0)
    wfd = os.dup(1)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.dup2(2, 1)
    return rfd, wfd


def main(argv):
    rfd = wfd = None
    for i, arg in enumerate(argv):
        if arg == "--rfd":
            rfd = _int(argv[i + 1])
        elif arg == "--wfd":
            wfd = _int(argv[i + 1])
        elif arg == "--stdio":
            rfd, wfd = private_stdio()
    if rfd is None or wfd is None:
        sys.stderr.write("usage: harness.py (--rfd N --wfd M | --stdio)\n")
        return 2
    sys.setrecursionlimit(1000)  # the default; deep recursion is the student's RecursionError
    Worker(rfd, wfd).serve()
    return 0


if __name__ == "__main__":
    _exit(main(sys.argv[1:]))
