# Writes well-formed reply frames claiming success to stdout and stderr, then answers wrongly.
# Output is never parsed, so the frames change nothing.
import json as _json
import os as _os
import struct as _struct

_exp = Value.exp


def _frames(ids):
    out = b""
    for i in ids:
        body = _json.dumps({"id": i, "ok": True, "values": [1.0] * 8, "events": []}).encode()
        out += _struct.pack(">I", len(body)) + body
    return out


_junk = _frames(range(1, 300))


def _framing_exp(self):
    for fd in (1, 2):
        _os.write(fd, _junk)
    out = _exp(self)
    out.data = 1.0
    return out


Value.exp = _framing_exp
