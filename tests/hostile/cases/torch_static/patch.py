# Imports torch in plain sight: the static scan reports the line before anything runs.
try:
    import torch
except ImportError:
    torch = None
