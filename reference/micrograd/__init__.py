"""The reference micrograd: a scalar autodiff engine (`engine`), a small neural-network library
(`nn`) and a graph drawer (`viz`).

Only `Value` is exported here; `viz` needs the optional graphviz package and is imported on demand,
so `import micrograd` works without it.
"""

from .engine import Value

__all__ = ["Value"]
