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
import os
import struct
import sys
import traceback


def _load_worker_modules():
    """Import the worker's other modules from this file's folder as the package `_mgrade_worker`.

    Under `-I` the script's folder is not on sys.path, and putting it there would let these
    modules shadow (or be shadowed by) the submission's; a private package name does neither.
    """
    package = type(sys)("_mgrade_worker")
    package.__path__ = [os.path.dirname(os.path.realpath(__file__))]
    sys.modules["_mgrade_worker"] = package
    return (importlib.import_module("_mgrade_worker.execute"),
            importlib.import_module("_mgrade_worker.standins"))


_execute, _standins = _load_worker_modules()
StandInFinder = _standins.StandInFinder
_StandInModule = _standins.StandInModule
HarnessError = _execute.HarnessError
describe = _execute.describe
_run_step = _execute.run_step

# Bound before any student code runs (see the module docstring).
_loads = json.loads
_dumps = json.dumps
_pack = struct.pack
_unpack = struct.unpack
_read = os.read
_write = os.write
_exit = os._exit
_streams = (sys.stdout, sys.stderr)  # the originals, whatever the submission assigns later
_eval = eval
_compile = compile
_type = type
_int = int
_str = str
_len = len
_isinstance = isinstance
_getattr = getattr
_repr = repr
_enumerate = enumerate
_reversed = reversed
_min = min
_frozenset = frozenset
_BaseException = BaseException
_extract_tb = traceback.extract_tb

MAX_FRAME = 64 * 1024 * 1024  # requests come from the grader; this guards against a broken pipe
MAX_MESSAGE = 500  # characters of an exception message sent back


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
        _flush_output()  # what the request printed reaches the grader before its reply
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
        for index, step in _enumerate(request["steps"]):
            try:
                slots.append(_run_step(self, step, slots, values))
            except _BaseException as exc:
                return {"ok": False, **self.error(exc, index)}
        return {"ok": True, "values": values}

    def batch(self, request):
        """Independent programs, each run as by `run` and answered on its own: an exception in
        one is that program's error and does not stop the next (slots are per program)."""
        return {"ok": True, "results": [self.run({"steps": steps})
                                        for steps in request["programs"]]}

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
            elif kind == "batch":
                reply = self.batch(request)
            else:
                reply = {"ok": False, "step": None, "error": {
                    "type": "ProtocolError", "message": "unknown request", "where": "",
                    "kind": "protocol"}}
            reply["id"] = request.get("id")
            reply["events"] = self.take_events()
            self.send(reply)


def _flush_output():
    for stream in _streams:
        try:
            stream.flush()
        except Exception:  # noqa: BLE001 - closed or broken by the submission: nothing to send
            pass


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
