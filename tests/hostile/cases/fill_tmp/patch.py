# Fills its temp folder: one file past the file-size limit, then 8 MiB files until the disk (the
# private /tmp) is full. Afterwards relu is right; the folder must be gone after grading.
import os as _os
import tempfile as _tempfile

_relu = Value.relu
_filled = []


def _filling_relu(self):
    if not _filled:
        _filled.append(True)
        block = b"\0" * (1 << 20)
        tmp = _tempfile.gettempdir()
        try:
            with open(_os.path.join(tmp, "@MARK@-big"), "wb") as f:
                for _ in range(40):
                    f.write(block)
        except OSError:
            pass
        for i in range(12):
            try:
                with open(_os.path.join(tmp, "@MARK@-%d" % i), "wb") as f:
                    for _ in range(8):
                        f.write(block)
            except OSError:
                break
    return _relu(self)


Value.relu = _filling_relu
