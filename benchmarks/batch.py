"""Batch grading against a shell loop of `mgrade grade`, on the same generated class, in one run.

The class is N submissions cycling through a realistic mix: the reference, the template and every
buggy example (built from the current reference, see autograder/demo.py). Both sides grade the
same folders with the same assignments; the loop runs one `mgrade grade` process per student, as
a TA's `for s in */; do mgrade grade "$s" ...; done` would. Prints wall times, seconds per
submission, the ratio, and where the time of one grade goes (from results.json's per-check
durations and a profile of one in-process grade). Never asserts.

    .venv/bin/python benchmarks/batch.py [-n 12] [--jobs 2] [-a ops -a backprop] [--profile]
                                         [--no-loop]

Both sides keep drawn examples in one private cache directory (`MGRADE_CACHE_DIR`), empty when the
run starts: grade-all runs first and fills it, so the loop's grades find their examples on disk,
as a TA's second and later `mgrade grade` on one machine do. The user's own cache is untouched.

"After start-up" is the mean time of one `grade()` inside grade-all (each grading process grades
one submission at a time, so that is seconds per submission per core once torch and hypothesis
are loaded). With --no-loop only grade-all runs (for the slow assignments).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from autograder.demo import discover, materialize  # noqa: E402


def build_class(target: Path, n: int) -> list[Path]:
    scratch = target.parent / "build"
    built = [materialize(example, scratch) for example in discover()]
    students = []
    for i in range(n):
        student = target / f"student{i:03d}"
        shutil.copytree(built[i % len(built)], student)
        students.append(student)
    return students


def wall(argv: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def use_private_cache(root: Path) -> Path:
    """Drawn examples go to an empty folder of this run (for the grades it starts, and for the
    in-process profile), never to the user's cache."""
    cache = root / "cache"
    cache.mkdir(mode=0o700)
    os.environ["MGRADE_CACHE_DIR"] = str(cache)
    return cache


def grade_time_split(out: Path) -> tuple[float, float]:
    """Mean grade() time and mean sum of check durations, over the batch's results."""
    totals, checks = [], []
    for marker in out.glob("*/.mgrade-graded.json"):
        totals.append(json.loads(marker.read_text())["execution_time"])
        results = json.loads((marker.parent / "results.json").read_text())
        checks.append(sum(t["extra_data"]["duration_s"] for t in results["tests"]))
    return sum(totals) / len(totals), sum(checks) / len(checks)


def _area(file: str, name: str) -> str:
    """Which part of grading a function's own time belongs to."""
    if any(call in name for call in ("posix.write", "posix.read", "select.select", "poll")):
        return "worker round trips (pipe I/O, waiting)"
    if "fork_exec" in name or "waitpid" in name:
        return "worker starts and stops"
    if "/autograder/sandbox/" in file or "rmdir" in name or "listdir" in name \
            or "io.open" in name or "BufferedReader" in name:
        return "sandbox bookkeeping (/proc scans, tmp dirs)"
    if "/hypothesis/" in file:
        return "hypothesis (drawing examples)"
    if "torch" in file or "torch" in name:
        return "torch oracle"
    if "/autograder/" in file:
        return "grader's own Python"
    return "other (stdlib: json, io, tempfile...)"


def profile_one(submission: Path, assignments: list[str]) -> None:
    """Profile a grade as grade-all runs it: warm, with the process's cache already filled."""
    from autograder.gradecache import GradeCache
    from autograder.grading import GradeOptions, grade

    options = GradeOptions(assignments=assignments, cache=GradeCache())
    grade(submission, options)  # warm: imports, page cache, the process's cache
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    grade(submission, options)
    profiler.disable()
    elapsed = time.perf_counter() - started
    stats = pstats.Stats(profiler)
    by_area: dict[str, float] = defaultdict(float)
    for (file, _, name), (_, _, own, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        by_area[_area(file, name)] += own
    print(f"\nwhere one warm in-process grade goes ({elapsed:.2f} s, own time per area):")
    for area, seconds in sorted(by_area.items(), key=lambda kv: -kv[1]):
        print(f"  {area:<36} {seconds:6.2f} s  {100 * seconds / elapsed:5.1f} %")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=12, help="submissions in the class")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("-a", "--assignment", dest="assignments", action="append")
    parser.add_argument("--profile", action="store_true", help="profile one in-process grade")
    parser.add_argument("--no-loop", action="store_true", help="time grade-all only")
    args = parser.parse_args()
    assignments = args.assignments or ["ops", "backprop"]
    selected = [f"-a{a}" for a in assignments]
    mgrade = [sys.executable, "-m", "autograder"]
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        use_private_cache(root)
        students = build_class(root / "class", args.n)
        batch_out, loop_out = root / "batch", root / "loop"
        batch_s = wall([*mgrade, "grade-all", str(root / "class"), "--out", str(batch_out),
                        "--jobs", str(args.jobs), *selected])
        loop_started = time.perf_counter()
        for student in [] if args.no_loop else students:
            subprocess.run([*mgrade, "grade", str(student), *selected, "--json",
                            str(loop_out / student.name / "results.json"), "-q"],
                           check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        loop_s = time.perf_counter() - loop_started
        same = args.no_loop or all(
            json.loads((batch_out / s.name / "results.json").read_text())["score"] ==
            json.loads((loop_out / s.name / "results.json").read_text())["score"]
            for s in students)
        mean_grade, mean_checks = grade_time_split(batch_out)
        if args.profile:
            profile_one(students[0], assignments)
    n = args.n
    print(f"class: {n} submissions, assignments {' + '.join(assignments)}, "
          f"same scores both ways: {same}; load average {load_before:.1f} before, "
          f"{os.getloadavg()[0]:.1f} after")
    print(f"{'':34} {'wall':>9} {'s/submission':>13} {'s/sub/core':>11}")
    if not args.no_loop:
        print(f"{'shell loop of mgrade grade':34} {loop_s:8.1f}s {loop_s / n:12.2f}s "
              f"{loop_s / n:10.2f}s")
    print(f"{f'mgrade grade-all --jobs {args.jobs}':34} {batch_s:8.1f}s {batch_s / n:12.2f}s "
          f"{batch_s * args.jobs / n:10.2f}s")
    print(f"{'  after start-up (mean grade())':34} {'':9} {'':13} {mean_grade:10.2f}s")
    if not args.no_loop:
        print(f"grade-all is {loop_s / batch_s:.2f}x faster than the loop")
    print(f"in grade-all, one grade() takes {mean_grade:.2f} s on average, of which the checks "
          f"{mean_checks:.2f} s and loading, isolation probe and worker starts "
          f"{mean_grade - mean_checks:.2f} s; the loop adds {loop_s / n - mean_grade:.2f} s of "
          "process start-up (imports) per submission" if not args.no_loop else "")
    return 0


if __name__ == "__main__":
    sys.exit(main())
