"""What the network checks draw: numbers on a grid, so sums and products are exact in float64.

A ReLU then never sits on a rounding error, and a mismatch with the oracle is a real bug.
"""

from __future__ import annotations

from hypothesis import strategies as st


def grid(limit: float = 2.0, denominator: int = 8) -> st.SearchStrategy[float]:
    """Multiples of 1/denominator in [-limit, limit]: exact in float64 sums and products."""
    top = int(limit * denominator)
    return st.integers(-top, top).map(lambda k: k / denominator)

def positive_grid() -> st.SearchStrategy[float]:
    """1/32 ... 2 in steps of 1/32: with positive inputs every ReLU passes its input through."""
    return st.integers(1, 64).map(lambda k: k / 32)

def rows(nin: int, size: tuple[int, int]) -> st.SearchStrategy[list[list[float]]]:
    return st.lists(st.lists(grid(), min_size=nin, max_size=nin), min_size=size[0],
                    max_size=size[1])

