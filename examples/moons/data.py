"""The two-moons data: the same loader and file the grader's `nn.train.moons` uses."""

from autograder.datasets import MOONS_CSV, MoonsDataError, load_moons

DEFAULT_PATH = MOONS_CSV

__all__ = ["DEFAULT_PATH", "MoonsDataError", "load_moons"]
