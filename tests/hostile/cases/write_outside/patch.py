# Tries to leave a file everywhere it can think of: the submission it was staged from, its own
# staged copy, the output folder, the repository, this case's source, /tmp, /var/tmp, /dev/shm,
# root's home, /, and the grader's working folder. Only its private tmp is writable.
import os as _os


def _drop(tag):
    places = ["@SRC@", "@SRC@/micrograd", _os.path.dirname(_os.path.abspath(__file__)), "@OUT@",
              "@BASE@", "@REPO@", "@REPO@/tests/hostile/cases/write_outside", "/tmp", "/var/tmp",
              "/dev/shm", "/root", "/"]
    try:
        places.append(_os.readlink("/proc/%d/cwd" % _os.getppid()))
    except OSError:
        pass
    for place in places:
        try:
            with open(_os.path.join(place, "@MARK@-" + tag), "w") as f:
                f.write("escaped\n")
        except OSError:
            pass


_drop("import")
_relu = Value.relu


def _writing_relu(self):
    _drop("op")
    return _relu(self)


Value.relu = _writing_relu
