# Forks up to 300 sleeping children once per worker (a pids cgroup or RLIMIT_NPROC stops it
# earlier). The fork is reported as a policy event; every child must be gone after the group.
import os as _os
import time as _time

_relu = Value.relu
_stormed = []


def _storming_relu(self):
    if not _stormed:
        _stormed.append(True)
        for _ in range(300):
            try:
                pid = _os.fork()
            except OSError:
                break
            if pid == 0:
                _time.sleep(60)
                _os._exit(0)
    return _relu(self)


Value.relu = _storming_relu
