"""The check catalogue: every check id the grader knows, generated from data where possible.

Check ids are a public contract (manifests, gradebooks and CI files name them): add new ones,
never rename old ones.
"""

from __future__ import annotations

from functools import cache

from autograder.checks.backprop import backprop_checks
from autograder.checks.base import CheckContext, CheckDef
from autograder.checks.engine_ops import op_checks
from autograder.checks.network import network_checks

__all__ = ["CheckContext", "CheckDef", "catalogue"]


@cache
def catalogue() -> dict[str, CheckDef]:
    """All checks by id, in grading order (ops before the graph checks that rely on them)."""
    checks = op_checks() + backprop_checks() + network_checks()
    return {check.id: check for check in checks}
