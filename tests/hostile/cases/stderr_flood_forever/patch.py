# Writes to stderr without end: the grader keeps draining (and dropping) it and still times out.
import os as _os

_chunk = b"E" * 65536


def _flooding_relu(self):
    while True:
        _os.write(2, _chunk)


Value.relu = _flooding_relu
