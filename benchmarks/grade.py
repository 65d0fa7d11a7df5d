"""Cold grading wall time against `python -c "import torch"`, measured in the same run.

Target: a cold grade of one full engine submission (assignments ops + backprop) takes at most 2.5x
the wall time of importing torch. Both are run as fresh processes, best of N, interleaved so that
machine load affects both alike. Prints measured numbers and the ratio; never asserts.

The grades keep their drawn examples in a private cache directory (`MGRADE_CACHE_DIR`), filled by
the warm-up grade, so the measured grades are fresh processes on a machine that graded before.
`--no-disk-cache` also times grades that each start from an empty cache directory (the first
grade on a machine), interleaved with the others, and prints both ratios.

    .venv/bin/python benchmarks/grade.py [--runs 5] [--oracle torch] [--no-disk-cache]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGET_RATIO = 2.5


def wall(argv: list[str], cache: Path | None = None) -> float:
    env = dict(os.environ, **({"MGRADE_CACHE_DIR": str(cache)} if cache is not None else {}))
    started = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    return time.perf_counter() - started


def checks_sum(results: Path) -> float:
    return sum(t["extra_data"]["duration_s"] for t in json.loads(results.read_text())["tests"])


def ratio_line(label: str, ratio: float) -> str:
    return (f"ratio {label} / import torch: {ratio:.2f}x (target <= {TARGET_RATIO}x: "
            f"{'met' if ratio <= TARGET_RATIO else 'NOT met'})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--oracle", default="torch", choices=["torch", "python"])
    parser.add_argument("--no-disk-cache", action="store_true",
                        help="also time grades that start from an empty cache directory")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        submission = Path(tmp) / "submission"
        shutil.copytree(REPO / "reference" / "micrograd", submission / "micrograd")
        results = Path(tmp) / "results.json"
        grade = [sys.executable, "-m", "autograder", "grade", str(submission), "-a", "ops",
                 "-a", "backprop", "--oracle", args.oracle, "--json", str(results), "-q"]
        torch_import = [sys.executable, "-c", "import torch"]
        cache = Path(tmp) / "cache"
        wall(torch_import)  # warm the page cache for both, so "cold" means a fresh process
        wall(grade, cache)  # and fill the disk cache of drawn examples
        torch_times, grade_times, first_times = [], [], []
        per_check: dict[str, list[float]] = defaultdict(list)
        reported: list[float] = []
        first_reported: list[float] = []
        for run in range(args.runs):
            torch_times.append(wall(torch_import))
            grade_times.append(wall(grade, cache))
            reported.append(checks_sum(results))
            data = json.loads(results.read_text())
            for test in data["tests"]:
                per_check[test["name"]].append(test["extra_data"]["duration_s"])
            if args.no_disk_cache:
                first_times.append(wall(grade, Path(tmp) / f"empty-{run}"))
                first_reported.append(checks_sum(results))
        isolation = data["extra_data"]["isolation"]
        score = f"{data['score']:g}"

    best_torch, best_grade = min(torch_times), min(grade_times)
    checks_time = min(reported)
    print(f"runs: {args.runs} (best of), isolation: {isolation}, oracle: {args.oracle}, "
          f"score: {score}, load average {os.getloadavg()[0]:.1f}")
    label = 'python -c "import torch"'
    print(f"{label:<40} {best_torch:8.3f} s")
    print(f"{'mgrade grade (ops + backprop)':<40} {best_grade:8.3f} s")
    print(f"{'  of which checks (sum)':<40} {checks_time:8.3f} s")
    print(f"{'  of which start-up and reports':<40} {best_grade - checks_time:8.3f} s")
    if first_times:
        best_first = min(first_times)
        print(f"{'mgrade grade, empty disk cache':<40} {best_first:8.3f} s")
        print(f"{'  of which checks (sum)':<40} {min(first_reported):8.3f} s")
    print(ratio_line("grade", best_grade / best_torch))
    if first_times:
        print(ratio_line("grade with an empty disk cache", best_first / best_torch))
    print("\nslowest checks (best of runs):")
    slowest = sorted(per_check.items(), key=lambda kv: -min(kv[1]))[:10]
    for name, times in slowest:
        print(f"  {name:<34} {min(times) * 1000:8.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
