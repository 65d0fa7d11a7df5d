"""`mgrade grade <notebook>` against `nbgrader autograde` on the same submission, same run.

A temporary nbgrader course gets the ops source notebook as its only submission (solutions filled
in). Both graders run as fresh processes, interleaved, best of N, so machine load affects both
alike. nbgrader's time includes starting a kernel, running every cell (each test cell calls the
grader's official grade, once per kernel) and writing its gradebook. Prints measured
numbers and the ratio; never asserts.

    .venv/bin/python benchmarks/notebook.py [--runs 3]
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
SOURCE = REPO / "assignments" / "ops" / "source" / "ops.ipynb"


def wall(argv: list[str], cwd: Path, env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
    if shutil.which("alembic", path=env["PATH"]) is None:
        print("nbgrader needs `alembic` on PATH (install the dev extra into the venv)")
        return 2

    with tempfile.TemporaryDirectory() as tmp:
        course = Path(tmp)
        (course / "nbgrader_config.py").write_text(
            "c = get_config()\nc.CourseDirectory.course_id = 'bench'\n"
            "c.CourseDirectory.db_url = 'sqlite:///gradebook.db'\n")
        for folder in ("source/ops", "submitted/student/ops"):
            (course / folder).mkdir(parents=True)
            shutil.copy(SOURCE, course / folder / "ops.ipynb")
        submission = course / "submitted" / "student" / "ops" / "ops.ipynb"
        nbgrader = [sys.executable, "-m", "nbgrader"]
        wall([*nbgrader, "generate_assignment", "ops", "--force"], course, env)
        mgrade = [sys.executable, "-m", "autograder", "grade", str(submission), "-a", "ops",
                  "--json", str(course / "results.json"), "-q"]
        autograde = [*nbgrader, "autograde", "ops", "--force"]
        wall(mgrade, course, env)  # warm the page cache for both
        mgrade_times, nbgrader_times = [], []
        for _ in range(args.runs):
            mgrade_times.append(wall(mgrade, course, env))
            nbgrader_times.append(wall(autograde, course, env))

    best_m, best_n = min(mgrade_times), min(nbgrader_times)
    print(f"mgrade grade ops.ipynb:   best {best_m:6.2f} s  (runs: "
          + ", ".join(f"{t:.2f}" for t in mgrade_times) + ")")
    print(f"nbgrader autograde ops:   best {best_n:6.2f} s  (runs: "
          + ", ".join(f"{t:.2f}" for t in nbgrader_times) + ")")
    print(f"ratio nbgrader / mgrade:  {best_n / best_m:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
