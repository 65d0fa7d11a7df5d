# A thread that chatters on stderr for as long as the worker lives: the grader drains and caps
# it, and every check still passes.
import os as _os
import threading as _threading
import time as _time


def _chatter():
    while True:
        try:
            _os.write(2, b"chatter " * 128)
        except OSError:
            return
        _time.sleep(0.001)


_threading.Thread(target=_chatter, daemon=True).start()
