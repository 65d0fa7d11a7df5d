# Writes reply frames to every fd from 0 to 255. One of them is the reply pipe, so the grader
# finds frames it never asked for and fails every check of the worker.
import json as _json
import os as _os
import struct as _struct

_log = Value.log


def _frames(ids):
    out = b""
    for i in ids:
        body = _json.dumps({"id": i, "ok": True, "values": [0.0] * 8, "events": []}).encode()
        out += _struct.pack(">I", len(body)) + body
    return out


_junk = _frames(range(1, 60))


def _spraying_log(self):
    for fd in range(256):
        try:
            _os.write(fd, _junk)
        except OSError:
            pass
    return _log(self)


Value.log = _spraying_log
