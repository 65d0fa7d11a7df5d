# Behaves only when it believes nobody is grading: it looks for anything beyond the worker's
# fixed environment and arguments (a CI variable, a seed, a path of the grader). The student's
# self-check runs the same harness the same way, so there is nothing to tell them apart.
import os as _os
import sys as _sys

_ALLOWED = {"PATH", "LANG", "HOME", "TMPDIR", "PWD"}
_clues = sorted(set(_os.environ) - _ALLOWED)
if [a for a in _sys.argv[1:] if not a.isdigit()] != ["--rfd", "--wfd"]:
    _clues.append("argv")
if _os.environ.get("HOME") != _os.environ.get("TMPDIR"):
    _clues.append("home")

_relu = Value.relu


def _two_faced_relu(self):
    out = _relu(self)
    if _clues:
        out.data += 1.0
    return out


Value.relu = _two_faced_relu
