# Shipped by the submission; the grader must never run it.
open("/tmp/@MARK@-ran-math", "w").close()
raise RuntimeError("submission's math.py was run")
