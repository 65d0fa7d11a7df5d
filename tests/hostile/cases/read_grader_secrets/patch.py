# Hunts for grader-only data: a secret file next to the grade, the assignment manifest (seed,
# hidden checks), the grader's environment and command line through /proc. If it finds any,
# relu turns wrong, so a failing relu means something leaked.
import os as _os
import sys as _sys


def _leaks():
    found = []
    texts = [repr(dict(_os.environ)), repr(_sys.argv)]
    paths = ["@BASE@/grader-secret.txt", "@BASE@/assignments/ops/assignment.toml",
             "/proc/%d/environ" % _os.getppid(), "/proc/%d/cmdline" % _os.getppid()]
    try:
        paths += ["/proc/%s/environ" % p for p in _os.listdir("/proc") if p.isdigit()]
    except OSError:
        pass
    for path in paths:
        try:
            with open(path, "rb") as f:
                texts.append(f.read().decode("latin-1"))
            if path.startswith("@BASE@"):
                found.append(path)
        except OSError:
            continue
    found += [t[:40] for t in texts if "@SECRET@" in t]
    return found


_leaked = _leaks()
_relu = Value.relu


def _telling_relu(self):
    out = _relu(self)
    if _leaked:
        out.data += 1.0
    return out


Value.relu = _telling_relu
