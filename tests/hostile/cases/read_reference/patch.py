# Looks for the instructor's reference solution (by the repository path, and through the grader's
# working folder in /proc/<ppid>/cwd) and, if it can read it, grades that instead of itself. Its
# own exp is wrong, so a passing exp means the reference was readable.
import os as _os


def _stolen_source():
    candidates = ["@REPO@/reference/micrograd/engine.py"]
    try:
        cwd = _os.readlink("/proc/%d/cwd" % _os.getppid())
        candidates.append(_os.path.join(cwd, "reference", "micrograd", "engine.py"))
    except OSError:
        pass
    for path in candidates:
        try:
            with open(path) as f:
                return f.read()
        except OSError:
            continue
    return None


_source = _stolen_source()
if _source is not None:
    _stolen = {"__name__": "stolen_reference"}
    exec(compile(_source, "stolen_reference", "exec"), _stolen)
    Value = _stolen["Value"]
else:
    _exp = Value.exp

    def _wrong_exp(self):
        out = _exp(self)
        out.data += 1.0
        return out

    Value.exp = _wrong_exp
