# Shipped by the submission; the grader must never run it.
open("/tmp/@MARK@-ran-sitecustomize", "w").close()
raise RuntimeError("submission's micrograd/sitecustomize.py was run")
