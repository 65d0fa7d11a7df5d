"""Regenerate `autograder/data/moons.csv`, the two-moons data the grader and the demo share.

The CSV is generated once and committed so that running the demo, and its tests, never needs
scikit-learn or numpy: only this script does. Values are written with `repr`, which round-trips
a float exactly, so every checkout trains on bit-identical inputs.

    pip install scikit-learn      # only needed to regenerate
    python examples/moons/make_data.py [--out PATH]
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

DEFAULT_OUT = Path(__file__).resolve().parents[2] / "autograder" / "data" / "moons.csv"

# The exact call from micrograd's demo notebook; changing any of these changes the shipped data.
N_SAMPLES = 100
NOISE = 0.1
RANDOM_STATE = 1


def make_rows() -> list[tuple[float, float, int]]:
    """Sample the moons and map labels {0, 1} to {-1, +1}, as the max-margin loss expects."""
    from sklearn.datasets import make_moons  # deferred: only regeneration needs scikit-learn

    X, y = make_moons(n_samples=N_SAMPLES, noise=NOISE, random_state=RANDOM_STATE)
    labels = y * 2 - 1
    return [(float(a), float(b), int(label)) for (a, b), label in zip(X, labels, strict=True)]


def write_csv(rows: list[tuple[float, float, int]], path: Path) -> None:
    """Write `x1,x2,y` with `repr` floats so reading them back gives the very same doubles."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["x1", "x2", "y"])
        for x1, x2, label in rows:
            writer.writerow([repr(x1), repr(x2), str(label)])


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="CSV file to write")
    args = parser.parse_args(argv)
    write_csv(make_rows(), args.out)
    print(f"wrote {N_SAMPLES} samples to {args.out}")
    return args.out


if __name__ == "__main__":
    main()
