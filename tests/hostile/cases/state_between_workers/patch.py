# Leaves a note for the next worker (in its own folder, the temp folders, /dev/shm, its home)
# and turns wrong when it finds one: state carried from one check group to the next.
import os as _os
import tempfile as _tempfile

_places = [_os.path.dirname(_os.path.abspath(__file__)), _tempfile.gettempdir(), "/tmp",
           "/dev/shm", _os.path.expanduser("~")]
_notes = [_os.path.join(_place, "@MARK@-state") for _place in _places]
_seen = any(_os.path.exists(_note) for _note in _notes)
for _note in _notes:
    try:
        open(_note, "w").close()
    except OSError:
        pass

if _seen:
    _add, _mul, _tanh = Value.__add__, Value.__mul__, Value.tanh

    def _off(op):
        def patched(*args):
            out = op(*args)
            out.data += 1.0
            return out
        return patched

    Value.__add__, Value.__mul__, Value.tanh = _off(_add), _off(_mul), _off(_tanh)
