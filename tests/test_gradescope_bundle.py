"""`mgrade gradescope`: the bundle's contents, and the runner against a fake /autograder root
($MGRADE_GRADESCOPE_ROOT): it writes results.json on success, for a broken submission, without a
seed, when grading dies or runs out of time, and over a results.json forged beforehand."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from batch_support import REPO, small_manifests

from autograder.gradescope import ROOT_ENV, SEED_NAME, SETTINGS_NAME
from autograder.gradescope.bundle import (
    BundleError,
    build_bundle,
    missing_from_wheel,
    render_run,
    render_setup,
)
from autograder.pins import CPU_INDEX, pinned_torch


def fake_wheel(target: Path, with_data: bool = True) -> Path:
    wheel = target / "mgrade-0.1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("autograder/__init__.py", "")
        if with_data:
            for assignment in ("ops", "backprop"):
                archive.writestr(f"autograder/assignments/{assignment}/assignment.toml", "")
            archive.writestr("autograder/data/moons.csv", "x,y,label\n")
    return wheel


def test_bundle_holds_scripts_wheel_settings_and_a_root_only_seed(tmp_path: Path) -> None:
    (tmp_path / "seed").write_text("987654321\n")
    out = tmp_path / "autograder.zip"
    names = build_bundle(out, ["ops", "backprop"], seed_file=tmp_path / "seed",
                         wheel=fake_wheel(tmp_path))
    assert sorted(names) == sorted(["setup.sh", "run_autograder", SETTINGS_NAME, SEED_NAME,
                                    "mgrade-0.1.0-py3-none-any.whl"])
    with zipfile.ZipFile(out) as archive:
        modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in archive.infolist()}
        setup = archive.read("setup.sh").decode()
        settings = json.loads(archive.read(SETTINGS_NAME))
        assert archive.read(SEED_NAME).decode().strip() == "987654321"
    assert modes["setup.sh"] == modes["run_autograder"] == 0o755
    assert modes[SEED_NAME] == 0o600
    assert f"--index-url {CPU_INDEX} torch=={pinned_torch()}" in setup
    assert "pip install --quiet ./mgrade-0.1.0-py3-none-any.whl" in setup
    assert f"chmod 600 {SEED_NAME}" in setup and f"chown root:root {SEED_NAME}" in setup
    assert settings["assignments"] == ["ops", "backprop"] and settings["oracle"] == "torch"


def test_bundle_refuses_a_wheel_without_manifests_or_data(tmp_path: Path) -> None:
    wheel = fake_wheel(tmp_path, with_data=False)
    assert missing_from_wheel(wheel, ["ops"]) == ["ops/assignment.toml", "moons.csv"]
    assert missing_from_wheel(wheel, ["ops"], moons=False) == ["ops/assignment.toml"]
    with pytest.raises(BundleError, match="lacks ops/assignment.toml:"):
        build_bundle(tmp_path / "a.zip", ["ops"], seed_file=None, wheel=wheel)
    with pytest.raises(BundleError, match="lacks mlp/assignment.toml, moons.csv"):
        build_bundle(tmp_path / "a.zip", ["mlp"], seed_file=None, wheel=wheel)  # trains on it
    assert not (tmp_path / "a.zip").exists()


def test_bundle_from_the_checkout_carries_the_full_manifests(tmp_path: Path) -> None:
    (tmp_path / "seed").write_text("5\n")
    build_bundle(tmp_path / "autograder.zip", ["ops", "backprop"], seed_file=tmp_path / "seed")
    with zipfile.ZipFile(tmp_path / "autograder.zip") as bundle:
        (wheel_name,) = [n for n in bundle.namelist() if n.endswith(".whl")]
        (tmp_path / wheel_name).write_bytes(bundle.read(wheel_name))
    with zipfile.ZipFile(tmp_path / wheel_name) as wheel:
        shipped = wheel.read("autograder/assignments/backprop/assignment.toml").decode()
    # The instructor's manifest, withheld checks included (a kit's would leave them out).
    assert shipped == (REPO / "assignments" / "backprop" / "assignment.toml").read_text()
    assert 'visibility = "after_due_date"' in shipped


def test_scripts_are_valid_bash() -> None:
    for script in (render_setup("mgrade-0.1.0-py3-none-any.whl", "2.13.0"), render_run()):
        assert subprocess.run(["bash", "-n"], input=script, text=True).returncode == 0


def test_run_autograder_writes_results_when_python_cannot_start(tmp_path: Path) -> None:
    script = tmp_path / "run_autograder"
    # The grader's interpreter is missing (setup.sh failed): the script still writes results.
    script.write_text(render_run().replace("/opt/mgrade/bin/python", str(tmp_path / "nope")))
    done = subprocess.run(["bash", str(script)], env={**os.environ, ROOT_ENV: str(tmp_path)},
                          capture_output=True, text=True)
    data = json.loads((tmp_path / "results" / "results.json").read_text())
    assert data["score"] == 0 and data["tests"] == [], done.stderr
    assert "could not start" in data["output"]


# ---- the runner ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def manifests(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return small_manifests(tmp_path_factory.mktemp("assignments"))


def make_root(tmp_path: Path, submission: Path | None, *, seed: str | None = "4242",
              **settings: object) -> Path:
    root = tmp_path / "autograder"
    (root / "source").mkdir(parents=True)
    (root / "results").mkdir()
    settings = {"assignments": ["ops"], "oracle": "python", "timeout_s": 300, **settings}
    (root / "source" / SETTINGS_NAME).write_text(json.dumps(settings))
    if seed is not None:
        (root / "source" / SEED_NAME).write_text(seed)
    if submission is not None:
        shutil.copytree(submission, root / "submission")
    else:
        (root / "submission").mkdir()
    # A results.json forged before grading (e.g. by an earlier process): always replaced.
    (root / "results" / "results.json").write_text('{"score": 1000, "tests": []}')
    return root


def run_autograder(root: Path, manifests: Path) -> dict:
    env = {**os.environ, ROOT_ENV: str(root), "MGRADE_ASSIGNMENTS": str(manifests)}
    done = subprocess.run([sys.executable, "-m", "autograder.gradescope.runner"], env=env,
                          capture_output=True, text=True, timeout=300, cwd=root)
    assert done.returncode == 0, done.stderr
    return json.loads((root / "results" / "results.json").read_text())


@pytest.fixture(scope="module")
def reference_submission(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("reference")
    shutil.copytree(REPO / "reference" / "micrograd", folder / "micrograd",
                    ignore=shutil.ignore_patterns("__pycache__"))
    return folder


def test_runner_grades_with_the_secret_seed_and_keeps_it_out(tmp_path: Path, manifests: Path,
                                                             reference_submission: Path) -> None:
    data = run_autograder(make_root(tmp_path, reference_submission), manifests)
    assert data["score"] == 38 and len(data["tests"]) == 30
    assert all(t["status"] == "passed" for t in data["tests"])
    assert "4242" not in json.dumps(data)
    assert {t["visibility"] for t in data["tests"]} <= {"visible", "hidden", "after_due_date",
                                                         "after_published"}


def test_runner_reports_a_broken_submission(tmp_path: Path, manifests: Path) -> None:
    data = run_autograder(make_root(tmp_path, None), manifests)
    assert data["score"] == 0 and len(data["tests"]) == 30
    assert {t["extra_data"]["outcome"] for t in data["tests"]} == {"load_error"}


def test_runner_without_a_seed_says_so_instead_of_grading(tmp_path: Path, manifests: Path,
                                                          reference_submission: Path) -> None:
    data = run_autograder(make_root(tmp_path, reference_submission, seed=None), manifests)
    assert data["tests"] == [] and data["score"] == 0
    output = " ".join(data["output"].split())
    assert "no seed file" in output and "mgrade gradescope --seed-file" in output
    data = run_autograder(make_root(tmp_path / "b", reference_submission, seed="x"), manifests)
    assert "does not hold an integer" in " ".join(data["output"].split())


def test_runner_reports_grading_that_dies_or_overruns(tmp_path: Path, manifests: Path,
                                                      reference_submission: Path) -> None:
    # Correct but slow to import: its grade takes longer than the deadline by construction,
    # however fast the checks themselves run.
    slow = tmp_path / "slow"
    shutil.copytree(reference_submission, slow)
    engine = slow / "micrograd" / "engine.py"
    engine.write_text(engine.read_text() + "\nimport time\ntime.sleep(2)\n")
    late = run_autograder(make_root(tmp_path, slow, timeout_s=0.5), manifests)
    output = " ".join(late["output"].split())
    assert late["tests"] == [] and "longer than 0.5 s" in output
    assert "not a problem with your code" in output
    bad = run_autograder(make_root(tmp_path / "b", reference_submission, assignments=["nope"]),
                         manifests)
    assert bad["tests"] == [] and "nope" in bad["output"]
