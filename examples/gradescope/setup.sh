#!/usr/bin/env bash
# Gradescope autograder setup (runs once, when the image is built).
# The autograder zip holds this file, run_autograder, and a copy of the course repository as
# mgrade/ (at least autograder/, assignments/, examples/moons/moons.csv, pyproject.toml and
# constraints.txt). It is installed in place (-e), so the grader finds the assignments and the
# training data of the checkout.
set -euo pipefail
apt-get update -qq
# bubblewrap gives the strongest isolation level; mgrade falls back (and says so) without it.
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv python3-pip bubblewrap
python3 -m venv /opt/mgrade
# The constraints file pins the CPU build of torch, the official oracle.
/opt/mgrade/bin/pip install --quiet -c /autograder/source/mgrade/constraints.txt \
    -e "/autograder/source/mgrade[oracle]"
/opt/mgrade/bin/mgrade doctor
