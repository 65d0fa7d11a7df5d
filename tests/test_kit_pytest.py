"""A student's `pytest` in a kit: the checker's wheel in a fresh venv without torch.

The kit and the venv are test_kit_install's (the wheel brings pytest along as a dependency). Each
submission is a copy of the kit whose `micrograd/` is replaced, as a student edits it in place;
`pytest` and `mgrade check --json` run there, from outside the repository, and must agree on every
check. Also: the project's own test collection is the same with and without the plugin.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
import test_kit_install
from test_kit_install import MOONS_SHIP, break_tanh_backward, run
from test_pytest_plugin import junit_statuses
from util import REFERENCE, REPO

pytestmark = pytest.mark.slow
# test_kit_install's fixtures `kit` (the kit, wheel included) and `venv` (its bin/), here too.
kit = test_kit_install.kit
venv = test_kit_install.venv


def student_kits(kit: Path, root: Path) -> dict[str, Path]:
    """Copies of the kit with the reference, the untouched template and a one-bug engine."""
    sources = {"reference": REFERENCE, "template": kit / "micrograd", "one_bug": REFERENCE}
    folders = {}
    for name, source in sources.items():
        folder = root / name
        shutil.copytree(kit, folder, ignore=shutil.ignore_patterns("wheels", "micrograd"))
        shutil.copytree(source, folder / "micrograd", ignore=shutil.ignore_patterns("__pycache__"))
        folders[name] = folder
    break_tanh_backward(folders["one_bug"] / "micrograd" / "engine.py")
    return folders


def run_pytest(bin_dir: Path, folder: Path, *args: str) -> tuple[dict[str, str], str]:
    """`pytest` in `folder`: check id -> "passed", "failed" or "skipped", and the output."""
    xml = folder / "pytest.xml"
    done = run([str(bin_dir / "pytest"), "-p", "no:cacheprovider", f"--junitxml={xml}", *args],
               cwd=folder)
    assert done.returncode in (0, 1), done.stdout[-3000:] + done.stderr[-3000:]
    return junit_statuses(xml), done.stdout


def mgrade_check(bin_dir: Path, folder: Path, out: Path) -> dict[str, str]:
    """What pytest must say of each check, from `mgrade check --json` in `folder`: passed,
    failed, or skipped for a blocked check."""
    done = run([str(bin_dir / "mgrade"), "check", ".", "--json", str(out)], cwd=folder)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    tests = json.loads(out.read_text())["tests"]
    return {t["name"]: "passed" if t["status"] == "passed" else
            "skipped" if t["extra_data"]["outcome"] == "blocked" else "failed" for t in tests}


def test_pytest_in_a_fresh_venv_agrees_with_mgrade_check(kit: Path, venv: Path, tmp_path: Path):
    assert run([str(venv / "python"), "-c", "import torch"], cwd=tmp_path).returncode != 0
    folders = student_kits(kit, tmp_path)
    visible = None
    for name, folder in folders.items():
        mine, output = run_pytest(venv, folder)
        expected = mgrade_check(venv, folder, tmp_path / f"{name}.json")
        assert mine == expected, name  # the same verdict on every visible check
        visible = visible or set(mine)
        assert set(mine) == visible and len(visible) > 30
        failed = {cid for cid, status in mine.items() if status != "passed"}
        if name == "reference":
            # nn.train.moons reads its data from a checkout until the data ships with the package
            assert failed == (set() if MOONS_SHIP else failed & {"nn.train.moons"}), output
        elif name == "template":
            assert failed == visible, output
        else:
            assert failed == {"engine.tanh.backward"} | (
                set() if MOONS_SHIP else failed & {"nn.train.moons"}), output


def test_one_check_by_name_fails_alone_with_the_graders_message(kit: Path, venv: Path,
                                                                tmp_path: Path):
    folder = student_kits(kit, tmp_path)["one_bug"]
    mine, output = run_pytest(venv, folder, "-k", "engine.tanh.backward")
    assert mine == {"engine.tanh.backward": "failed"}
    mgrade_check(venv, folder, tmp_path / "check.json")
    entry = next(t for t in json.loads((tmp_path / "check.json").read_text())["tests"]
                 if t["name"] == "engine.tanh.backward")
    feedback = entry["output"].split("\n\n", 1)[1]  # after the title: summary ... repro
    assert "a.grad is" in feedback and "Reproduce with:" in feedback
    assert feedback in output
    assert "Traceback" not in output and "pytest_plugin" not in output


def test_the_projects_own_collection_is_unchanged_by_the_plugin():
    def collect(*extra: str) -> list[str]:
        done = run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p",
                    "no:cacheprovider", *extra], cwd=REPO)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        return [line for line in done.stdout.splitlines() if "::" in line]

    with_plugin = collect()
    assert len(with_plugin) > 500
    assert not [i for i in with_plugin if "assignment.toml" in i]
    assert with_plugin == collect("-p", "no:mgrade")
