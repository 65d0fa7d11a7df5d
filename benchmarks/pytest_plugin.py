"""One check clicked in pytest against the same check from `mgrade check`, measured in the same run.

Target: running one item costs well under a second beyond the check itself. Measured, as fresh
processes in a kit holding the reference, best of N, interleaved so machine load affects all alike:
`mgrade check --only engine.tanh.backward` (the baseline), `pytest NODE` for the same check, and
pytest's collection with the plugin and without it (`-p no:mgrade`: pytest's own start-up). Each
is timed by wall clock and by CPU time (user + system of the process and its workers), which a busy
machine inflates less. The plugin's cost for one item is `pytest NODE` minus pytest's own start-up
minus the check itself (`run_selfcheck` of that check, timed the same way). Prints measured
numbers and ratios; never asserts.

    .venv/bin/python benchmarks/pytest_plugin.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHECK = "engine.tanh.backward"
NODE = f"assignments/ops/assignment.toml::{CHECK}"


def timed(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the process and everything it started)."""
    before, started = os.times(), time.perf_counter()
    subprocess.run(argv, cwd=cwd, env=env, check=False, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    wall, after = time.perf_counter() - started, os.times()
    return wall, (after.children_user - before.children_user
                  + after.children_system - before.children_system)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    from autograder.release.kit import write_kit

    pytest = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    selfcheck = ("from pathlib import Path; from autograder.kitcheck import run_selfcheck; "
                 f"run_selfcheck(Path('.'), only=[{CHECK!r}])")
    commands = {
        "mgrade check --only": [sys.executable, "-m", "autograder", "check", "--only", CHECK],
        "pytest NODE": [*pytest, NODE],
        "pytest --collect-only": [*pytest, "--collect-only"],
        "pytest --collect-only -p no:mgrade": [*pytest, "--collect-only", "-p", "no:mgrade"],
        "python: import, run_selfcheck": [sys.executable, "-c", selfcheck],
        "python: import only": [sys.executable, "-c", selfcheck.split(";", 2)[1].strip()],
    }
    with tempfile.TemporaryDirectory() as tmp:
        # Bytecode is cached, as in a student's venv, in a private folder: pytest rewrites the
        # asserts of the modules its plugins' packages import, and caches that too.
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "pycache")
        kit = Path(tmp) / "kit"
        write_kit(REPO / "reference" / "micrograd", kit, [REPO / "assignments"])
        shutil.rmtree(kit / "micrograd")
        shutil.copytree(REPO / "reference" / "micrograd", kit / "micrograd",
                        ignore=shutil.ignore_patterns("__pycache__"))
        for argv in commands.values():
            timed(argv, kit, env)  # warm the page and bytecode caches
        runs: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, argv in commands.items():
                runs[name].append(timed(argv, kit, env))

    wall = {name: min(w for w, _ in values) for name, values in runs.items()}
    cpu = {name: min(c for _, c in values) for name, values in runs.items()}
    print(f"best of {args.runs}, fresh processes, in a kit holding the reference "
          f"(load average {os.getloadavg()[0]:.1f}):")
    print(f"  {'':<36} {'wall':>7} {'cpu':>7}   vs mgrade check (wall, cpu)")
    for name in commands:
        print(f"  {name:<36} {wall[name]:6.2f}s {cpu[name]:6.2f}s   "
              f"{wall[name] / wall['mgrade check --only']:5.2f}x "
              f"{cpu[name] / cpu['mgrade check --only']:5.2f}x")
    for label, t in (("wall", wall), ("cpu", cpu)):
        check = t["python: import, run_selfcheck"] - t["python: import only"]
        plugin = t["pytest NODE"] - t["pytest --collect-only -p no:mgrade"] - check
        collect = t["pytest --collect-only"] - t["pytest --collect-only -p no:mgrade"]
        print(f"{label}: the check itself {check:.2f} s; one pytest item costs {plugin:+.2f} s "
              f"beyond it and pytest's own start-up (collection {collect:+.2f} s of that); "
              "target: well under 1 s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
