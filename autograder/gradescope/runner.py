"""What Gradescope runs for every submission: grade it, and write results.json whatever happens.

`python -m autograder.gradescope.runner` is a supervisor. It reads the bundle's settings and the
secret seed, grades `<root>/submission` in a child process (the seed goes through a pipe, never
the command line or the environment), and writes `<root>/results/results.json` itself, after all
student code has stopped:

- on success: the child's results, every check with its own visibility (Gradescope shows each one
  when its visibility allows; the top-level output never lists withheld checks);
- on a broken submission: the same, since `grade()` fails each check with the reason;
- on a missing or unreadable seed, a grader error, a child that dies or runs out of time: a
  results.json that says so, with no score for the checks, so a grader fault is never mistaken for
  the student's.

The child writes to a private folder, and only the supervisor writes the results file, so a
results.json forged by a submission is always overwritten.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from autograder.gradescope import DEFAULT_ROOT, ROOT_ENV, SEED_NAME, SETTINGS_NAME

DEFAULT_TIMEOUT_S = 1200.0


class RunError(Exception):
    """The bundle or the machine is at fault; the message goes into results.json."""


def root() -> Path:
    return Path(os.environ.get(ROOT_ENV) or DEFAULT_ROOT)


def read_settings(source: Path) -> dict:
    path = source / SETTINGS_NAME
    try:
        settings = json.loads(path.read_text(encoding="utf-8"))
        assert isinstance(settings.get("assignments"), list) and settings["assignments"]
    except (OSError, ValueError, AssertionError, AttributeError) as exc:
        raise RunError(f"the autograder bundle's {path} is missing or invalid ({exc}); rebuild "
                       "the bundle with `mgrade gradescope`") from None
    return settings


def read_seed(source: Path) -> int:
    path = source / SEED_NAME
    try:
        text = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise RunError(f"the autograder bundle has no seed file ({path}), so this submission was "
                       "not graded; the course staff must rebuild the bundle with `mgrade "
                       "gradescope --seed-file FILE`") from None
    except OSError as exc:
        raise RunError(f"cannot read the seed file {path}: {exc.strerror}") from None
    try:
        return int(text)
    except ValueError:
        raise RunError(f"the seed file {path} does not hold an integer") from None


def error_results(message: str, assignments: list[str]) -> dict:
    from autograder.fallback import not_graded_report
    from autograder.reporters import gradescope_json

    return gradescope_json(not_graded_report(str(root() / "submission"), assignments, None,
                                             message))


def grade_in_child(settings: dict, seed: int, private: Path) -> dict:
    """Run `child_main` in a fresh process and return the results it wrote."""
    results = private / "results.json"
    timeout = float(settings.get("timeout_s", DEFAULT_TIMEOUT_S))
    command = [sys.executable, "-I", "-m", "autograder.gradescope.runner", "--child",
               str(root() / "submission"), str(results)]
    try:
        done = subprocess.run(command, input=json.dumps({"seed": seed, **settings}), text=True,
                              timeout=timeout, cwd=private)
    except subprocess.TimeoutExpired:
        raise RunError(f"grading took longer than {timeout:g} s and was stopped") from None
    try:
        data = json.loads(results.read_text(encoding="utf-8"))
        assert isinstance(data, dict) and isinstance(data.get("tests"), list)
    except (OSError, ValueError, AssertionError):
        raise RunError(f"the grading process ended (exit code {done.returncode}) without "
                       "writing its results") from None
    return data


def supervise() -> int:
    """Grade `<root>/submission` and write `<root>/results/results.json`; always returns 0."""
    from autograder.reporters.atomic import atomic_write_text
    from autograder.reporters.gradescope import dumps

    source = root() / "source"
    assignments: list[str] = []
    try:
        settings = read_settings(source)
        assignments = list(settings["assignments"])
        seed = read_seed(source)
        with tempfile.TemporaryDirectory(prefix="mgrade-gradescope-") as private:
            data = grade_in_child(settings, seed, Path(private))
    except RunError as exc:
        data = error_results(str(exc), assignments)
    except Exception as exc:  # noqa: BLE001 - Gradescope must get a results.json
        data = error_results(f"internal grader error: {type(exc).__name__}: {exc}", assignments)
    atomic_write_text(root() / "results" / "results.json", dumps(data))
    print(data.get("output", ""))  # run_autograder's stdout: instructors only
    return 0


def child_main(submission: Path, results: Path) -> int:
    """Grade with the settings (and seed) read from stdin; write Gradescope's results.json."""
    from autograder.fallback import not_graded_report
    from autograder.grading import GradeOptions, grade
    from autograder.reporters import gradescope_json, text_summary
    from autograder.reporters.atomic import atomic_write_text
    from autograder.reporters.gradescope import dumps

    settings = json.loads(sys.stdin.read())
    options = GradeOptions(assignments=list(settings["assignments"]), seed=int(settings["seed"]),
                           oracle=settings.get("oracle", "torch"))
    try:
        report = grade(submission, options)
    except Exception as exc:  # noqa: BLE001 - bad settings or machine: still a results file
        report = not_graded_report(str(submission), options.assignments, None,
                                   f"{type(exc).__name__}: {exc}")
    data = gradescope_json(report)
    # The official seed (and each assignment's) stays in the root-only file.
    data["extra_data"]["seed"] = "withheld"
    data["extra_data"].pop("seeds", None)
    atomic_write_text(results, dumps(data))
    print(text_summary(report))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["--child"] and len(args) == 3:
        return child_main(Path(args[1]), Path(args[2]))
    return supervise()


if __name__ == "__main__":
    sys.exit(main())
