# Shipped by the submission; the grader must never run it.
open("/tmp/@MARK@-ran-conftest", "w").close()
raise RuntimeError("submission's conftest.py was run")
