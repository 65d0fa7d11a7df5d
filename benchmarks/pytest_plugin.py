"""One check clicked in pytest against the same check from `mgrade check`, measured in the same run.

Target: running one item costs well under a second beyond the check itself. Baseline:
`mgrade check --only engine.tanh.backward` in the same kit (a fresh process that grades just that
check). Both run as fresh processes, best of N, interleaved so machine load affects both alike.
Also measured: collection alone, with the plugin and without it (`-p no:mgrade`, an empty
session). Prints measured numbers and ratios; never asserts.

    .venv/bin/python benchmarks/pytest_plugin.py [--runs 5]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHECK = "engine.tanh.backward"
NODE = f"assignments/ops/assignment.toml::{CHECK}"


def wall(argv: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(argv, cwd=cwd, check=False, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    from autograder.release.kit import write_kit

    pytest = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    commands = {
        "mgrade check --only": [sys.executable, "-m", "autograder", "check", "--only", CHECK],
        "pytest NODE": [*pytest, NODE],
        "pytest --collect-only": [*pytest, "--collect-only"],
        "pytest --collect-only -p no:mgrade": [*pytest, "--collect-only", "-p", "no:mgrade"],
    }
    with tempfile.TemporaryDirectory() as tmp:
        kit = Path(tmp) / "kit"
        write_kit(REPO / "reference" / "micrograd", kit, [REPO / "assignments"])
        shutil.rmtree(kit / "micrograd")
        shutil.copytree(REPO / "reference" / "micrograd", kit / "micrograd",
                        ignore=shutil.ignore_patterns("__pycache__"))
        for argv in commands.values():
            wall(argv, kit)  # warm the page cache
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, argv in commands.items():
                times[name].append(wall(argv, kit))

    best = {name: min(values) for name, values in times.items()}
    base = best["mgrade check --only"]
    print(f"best of {args.runs}, fresh processes, in a kit holding the reference:")
    for name, value in best.items():
        print(f"  {name:<36} {value:6.2f} s   {value / base:5.2f}x mgrade check")
    print(f"one item in pytest costs {best['pytest NODE'] - base:+.2f} s over mgrade check --only "
          f"(target: well under 1 s); collection adds "
          f"{best['pytest --collect-only'] - best['pytest --collect-only -p no:mgrade']:+.2f} s "
          "to an empty pytest session")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
