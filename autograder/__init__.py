"""mgrade: grade micrograd-style autodiff engines with isolated workers and a PyTorch oracle."""

__version__ = "0.1.0"

__all__ = ["__version__", "selfcheck"]


def __getattr__(name: str):
    # `from autograder import selfcheck` in a notebook: the module `autograder.selfcheck`, which is
    # callable (see its end). Loaded on first use so that importing the package stays cheap.
    if name == "selfcheck":
        import importlib

        return importlib.import_module("autograder.selfcheck")
    raise AttributeError(f"module 'autograder' has no attribute {name!r}")
