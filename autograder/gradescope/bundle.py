"""Build Gradescope's autograder zip.

The zip holds, at its top (where Gradescope looks):

- `setup.sh`: run once when Gradescope builds the image. Installs Python, bubblewrap, the CPU
  build of torch from PyTorch's own index, and the grader from the wheel in the zip; makes the
  seed file readable by root only (student code runs as another user).
- `run_autograder`: run for every submission; starts `autograder.gradescope.runner`, and writes a
  results.json of its own if even Python cannot start.
- the grader's wheel (built as a kit's is, with the full manifests of the bundled assignments),
  which must carry those manifests, and the moons data when an assignment trains on it: the bundle
  refuses a wheel without them, since Gradescope would only find out at the first submission.
- `mgrade-gradescope.json`: which assignments to grade, with which oracle, within what time.
- `seed`: the official seed, when given. Without it every run reports the missing seed.
"""

from __future__ import annotations

import json
import tempfile
import zipfile
from pathlib import Path

from autograder.gradescope import DEFAULT_ROOT, ROOT_ENV, SEED_NAME, SETTINGS_NAME
from autograder.pins import CPU_INDEX, PinError, pinned_torch

REPO = Path(__file__).resolve().parents[2]
MOONS_NAME = "moons.csv"
_EXECUTABLE = 0o100755 << 16
_REGULAR = 0o100644 << 16

SETUP_SH = """\
#!/usr/bin/env bash
# Gradescope runs this once, when it builds the autograder image (choose the Ubuntu 24.04 base
# image: mgrade needs Python 3.11 or newer).
set -euo pipefail
cd "$(dirname "$0")"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv python3-pip bubblewrap
python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
    echo "mgrade needs Python 3.11 or newer; choose a newer Gradescope base image" >&2; exit 1; }
python3 -m venv /opt/mgrade
# The CPU build of torch, from PyTorch's index: PyPI's default build is the multi-GB CUDA one.
/opt/mgrade/bin/pip install --quiet --index-url @CPU_INDEX@ torch==@TORCH@
/opt/mgrade/bin/pip install --quiet ./@WHEEL@
# The official seed: readable by root only. Student code runs as another user and cannot read it.
if [ -f @SEED@ ]; then chown root:root @SEED@; chmod 600 @SEED@; fi
/opt/mgrade/bin/mgrade doctor
"""

RUN_AUTOGRADER = """\
#!/usr/bin/env bash
# Gradescope runs this for every submission. The runner writes results/results.json every time;
# if even Python cannot start, the lines below write one that says so.
root="${@ENV@:-@DEFAULT_ROOT@}"
/opt/mgrade/bin/python -I -m autograder.gradescope.runner && exit 0
mkdir -p "$root/results"
cat > "$root/results/results.json" <<'JSON'
{"score": 0, "output": "The autograder could not start (see the autograder output), so this \
submission was not graded. This is not a problem with your code; please tell the course staff.", \
"tests": []}
JSON
"""


class BundleError(Exception):
    """The bundle cannot be built; the message says what to fix."""


def build_wheel(target: Path, assignments: list[str], source: Path = REPO) -> Path:
    """The grader's wheel, with the full manifests of `assignments` as its default ones."""
    from autograder.manifest import ManifestError, default_assignment_dirs, find_assignment
    from autograder.release.regions import ReleaseError
    from autograder.release.wheel import build_wheel as build_project_wheel

    try:
        manifests = {a: find_assignment(a, default_assignment_dirs()).read_text(encoding="utf-8")
                     for a in assignments}
        return build_project_wheel(source, manifests, target)
    except (ManifestError, ReleaseError, OSError) as exc:
        raise BundleError(str(exc)) from None


def needs_moons(assignments: list[str]) -> bool:
    """Whether an assignment trains on the moons data (its nn.train.moons check)."""
    from autograder.manifest import default_assignment_dirs, find_assignment, load_assignment

    return any(check.id.endswith(".moons") for a in assignments
               for check in load_assignment(find_assignment(a, default_assignment_dirs())).checks)


def missing_from_wheel(wheel: Path, assignments: list[str], moons: bool = True) -> list[str]:
    """What the installed grader would lack: manifests of `assignments`, and the moons data when
    `moons` (an assignment trains on it)."""
    try:
        with zipfile.ZipFile(wheel) as archive:
            names = archive.namelist()
    except (OSError, zipfile.BadZipFile) as exc:
        raise BundleError(f"{wheel}: not a wheel ({exc})") from None
    missing = [f"{a}/assignment.toml" for a in assignments
               if not any(n.endswith(f"/{a}/assignment.toml") for n in names)]
    if moons and not any(n.endswith(f"/{MOONS_NAME}") for n in names):
        missing.append(MOONS_NAME)
    return missing


def _add(archive: zipfile.ZipFile, name: str, data: bytes, mode: int) -> None:
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
    info.external_attr = mode
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data)


def render_setup(wheel_name: str, torch_version: str) -> str:
    return (SETUP_SH.replace("@CPU_INDEX@", CPU_INDEX).replace("@TORCH@", torch_version)
            .replace("@WHEEL@", wheel_name).replace("@SEED@", SEED_NAME))


def render_run() -> str:
    return RUN_AUTOGRADER.replace("@ENV@", ROOT_ENV).replace("@DEFAULT_ROOT@", DEFAULT_ROOT)


def build_bundle(out: Path, assignments: list[str], *, seed_file: Path | None,
                 wheel: Path | None = None, oracle: str = "torch",
                 timeout_s: float = 1200.0) -> list[str]:
    """Write the zip to `out`; return the names it holds."""
    seed_text = None
    if seed_file is not None:
        try:
            seed_text = seed_file.read_text(encoding="utf-8").strip()
            int(seed_text)
        except (OSError, ValueError):
            raise BundleError(f"{seed_file}: must be a readable file holding one integer") \
                from None
    try:
        torch_version = pinned_torch()
    except PinError as exc:
        raise BundleError(str(exc)) from None
    with tempfile.TemporaryDirectory(prefix="mgrade-bundle-") as tmp:
        wheel = wheel or build_wheel(Path(tmp), assignments)
        missing = missing_from_wheel(wheel, assignments, moons=needs_moons(assignments))
        if missing:
            raise BundleError(
                f"the wheel {wheel.name} lacks {', '.join(missing)}: installed from it, the "
                "grader would not find its checks or data. Ship them as package data "
                "([tool.setuptools.package-data] in pyproject.toml) and build again.")
        settings = {"assignments": assignments, "oracle": oracle, "timeout_s": timeout_s}
        out.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(out, "w") as archive:
            _add(archive, "setup.sh", render_setup(wheel.name, torch_version).encode(),
                 _EXECUTABLE)
            _add(archive, "run_autograder", render_run().encode(), _EXECUTABLE)
            _add(archive, wheel.name, wheel.read_bytes(), _REGULAR)
            _add(archive, SETTINGS_NAME, (json.dumps(settings, indent=1) + "\n").encode(),
                 _REGULAR)
            if seed_text is not None:
                _add(archive, SEED_NAME, (seed_text + "\n").encode(), 0o100600 << 16)
            return archive.namelist()
