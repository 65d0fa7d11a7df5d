"""Draw what the trained network learned: its decision regions over the plane, plus the data.

Rendering goes through matplotlib's Agg canvas directly (no pyplot), so it works headless and
never switches the backend of a process that imports it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

PLOT_NAME = "moons_decision_boundary.png"


def plot_decision_boundary(
    model: Any,
    X: Sequence[Sequence[float]],
    y: Sequence[float],
    path: str | Path,
    step: float = 0.25,
) -> Path:
    """Evaluate `model` on a grid with spacing `step`, shade where its score is > 0, save a PNG.

    The coarse default grid (22x16 points for the shipped data) keeps this to a few hundred
    forward passes of a scalar engine: about a second, most of it importing matplotlib.
    """
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    points = np.asarray(X, dtype=float)
    x_min, x_max = points[:, 0].min() - 1, points[:, 0].max() + 1
    y_min, y_max = points[:, 1].min() - 1, points[:, 1].max() + 1
    xx, yy = np.meshgrid(np.arange(x_min, x_max, step), np.arange(y_min, y_max, step))
    value = type(model.parameters()[0])
    # Keep only the sign of each score: holding every score would keep every point's graph alive
    # and make each garbage-collection pass re-walk all of them.
    positive = [
        model([value(float(a)), value(float(b))]).data > 0
        for a, b in zip(xx.ravel(), yy.ravel(), strict=True)
    ]
    zz = np.array(positive, dtype=float).reshape(xx.shape)

    fig = Figure(figsize=(6, 4.5))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    # Two filled bands (score <= 0, score > 0) rather than a smeared ramp across the boundary.
    ax.contourf(xx, yy, zz, levels=[-0.5, 0.5, 1.5], cmap="Spectral", alpha=0.8)
    ax.scatter(points[:, 0], points[:, 1], c=list(y), s=40, cmap="Spectral", edgecolors="k")
    ax.set_xlim(xx.min(), xx.max())
    ax.set_ylim(yy.min(), yy.max())
    ax.set_title("MLP(2, [16, 16, 1]) decision boundary on the two moons")
    path = Path(path)
    fig.savefig(path, dpi=100)
    return path
