# At import, leaves a daemon that keeps rewriting results.json with a perfect score, chmods the
# output folder and drops a file of its own there. Only the grader may write results, once, at
# the end; no process of the submission may still be running then.
import json as _json
import os as _os
import time as _time

_pid = _os.fork()
if _pid == 0:
    _os.setsid()
    if _os.fork() == 0:
        _fake = _json.dumps({"score": 1000.0, "tests": [], "output": "@MARK@"})
        _end = _time.monotonic() + 30
        while _time.monotonic() < _end:
            for _target in ("@OUT@/results.json", "@OUT@/@MARK@-daemon"):
                try:
                    with open(_target, "w") as _f:
                        _f.write(_fake)
                    _os.chmod(_target, 0o666)
                except OSError:
                    pass
            try:
                _os.chmod("@OUT@", 0o777)
            except OSError:
                pass
            _time.sleep(0.02)
        _os._exit(0)
    _os._exit(0)
_os.waitpid(_pid, 0)
