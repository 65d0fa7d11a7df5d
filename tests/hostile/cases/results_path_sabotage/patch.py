# Prepares the output folder so that the grader cannot write its results: results.json becomes
# a folder, and a file of its own sits beside it.
import os as _os

for _path in ("@OUT@/results.json/@MARK@",):
    try:
        _os.makedirs(_path)
    except OSError:
        pass
try:
    with open("@OUT@/@MARK@-note", "w") as _f:
        _f.write("the results are mine\n")
except OSError:
    pass
