"""Cold grading wall time against `python -c "import torch"`, measured in the same run.

Target: a cold grade of one full engine submission (assignments ops + backprop) takes at most 2.5x
the wall time of importing torch. Both are run as fresh processes, best of N, interleaved so that
machine load affects both alike. Prints measured numbers and the ratio; never asserts.

    .venv/bin/python benchmarks/grade.py [--runs 5] [--oracle torch]
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


def wall(argv: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--oracle", default="torch", choices=["torch", "python"])
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        submission = Path(tmp) / "submission"
        shutil.copytree(REPO / "reference" / "micrograd", submission / "micrograd")
        results = Path(tmp) / "results.json"
        grade = [sys.executable, "-m", "autograder", "grade", str(submission), "-a", "ops",
                 "-a", "backprop", "--oracle", args.oracle, "--json", str(results), "-q"]
        torch_import = [sys.executable, "-c", "import torch"]
        wall(torch_import)  # warm the page cache for both, so "cold" means a fresh process
        wall(grade)
        torch_times, grade_times = [], []
        per_check: dict[str, list[float]] = defaultdict(list)
        reported: list[float] = []
        for _ in range(args.runs):
            torch_times.append(wall(torch_import))
            grade_times.append(wall(grade))
            data = json.loads(results.read_text())
            reported.append(sum(t["extra_data"]["duration_s"] for t in data["tests"]))
            for test in data["tests"]:
                per_check[test["name"]].append(test["extra_data"]["duration_s"])
        isolation = data["extra_data"]["isolation"]
        score = f"{data['score']:g}"

    best_torch, best_grade = min(torch_times), min(grade_times)
    ratio = best_grade / best_torch
    checks_time = min(reported)
    print(f"runs: {args.runs} (best of), isolation: {isolation}, oracle: {args.oracle}, "
          f"score: {score}, load average {os.getloadavg()[0]:.1f}")
    label = 'python -c "import torch"'
    print(f"{label:<34} {best_torch:8.3f} s")
    print(f"{'mgrade grade (ops + backprop)':<34} {best_grade:8.3f} s")
    print(f"{'  of which checks (sum)':<34} {checks_time:8.3f} s")
    print(f"{'  of which start-up and reports':<34} {best_grade - checks_time:8.3f} s")
    print(f"ratio grade / import torch: {ratio:.2f}x (target <= {TARGET_RATIO}x: "
          f"{'met' if ratio <= TARGET_RATIO else 'NOT met'})")
    print("\nslowest checks (best of runs):")
    slowest = sorted(per_check.items(), key=lambda kv: -min(kv[1]))[:10]
    for name, times in slowest:
        print(f"  {name:<34} {min(times) * 1000:8.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
