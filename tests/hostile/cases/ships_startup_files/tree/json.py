# Shipped by the submission; the grader must never run it.
open("/tmp/@MARK@-ran-json", "w").close()
raise RuntimeError("submission's json.py was run")
