# Leaves a tree 1,500 folders deep (deeper than shutil.rmtree can recurse) with a mode-000
# folder in it, in its private tmp and, where it can, in its own staged folder. The grader must
# still remove both and finish the grade.
import os as _os
import tempfile as _tempfile

_relu = Value.relu
_planted = []


def _plant(top):
    try:
        start = _os.open(".", _os.O_RDONLY)
        _os.chdir(top)
        for level in range(1500):
            _os.mkdir("d")
            if level % 100 == 0:
                open("f", "w").close()
            _os.chdir("d")
        _os.mkdir("locked")
        _os.chmod("locked", 0)
        _os.fchdir(start)
        _os.close(start)
    except OSError:
        pass


def _planting_relu(self):
    if not _planted:
        _planted.append(True)
        _plant(_tempfile.gettempdir())
        _plant(_os.path.dirname(_os.path.abspath(__file__)))
    return _relu(self)


Value.relu = _planting_relu
