# Tries to raise its hard limits and checks that every soft limit equals its hard one. If it
# could escape a limit, mul turns wrong, so an escaped limit shows up as a failed check.
import resource as _resource

_escaped = []
for _name in ("RLIMIT_CPU", "RLIMIT_AS", "RLIMIT_FSIZE", "RLIMIT_NPROC", "RLIMIT_NOFILE"):
    _which = getattr(_resource, _name)
    _soft, _hard = _resource.getrlimit(_which)
    if _soft != _hard:
        _escaped.append(_name + " soft < hard")
    if _hard != _resource.RLIM_INFINITY:
        try:
            _resource.setrlimit(_which, (_hard + 1, _hard + 1))
            _escaped.append(_name + " raised")
        except (ValueError, OSError):
            pass

_mul = Value.__mul__


def _mul_unless_escaped(self, other):
    out = _mul(self, other)
    if _escaped:
        out.data += 1.0
    return out


Value.__mul__ = _mul_unless_escaped
