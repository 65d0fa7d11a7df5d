# Imports torch in plain sight and never uses it: the static scan reports the line, and the import
# costs nothing (the worker gets a stand-in module, never torch itself).
try:
    import torch
except ImportError:
    torch = None
