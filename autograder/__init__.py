"""mgrade: grade micrograd-style autodiff engines with isolated workers and a PyTorch oracle."""

__version__ = "0.1.0"
