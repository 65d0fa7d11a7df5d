"""mgrade: grade micrograd-style autodiff engines with isolated workers and a PyTorch oracle."""

from autograder.version import __version__

__all__ = ["__version__", "selfcheck"]


def selfcheck(only: str | None = None, **kwargs):
    """In a notebook: `from autograder import selfcheck; selfcheck("engine.tanh")` checks the
    notebook's own code with the public checks (see autograder/notebooks/selfcheck.py). Imported
    on first use, so that importing the package stays cheap."""
    from autograder.notebooks.selfcheck import selfcheck as run

    return run(only, **kwargs)
