"""Charts for the HTML pages, drawn with matplotlib and returned as inline `<svg>` elements.

No pyplot and no global state: each chart is its own `Figure`, saved to SVG with text kept as
text (searchable, small) and a fixed hash salt, so the same data gives the same bytes.
matplotlib is imported only when drawing; `ChartsUnavailable` says how to get it.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from autograder.viz import inline_svg

PASS, FAIL, INK = "#1a7f37", "#cf222e", "#57606a"


class ChartsUnavailable(RuntimeError):
    """matplotlib is not installed."""


def _figure(width: float, height: float) -> Any:
    try:
        import matplotlib
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise ChartsUnavailable("charts need matplotlib: pip install 'mgrade[viz]'") from exc
    return matplotlib, Figure(figsize=(width, height), layout="constrained")


def _svg(matplotlib: Any, figure: Any, prefix: str) -> str:
    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "mgrade"}):
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    return inline_svg(buffer.getvalue(), prefix)


def _style(ax: Any) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(colors=INK)


def loss_curve_svg(losses: Sequence[float | None], prefix: str = "loss") -> str:
    """Loss by training step; steps whose loss was not finite are gaps, marked on the x axis."""
    matplotlib, figure = _figure(6.0, 2.6)
    ax = figure.subplots()
    steps = list(range(len(losses)))
    ax.plot(steps, [float("nan") if v is None else v for v in losses], color="#0969da")
    bad = [k for k, v in enumerate(losses) if v is None]
    if bad:
        ax.plot(bad, [0.0] * len(bad), "x", color=FAIL, label="loss not finite")
        ax.legend(frameon=False)
    ax.set_xlabel("training step")
    ax.set_ylabel("loss")
    _style(ax)
    return _svg(matplotlib, figure, prefix)


def histogram_svg(percents: Sequence[float], prefix: str = "hist") -> str:
    """How many submissions scored in each 10% band (the last band includes 100%)."""
    matplotlib, figure = _figure(6.0, 2.8)
    ax = figure.subplots()
    ax.hist(list(percents), bins=[float(b) for b in range(0, 101, 10)], color="#0969da",
            edgecolor="white")
    ax.set_xlabel("score (%)")
    ax.set_ylabel("submissions")
    ax.set_xlim(0, 100)
    ax.yaxis.get_major_locator().set_params(integer=True)
    _style(ax)
    return _svg(matplotlib, figure, prefix)


def pass_rate_svg(labels: Sequence[str], rates: Sequence[float], prefix: str = "rates") -> str:
    """One horizontal bar per check: the share of submissions that passed it, worst first."""
    matplotlib, figure = _figure(7.5, 0.6 + 0.28 * max(len(labels), 1))
    ax = figure.subplots()
    positions = list(range(len(labels)))
    percents = [100.0 * r for r in rates]
    ax.barh(positions, [100.0] * len(labels), color="#ffebe9")
    ax.barh(positions, percents, color=[PASS if p >= 50 else FAIL for p in percents])
    ax.set_yticks(positions, labels=list(labels), fontfamily="monospace", fontsize=8)
    ax.invert_yaxis()
    ax.set_ylim(len(labels) - 0.5, -0.5)
    ax.set_xlim(0, 112)
    ax.set_xticks(range(0, 101, 20))
    ax.set_xlabel("passed (% of the submissions graded on the check)")
    for y, p in zip(positions, percents, strict=True):
        ax.text(101.5, y, f"{p:.0f}%", va="center", fontsize=8, color=INK)
    _style(ax)
    return _svg(matplotlib, figure, prefix)
