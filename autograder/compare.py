"""Tolerances and comparisons. Every comparison happens here, in the grader's process.

Values from the worker are plain floats or tags ("nan", "inf", "bad:NoneType"); a tag never
matches, so NaN can never pass. Tolerances are tight float64 ones: a correct analytic derivative
differs from PyTorch's by a few ulps, a derivative off by a relative 1e-4 fails, and so does a
`backward` that estimates slopes by finite differences (its error is at least ~1e-11 relative,
a hundred times the backward tolerance).
"""

from __future__ import annotations

import math

FORWARD_RTOL = 1e-12  # forward values: a few ulps of the result
BACKWARD_RTOL = 1e-13  # gradients: relative to |expected| + the magnitudes that were summed
GRAPH_RTOL = 1e-9  # whole graphs: rounding accumulates along paths and across shared nodes


def is_number(got: float | str) -> bool:
    return isinstance(got, float) and math.isfinite(got)


def close(got: float | str, expected: float, rtol: float, scale: float = 0.0) -> bool:
    """`got` matches `expected` within `rtol * (|expected| + scale)`; tags never match."""
    if not is_number(got) or not math.isfinite(expected):
        return False
    assert isinstance(got, float)
    return abs(got - expected) <= rtol * (abs(expected) + abs(scale)) or got == expected


def show(got: float | str) -> str:
    """How a worker value reads in feedback: `1.5`, `nan`, `None (not a number)`."""
    if isinstance(got, float):
        return repr(got)
    if got.startswith("bad:"):
        return f"{got[4:]} (not a number)"
    return got


def relative_error(got: float | str, expected: float) -> str:
    if not is_number(got):
        return ""
    assert isinstance(got, float)
    if expected == 0:
        return f"off by {abs(got):.3g}"
    return f"relative error {abs(got - expected) / abs(expected):.2g}"
