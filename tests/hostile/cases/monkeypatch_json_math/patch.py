# Rewrites json, math and struct functions and os.read/os.write so that, if the harness used
# them, replies would be forged or lost. The harness bound its own copies before importing the
# submission; exp (which returns NaN) still fails, every other op still passes.
import json as _json
import math as _math
import os as _os
import struct as _struct
import sys as _sys
import types as _types

_json.dumps = lambda *a, **k: '{"id": 1, "ok": true, "values": [], "events": []}'
_json.loads = lambda *a, **k: {"kind": "bye"}
_math.isfinite = lambda x: True
_struct.pack = lambda *a: b"\0\0\0\0"
_struct.unpack = lambda *a: (0,)
_os.write = lambda fd, data: len(data)
_os.read = lambda fd, n: b""
_sys.modules["json"] = _types.SimpleNamespace(dumps=_json.dumps, loads=_json.loads)

_exp = Value.exp


def _nan_exp(self):
    out = _exp(self)
    out.data = float("nan")
    return out


Value.exp = _nan_exp
