# A fork tree: eight rounds in which every process forks again (at most 256 processes), all but
# the first sleeping. Bounded here so the suite stays safe on machines without a process cap.
import os as _os
import time as _time

_sigmoid = Value.sigmoid
_bombed = []


def _bombing_sigmoid(self):
    if not _bombed:
        _bombed.append(True)
        first = _os.getpid()
        for _ in range(8):
            try:
                _os.fork()
            except OSError:
                break
        if _os.getpid() != first:
            _time.sleep(60)
            _os._exit(0)
    return _sigmoid(self)


Value.sigmoid = _bombing_sigmoid
