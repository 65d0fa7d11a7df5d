"""micrograd: a scalar autodiff engine."""

from .engine import Value

__all__ = ["Value"]
