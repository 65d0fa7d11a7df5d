# Raises while the module is imported: every check fails with the error and its line.
raise RuntimeError("this engine refuses to load")
