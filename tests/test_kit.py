"""`mgrade release --kit`: what students get holds no solution and no withheld check.

The kits here are built without the wheel (fast); tests/test_kit_install.py builds the real thing,
wheel included, and installs it into a fresh virtual environment.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from util import REFERENCE, REPO

from autograder.manifest import ManifestError, is_kit_manifest, load_assignment
from autograder.release import ReleaseError, find_regions
from autograder.release.kit import write_kit
from autograder.release.kit_manifest import kit_manifest
from autograder.release.mapping import map_regions, matches

ASSIGNMENTS = REPO / "assignments"

# Lines that are both in a solution region and in the grader's own code, because they are the
# most generic Python there is. Anything else a kit shares with a region is a leak.
GENERIC = {"return out", "x = self.data", "node._backward()"}


def reference_lines(reference: Path, stubbed: set[str] | None = None) -> set[str]:
    """Stripped code lines of the (chosen) solution regions that appear nowhere else in the
    reference: the lines only a solution holds."""
    inside: set[str] = set()
    outside: set[str] = set()
    for file in sorted(reference.glob("*.py")):
        source = file.read_text()
        chosen_lines: set[int] = set()
        for region in find_regions(source, str(file)):
            name = f"{file.stem}.{region.qualname}"
            if stubbed is None or name in stubbed:
                chosen_lines.update(range(region.begin + 1, region.end))
        for number, line in enumerate(source.splitlines(), start=1):
            text = line.strip()
            if text and not text.startswith("#"):
                (inside if number in chosen_lines else outside).add(text)
    return inside - outside


def kit_texts(kit: Path) -> dict[str, str]:
    """Every file of the kit as text; each wheel is unpacked and read member by member."""
    texts: dict[str, str] = {}
    for path in sorted(p for p in kit.rglob("*") if p.is_file()):
        rel = path.relative_to(kit).as_posix()
        if path.suffix in (".whl", ".zip"):
            with zipfile.ZipFile(path) as archive:
                for member in archive.namelist():
                    texts[f"{rel}!{member}"] = archive.read(member).decode("utf-8", "replace")
        else:
            texts[rel] = path.read_text(encoding="utf-8")
    return texts


def leaks(texts: dict[str, str], solution: set[str]) -> dict[str, set[str]]:
    found = {}
    for name, text in texts.items():
        hits = (solution & {line.strip() for line in text.splitlines()}) - GENERIC
        if hits:
            found[name] = hits
    return found


def withheld_ids() -> set[str]:
    ids = set()
    for manifest in ASSIGNMENTS.glob("*/assignment.toml"):
        ids |= {c.id for c in load_assignment(manifest).checks if c.visibility != "visible"}
    return ids


@pytest.fixture(scope="module")
def full_kit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("kits") / "kit"
    write_kit(REFERENCE, out, [ASSIGNMENTS], archive=True)
    return out


def test_kit_layout(full_kit: Path):
    files = sorted(p.relative_to(full_kit).as_posix() for p in full_kit.rglob("*") if p.is_file())
    assert files == [
        ".vscode/settings.json",
        "README.md",
        "assignments/backprop/assignment.toml",
        "assignments/mlp/assignment.toml",
        "assignments/ops/assignment.toml",
        "micrograd/__init__.py",
        "micrograd/engine.py",
        "micrograd/nn.py",
        "micrograd/viz.py",
        "pytest.ini",
    ]
    with zipfile.ZipFile(full_kit.with_suffix(".zip")) as archive:
        assert sorted(n for n in archive.namelist() if not n.endswith("/")) == [
            f"kit/{f}" for f in files]


def test_full_kit_holds_no_solution_line(full_kit: Path):
    solution = reference_lines(REFERENCE)
    assert len(solution) > 50  # the comparison has something to compare
    assert leaks(kit_texts(full_kit), solution) == {}
    assert leaks(kit_texts(full_kit.parent), solution) == {}  # the zip too


def test_kit_holds_no_withheld_check(full_kit: Path):
    hidden = withheld_ids()
    assert "engine.backward.graphs" in hidden  # the real manifests keep one back
    for name, text in kit_texts(full_kit).items():
        for check_id in hidden:
            assert check_id not in text, f"{name} names the withheld {check_id}"
    backprop = load_assignment(full_kit / "assignments" / "backprop")
    assert backprop.checks and all(c.visibility == "visible" for c in backprop.checks)
    assert backprop.kit and not load_assignment(ASSIGNMENTS / "backprop").kit
    assert is_kit_manifest(full_kit / "assignments" / "backprop" / "assignment.toml")
    assert not is_kit_manifest(ASSIGNMENTS / "backprop" / "assignment.toml")


def test_a_network_kit_ships_the_engine_complete(tmp_path: Path):
    kit = write_kit(REFERENCE, tmp_path / "hw2", [ASSIGNMENTS], ["mlp"])
    assert kit.stubbed and all(name.startswith("nn.") for name in kit.stubbed)
    assert "engine.Value.backward" in kit.given
    engine = (tmp_path / "hw2" / "micrograd" / "engine.py").read_text()
    assert "NotImplementedError" not in engine and "BEGIN SOLUTION" not in engine
    assert engine.startswith("# Nothing to fill in here")
    nn = (tmp_path / "hw2" / "micrograd" / "nn.py").read_text()
    assert nn.startswith("# Your part: fill in Module.zero_grad, Neuron.__init__")
    assert leaks(kit_texts(tmp_path / "hw2"), reference_lines(REFERENCE, set(kit.stubbed))) == {}
    assert sorted(p.name for p in (tmp_path / "hw2" / "assignments").iterdir()) == ["mlp"]
    readme = (tmp_path / "hw2" / "README.md").read_text()
    assert "`MLP.__call__` in `micrograd/nn.py`" in readme
    assert "Value.__add__" not in readme


def test_the_readme_maps_functions_to_checks_in_order(full_kit: Path):
    readme = (full_kit / "README.md").read_text()
    assert "pip install wheels/mgrade-*-py3-none-any.whl" in readme
    assert "mgrade check --only" in readme
    assert 'pytest "assignments/ops/assignment.toml::engine.add.forward"' in readme
    assert "pytest -m ops" in readme and "`pytest.ini`" in readme
    assert "pytest -m ops" in (full_kit / "pytest.ini").read_text()
    assert "PyTorch" in readme and "withheld" in readme
    add = readme.index("`Value.__add__` in `micrograd/engine.py` (checked by "
                       "`engine.add.forward`, `engine.add.backward`)")
    backward = readme.index("`Value.backward` in `micrograd/engine.py`")
    network = readme.index("`Neuron.__call__` in `micrograd/nn.py`")
    assert add < backward < network


def test_regions_map_to_the_assignments_that_grade_them():
    every = [load_assignment(m) for m in sorted(ASSIGNMENTS.glob("*/assignment.toml"))]
    owners = {m.name: m.assignments for m in map_regions(REFERENCE, every)}
    assert owners["engine.Value.__add__"] == ("ops",)
    assert owners["engine.Value.tanh"] == ("ops",)
    assert owners["engine.Value.backward"] == ("backprop",)
    assert owners["nn.MLP.__call__"] == ("mlp",)
    assert matches("engine.Value.tanh", "engine.Value.tanh._backward")
    assert not matches("engine.Value.tan", "engine.Value.tanh")


def manifest_dir(tmp_path: Path, implement: str) -> Path:
    folder = tmp_path / "assignments" / "ops"
    folder.mkdir(parents=True)
    text = (ASSIGNMENTS / "ops" / "assignment.toml").read_text()
    start = text.index("[release]")
    end = text.index("[checks.", start)
    (folder / "assignment.toml").write_text(text[:start] + implement + "\n\n" + text[end:])
    return tmp_path / "assignments"


def test_a_region_no_assignment_grades_is_an_error(tmp_path: Path):
    dirs = [manifest_dir(tmp_path, '[release]\nimplement = ["engine.Value.__*__"]')]
    with pytest.raises(ReleaseError, match=r"engine\.py:\d+: no assignment grades the solution "
                       r"region of engine\.Value\.relu"):
        write_kit(REFERENCE, tmp_path / "kit", dirs)
    assert not (tmp_path / "kit").exists()


def test_a_pattern_that_matches_nothing_is_an_error(tmp_path: Path):
    dirs = [manifest_dir(tmp_path, '[release]\nimplement = ["engine.*", "nn.*", "nn.Neuronn.*"]')]
    with pytest.raises(ReleaseError, match=r"'nn\.Neuronn\.\*' matches no solution region"):
        write_kit(REFERENCE, tmp_path / "kit", dirs)


def test_kit_manifest_reads_back_with_only_visible_checks(tmp_path: Path):
    course = load_assignment(ASSIGNMENTS / "backprop")
    text = kit_manifest(course)
    folder = tmp_path / "backprop"
    folder.mkdir()
    (folder / "assignment.toml").write_text(text)
    kit = load_assignment(folder)
    assert [c.id for c in kit.checks] == [c.id for c in course.checks if c.visibility == "visible"]
    assert kit.check("engine.backward.deep").params == {"depth": 10000}
    assert (kit.title, kit.seed, kit.limits) == (course.title, course.seed, course.limits)
    mlp = load_assignment(ASSIGNMENTS / "mlp")
    (tmp_path / "mlp").mkdir()
    (tmp_path / "mlp" / "assignment.toml").write_text(kit_manifest(mlp), encoding="utf-8")
    assert load_assignment(tmp_path / "mlp").checks == mlp.checks  # params, titles with "·"
    assert "w·x" in (tmp_path / "mlp" / "assignment.toml").read_text(encoding="utf-8")


def test_release_refuses_a_folder_that_is_not_empty(tmp_path: Path):
    (tmp_path / "kit").mkdir()
    (tmp_path / "kit" / "notes.txt").write_text("mine")
    done = subprocess.run(
        [sys.executable, "-m", "autograder", "release", "--kit", str(tmp_path / "kit")],
        cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "already exists and is not empty" in done.stderr
    assert (tmp_path / "kit" / "notes.txt").read_text() == "mine"


def test_release_options_for_kits_only(tmp_path: Path):
    done = subprocess.run([sys.executable, "-m", "autograder", "release", "-a", "ops"], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "only apply to --kit" in done.stderr


def test_the_kit_mark_is_true_or_false(tmp_path: Path):
    folder = tmp_path / "assignments" / "ops"
    folder.mkdir(parents=True)
    text = kit_manifest(load_assignment(ASSIGNMENTS / "ops"))
    (folder / "assignment.toml").write_text(text.replace("kit = true", 'kit = "yes"'))
    with pytest.raises(ManifestError, match=r"release\.kit must be true or false, got 'yes'"):
        load_assignment(folder)
    assert not is_kit_manifest(folder / "assignment.toml")
    (folder / "assignment.toml").write_text("not [toml")
    assert not is_kit_manifest(folder / "assignment.toml")
