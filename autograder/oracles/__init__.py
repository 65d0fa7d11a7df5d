"""Oracles: the numbers the student's engine is compared with.

`Oracle` (in `autograder.oracles.base`) is what checks rely on. Two implementations follow it:
`TorchOracle` (official grades; the only code that imports torch) and `PythonOracle` (pure
Python, so students self-check without installing torch). Both evaluate programs with the shared
`autograder.oracles.evaluator.Evaluator`, and both take their ops from the op table.
"""

from __future__ import annotations

from autograder.oracles.base import Layers, NetworkRun, Oracle, OracleUnavailable, network_size
from autograder.oracles.python_oracle import PythonOracle
from autograder.oracles.torch_oracle import TorchOracle, torch_version

__all__ = ["Layers", "NetworkRun", "Oracle", "OracleUnavailable", "PythonOracle", "TorchOracle",
           "load_oracle", "network_size", "torch_version"]


def load_oracle(kind: str = "auto") -> Oracle:
    """The oracle to grade with: `torch` (official), `python` (self-check), or `auto`.

    `auto` uses torch when it is installed and the pure-Python oracle otherwise, so a student's
    light install can self-check; every report names the oracle it used.
    """
    if kind in ("torch", "auto"):
        try:
            return TorchOracle()
        except OracleUnavailable:
            if kind == "torch":
                raise
    if kind in ("python", "auto"):
        return PythonOracle()
    raise ValueError(f"unknown oracle {kind!r}: use torch, python or auto")
