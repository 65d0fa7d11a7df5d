"""hypothesis strategies for op inputs: small pieces, composed per op in `autograder.ops`.

Every domain stays in a well-conditioned float64 range: magnitudes from tiny to large, but no
overflow, no near-zero divisors, no log of non-positives. Shrinking moves toward simple values
(0, 1, small integers), so counterexamples in feedback are easy to read.
"""

from __future__ import annotations

from hypothesis import strategies as st

SearchStrategy = st.SearchStrategy


def reals(limit: float = 1e3) -> SearchStrategy[float]:
    """Any float in [-limit, limit], tiny magnitudes included."""
    tiny = st.floats(min_value=-1e-3, max_value=1e-3, allow_nan=False, allow_subnormal=False)
    wide = st.floats(min_value=-limit, max_value=limit, allow_nan=False, allow_subnormal=False)
    return st.one_of(wide, tiny)


def positives(low: float = 1e-3, high: float = 1e3) -> SearchStrategy[float]:
    return st.floats(min_value=low, max_value=high, allow_nan=False, allow_subnormal=False)


def away_from_zero(low: float = 0.1, high: float = 1e3) -> SearchStrategy[float]:
    """Divisors and bases of negative powers: |x| in [low, high]."""
    magnitude = positives(low, high)
    return st.tuples(st.booleans(), magnitude).map(lambda t: -t[1] if t[0] else t[1])


def integer_exponents() -> SearchStrategy[int]:
    return st.integers(min_value=-3, max_value=4)


def float_exponents() -> SearchStrategy[float]:
    return st.floats(min_value=-3.0, max_value=3.0, allow_nan=False, allow_subnormal=False)


def plain_numbers() -> SearchStrategy[float | int]:
    """The Python number of a reflected op (`k - a`): mostly floats, sometimes an int like `2`."""
    return st.one_of(st.floats(min_value=-100, max_value=100, allow_nan=False,
                               allow_subnormal=False), st.integers(-5, 5))


def upstream_grads() -> SearchStrategy[float]:
    """The gradient flowing into an op's output: 1.0 first (what backward() seeds), then others."""
    return st.one_of(st.just(1.0), st.floats(min_value=-10, max_value=10, allow_nan=False,
                                             allow_subnormal=False).filter(lambda g: g != 0))


def preset_grads() -> SearchStrategy[float]:
    """Gradient a leaf already holds, so `=` written for `+=` is caught."""
    return st.one_of(st.just(0.0), st.floats(min_value=-10, max_value=10, allow_nan=False,
                                             allow_subnormal=False))
