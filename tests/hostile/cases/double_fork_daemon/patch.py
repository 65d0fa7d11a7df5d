# The classic daemon: fork, setsid, fork again, exec a long sleep (argv carries the run's marker)
# and let the middle process exit, so the sleeper is orphaned in a session of its own.
import os as _os
import sys as _sys

_exp = Value.exp
_started = []


def _daemonizing_exp(self):
    if not _started:
        _started.append(True)
        pid = _os.fork()
        if pid == 0:
            _os.setsid()
            if _os.fork() == 0:
                _os.execv(_sys.executable, [_sys.executable, "-I", "-S", "-c",
                                            "import time; time.sleep(120)", "@MARK@"])
            _os._exit(0)
        _os.waitpid(pid, 0)
    return _exp(self)


Value.exp = _daemonizing_exp
