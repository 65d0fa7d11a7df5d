# kill(-1, SIGKILL): every process the worker may signal. In a pid namespace that is nothing but
# itself and its init; under a worker uid, only that uid's processes. Never sent as root (at the
# process level as root it would reach every process of the machine; the suite skips it there).
import os as _os
import signal as _signal

_tanh = Value.tanh


def _apocalyptic_tanh(self):
    if _os.getuid() != 0 and _os.geteuid() != 0:
        try:
            _os.kill(-1, _signal.SIGKILL)
        except OSError:
            pass
    return _tanh(self)


Value.tanh = _apocalyptic_tanh
