"""Gradescope: build the autograder bundle (`mgrade gradescope`) and run it there.

- `bundle`: the zip: setup.sh, run_autograder, the grader's wheel, its settings, the secret seed.
- `runner`: what run_autograder starts; it writes /autograder/results/results.json every time.
- `command`: the `gradescope` command.

The root (`/autograder` on Gradescope) can be moved with $MGRADE_GRADESCOPE_ROOT, for tests and
for trying a bundle locally.
"""

ROOT_ENV = "MGRADE_GRADESCOPE_ROOT"
DEFAULT_ROOT = "/autograder"
SETTINGS_NAME = "mgrade-gradescope.json"  # in the bundle: assignments, oracle, timeout
SEED_NAME = "seed"  # in the bundle: the official seed, readable by root only after setup
