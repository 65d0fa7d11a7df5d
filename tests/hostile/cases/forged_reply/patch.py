# The forger: finds the harness's reply pipe and the request being served (both in this
# process), computes with plain floats what an honest tanh would reply, and writes that frame
# itself. Its own tanh is wrong, so without the forgery the checks would fail.
import gc as _gc
import json as _json
import math as _math
import os as _os
import struct as _struct
import sys as _sys

_tanh = Value.tanh
_forged = set()
# A case that extends this one (forged_reply_then_exit) sets this before this patch runs.
_EXIT_AFTER_FORGING = globals().get("_EXIT_AFTER_FORGING", False)


def _reply_pipe():
    for obj in _gc.get_objects():
        if type(obj).__name__ == "Worker" and hasattr(obj, "wfd"):
            return obj.wfd
    return None


def _request():
    frame = _sys._getframe()
    while frame is not None:
        found = frame.f_locals.get("request")
        if isinstance(found, dict) and "steps" in found:
            return found
        frame = frame.f_back
    return None


def _honest_reply(steps):
    slots, values = [], []
    for step in steps:
        kind = step[0]
        if kind == "value":
            slots.append([step[1], step[2] if len(step) > 2 else 0.0, None])
        elif kind == "num":
            slots.append([step[1], 0.0, None])
        elif kind == "apply":
            operand = slots[step[2]["a"]]
            slots.append([_math.tanh(operand[0]), 0.0, operand])
        elif kind == "local_backward":
            node = slots[step[1]]
            node[1] = step[2]
            if node[2] is not None:
                node[2][1] += (1 - node[0] ** 2) * node[1]
            slots.append(None)
        elif kind == "read":
            node = slots[step[1]]
            values.append(node[0] if step[2] == "data" else node[1])
            slots.append(None)
        else:
            return None
    return values


def _forge():
    request, pipe = _request(), _reply_pipe()
    if request is None or pipe is None or request["id"] in _forged:
        return False
    _forged.add(request["id"])
    values = _honest_reply(request["steps"])
    body = _json.dumps({"id": request["id"], "ok": True, "values": values, "events": []})
    _os.write(pipe, _struct.pack(">I", len(body)) + body.encode())
    return True


def _forging_tanh(self):
    if _forge() and _EXIT_AFTER_FORGING:
        _os._exit(0)  # the real, wrong reply never follows the forged one
    out = _tanh(self)
    out.data += 1.0
    return out


Value.tanh = _forging_tanh
