# Imports socket under a computed name while the module loads. An import fires its audit event
# only once, at load, so the grader must charge it to every check the worker runs.
_socket = __import__("soc" + "ket")
