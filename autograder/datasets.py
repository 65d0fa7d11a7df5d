"""Data sets that ship with mgrade, read with the standard library only.

`load_moons()` returns the 100 two-moons points that `nn.train.moons` trains on and the moons demo
uses; the CSV is package data, so a student who has only the installed package can run the
check's "Reproduce with:" snippet. Reading needs neither numpy nor scikit-learn. A damaged file
fails loudly, naming the file, the line and the cell, rather than training on half a data set.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import TextIO

MOONS_CSV = Path(__file__).resolve().parent / "data" / "moons.csv"
COLUMNS = ["x1", "x2", "y"]
LABELS = (-1.0, 1.0)


class MoonsDataError(ValueError):
    """The moons CSV is missing or malformed; the message names the file and the offending line."""


def load_moons(path: str | Path | None = None) -> tuple[list[list[float]], list[float]]:
    """Return `(X, y)`: one `[x1, x2]` pair per sample and its label, -1.0 or +1.0.

    `path` defaults to the `moons.csv` that ships with this package (`autograder/data/`).
    """
    path = Path(path) if path is not None else MOONS_CSV
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            return _parse(fh, path)
    except FileNotFoundError:
        raise MoonsDataError(
            f"{path}: data file not found (regenerate it with `python examples/moons/make_data.py`)"
        ) from None
    except UnicodeDecodeError as exc:
        raise MoonsDataError(f"{path}: not a UTF-8 text file ({exc.reason})") from None
    except OSError as exc:
        raise MoonsDataError(f"{path}: cannot read data file ({exc.strerror})") from None


def _parse(fh: TextIO, path: Path) -> tuple[list[list[float]], list[float]]:
    reader = csv.reader(fh)
    header = next(reader, None)
    if header is None:
        raise MoonsDataError(f"{path}: file is empty; expected a header line {','.join(COLUMNS)}")
    if [cell.strip() for cell in header] != COLUMNS:
        raise MoonsDataError(
            f"{path}, line 1: expected columns {','.join(COLUMNS)}, got {','.join(header)}"
        )
    X: list[list[float]] = []
    y: list[float] = []
    for row in reader:
        line = reader.line_num
        if not row:  # a blank line, e.g. a trailing newline added by an editor
            continue
        if len(row) != len(COLUMNS):
            raise MoonsDataError(
                f"{path}, line {line}: expected {len(COLUMNS)} cells ({','.join(COLUMNS)}), "
                f"got {len(row)}: {','.join(row)}"
            )
        x1, x2, label = (
            _number(cell, name, path, line) for cell, name in zip(row, COLUMNS, strict=True)
        )
        if label not in LABELS:
            raise MoonsDataError(
                f"{path}, line {line}: label y must be -1 or 1, got {row[2].strip()}"
            )
        X.append([x1, x2])
        y.append(label)
    if not X:
        raise MoonsDataError(f"{path}: header found but no data rows")
    return X, y


def _number(cell: str, column: str, path: Path, line: int) -> float:
    try:
        value = float(cell)
    except ValueError:
        raise MoonsDataError(
            f"{path}, line {line}, column {column}: expected a number, got {cell!r}"
        ) from None
    if not math.isfinite(value):
        raise MoonsDataError(
            f"{path}, line {line}, column {column}: expected a finite number, got {cell!r}"
        )
    return value
