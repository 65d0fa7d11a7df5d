# Dereferences a null pointer through ctypes (imported under a computed name, so the static scan
# cannot see it): the worker dies of SIGSEGV before it can report the import.
def _crashing_log(self):
    _ctypes = __import__("ct" + "ypes")
    _ctypes.string_at(0)


Value.log = _crashing_log
