# Shipped by the submission; the grader must never run it.
open("/tmp/@MARK@-ran-usercustomize", "w").close()
raise RuntimeError("submission's usercustomize.py was run")
