"""The two-moons example: its shipped data, its loader's errors, and training the reference on it.

The example is a plain folder, not an installed package, so it is imported under a private alias
(the same way the micrograd packages are) instead of putting its folder on sys.path.
"""

from __future__ import annotations

import csv
import importlib
import importlib.util
import math
import struct
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from util import REPO, load_micrograd, reference

MOONS_DIR = REPO / "examples" / "moons"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _example(module: str) -> ModuleType:
    load_micrograd(MOONS_DIR, "moons_example")
    return importlib.import_module(f"moons_example.{module}")


def _reference_nn() -> ModuleType:
    return reference().nn


def _png_size(path: Path) -> tuple[int, int]:
    """Width and height from the IHDR chunk, which must directly follow the signature."""
    head = path.read_bytes()[:24]
    assert head[:8] == PNG_SIGNATURE, f"{path} does not start with the PNG signature: {head[:8]!r}"
    assert head[12:16] == b"IHDR", f"{path}: first chunk is {head[12:16]!r}, expected IHDR"
    return struct.unpack(">II", head[16:24])


# ------------------------------------------------------------------------------- shipped data


def test_shipped_csv_has_100_balanced_two_feature_samples() -> None:
    X, y = _example("data").load_moons()
    assert len(X) == len(y) == 100
    assert all(len(row) == 2 and all(math.isfinite(v) for v in row) for row in X)
    assert set(y) == {-1.0, 1.0}
    assert y.count(1.0) == y.count(-1.0) == 50


def test_shipped_csv_floats_are_written_with_repr_so_they_round_trip() -> None:
    with (REPO / "autograder" / "data" / "moons.csv").open(newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["x1", "x2", "y"]
    not_repr = [
        (line, cell)
        for line, row in enumerate(rows[1:], start=2)
        for cell in row[:2]
        if repr(float(cell)) != cell
    ]
    assert not_repr == [], f"cells that are not repr() of their float: {not_repr[:5]}"


def test_loader_reads_an_explicit_path_and_skips_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "tiny.csv"
    path.write_text("x1,x2,y\n0.5,-1.25,1\n\n2e-3,3,-1.0\n\n")
    assert _example("data").load_moons(path) == ([[0.5, -1.25], [0.002, 3.0]], [1.0, -1.0])


# ------------------------------------------------------------------------ malformed data files

MALFORMED = {
    "empty": ("", ["is empty", "x1,x2,y"]),
    "wrong header": ("a,b,label\n1,2,1\n", ["line 1", "expected columns x1,x2,y", "a,b,label"]),
    "header only": ("x1,x2,y\n", ["no data rows"]),
    "too few cells": ("x1,x2,y\n1.0,2.0,1\n3.0,-1\n", ["line 3", "expected 3 cells", "got 2"]),
    "non-numeric": ("x1,x2,y\n1.0,2.0,1\n0.5,abc,-1\n", ["line 3", "column x2", "'abc'"]),
    "not finite": ("x1,x2,y\nnan,2.0,1\n", ["line 2", "column x1", "finite", "'nan'"]),
    "bad label": ("x1,x2,y\n1.0,2.0,1\n1.0,2.0,0\n", ["line 3", "-1 or 1", "got 0"]),
}


@pytest.mark.parametrize("content, fragments", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_csv_error_names_file_and_problem(
    tmp_path: Path, content: str, fragments: list[str]
) -> None:
    data = _example("data")
    path = tmp_path / "moons.csv"
    path.write_text(content)
    with pytest.raises(data.MoonsDataError) as info:
        data.load_moons(path)
    message = str(info.value)
    for fragment in [str(path), *fragments]:
        assert fragment in message, f"{fragment!r} missing from error message: {message}"


def test_missing_csv_error_names_file_and_how_to_regenerate(tmp_path: Path) -> None:
    data = _example("data")
    path = tmp_path / "nowhere.csv"
    with pytest.raises(data.MoonsDataError, match="not found") as info:
        data.load_moons(path)
    assert str(path) in str(info.value)
    assert "make_data.py" in str(info.value)


# ---------------------------------------------------------------------------------- training


def test_svm_loss_is_mean_hinge_plus_l2_penalty_and_accuracy_matches_scores() -> None:
    train = _example("train")
    X, y = _example("data").load_moons()
    X, y = X[::10], y[::10]  # 10 samples are enough to check the formula
    model = train.build_model(_reference_nn())
    total, accuracy = train.svm_loss(model, X, y)

    scores = [model(row).data for row in X]
    hinge = sum(max(0.0, 1.0 - yi * si) for yi, si in zip(y, scores, strict=True)) / len(X)
    l2 = 1e-4 * sum(p.data * p.data for p in model.parameters())
    assert total.data == pytest.approx(hinge + l2, rel=1e-12, abs=1e-15)
    hits = sum((yi > 0) == (si > 0) for yi, si in zip(y, scores, strict=True))
    assert accuracy == hits / len(X)


def test_model_init_is_seeded_so_the_first_loss_is_reproducible() -> None:
    train = _example("train")
    X, y = _example("data").load_moons()
    nn = _reference_nn()
    first = train.train(nn, X, y, steps=1, seed=1337).losses[0]
    again = train.train(nn, X, y, steps=1, seed=1337).losses[0]
    other = train.train(nn, X, y, steps=1, seed=7).losses[0]
    assert first == again
    assert other != first


def test_a_few_steps_decrease_the_loss_and_report_every_step() -> None:
    train = _example("train")
    X, y = _example("data").load_moons()
    seen: list[tuple[int, float, float]] = []
    result = train.train(
        _reference_nn(), X, y, steps=5, on_step=lambda k, loss, acc: seen.append((k, loss, acc))
    )
    assert len(result.losses) == len(result.accuracies) == 5
    assert seen == list(zip(range(5), result.losses, result.accuracies, strict=True))
    assert result.losses[-1] < result.losses[0], f"loss did not decrease: {result.losses}"
    assert result.accuracies[-1] > result.accuracies[0], f"accuracies: {result.accuracies}"


def test_same_training_code_drives_pypi_micrograd_to_the_same_losses() -> None:
    """The loop is engine-agnostic, and the reference reproduces upstream micrograd's numbers."""
    train = _example("train")
    X, y = _example("data").load_moons()
    spec = importlib.util.find_spec("micrograd")
    assert spec is not None and spec.origin is not None, "PyPI micrograd==0.1.0 is not installed"
    pypi_nn = load_micrograd(Path(spec.origin).parent, "pypi_micrograd").nn
    ours = train.train(_reference_nn(), X, y, steps=3)
    upstream = train.train(pypi_nn, X, y, steps=3)
    assert ours.losses == pytest.approx(upstream.losses, rel=1e-9)
    assert ours.accuracies == upstream.accuracies


def test_train_rejects_bad_arguments() -> None:
    train = _example("train")
    nn = _reference_nn()
    with pytest.raises(ValueError, match="steps must be at least 1, got 0"):
        train.train(nn, [[0.0, 1.0]], [1.0], steps=0)
    with pytest.raises(ValueError, match="2 vs 1"):
        train.train(nn, [[0.0, 1.0], [1.0, 0.0]], [1.0], steps=1)


@pytest.mark.slow
def test_full_demo_reaches_full_training_accuracy_on_the_reference() -> None:
    train = _example("train")
    X, y = _example("data").load_moons()
    result = train.train(_reference_nn(), X, y)
    assert len(result.losses) == 100
    assert result.accuracies[-1] == 1.0, f"final accuracy {result.accuracies[-1]:.0%}"
    assert result.losses[-1] < 0.05, f"final loss {result.losses[-1]}"
    scores = [result.model(row).data for row in X]
    wrong = [i for i, (yi, s) in enumerate(zip(y, scores, strict=True)) if (yi > 0) != (s > 0)]
    assert wrong == [], f"the trained model misclassifies samples {wrong}"


# ------------------------------------------------------------------------------ plot and CLI


def test_decision_boundary_plot_is_a_png(tmp_path: Path) -> None:
    train = _example("train")
    plot = _example("plot")
    X, y = _example("data").load_moons()
    model = train.train(_reference_nn(), X, y, steps=2).model
    path = plot.plot_decision_boundary(model, X, y, tmp_path / plot.PLOT_NAME)
    assert path == tmp_path / "moons_decision_boundary.png"
    assert _png_size(path) == (600, 450)


@pytest.mark.parametrize(
    "command",
    [["examples/moons/train.py"], ["-m", "examples.moons.train"]],
    ids=["script", "module"],
)
def test_command_line_trains_reference_and_writes_plot(tmp_path: Path, command: list[str]) -> None:
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, *command, "--steps", "2", "--out", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "final loss" in proc.stdout and "accuracy" in proc.stdout, proc.stdout
    plot = out / "moons_decision_boundary.png"
    assert str(plot) in proc.stdout.replace("\n", ""), proc.stdout
    assert _png_size(plot)[0] > 0
