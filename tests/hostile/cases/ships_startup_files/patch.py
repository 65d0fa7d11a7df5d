# The engine itself is the reference; the attack is in the files shipped beside it (tree/):
# json.py, math.py, sitecustomize.py, usercustomize.py, conftest.py and a .pth file, each of
# which leaves a file in /tmp and breaks things if it ever runs.
import json  # the standard library's, not the submission's
