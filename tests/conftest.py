"""Shared test setup: hypothesis profiles and loaders for the reference and template packages."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# Grades and tests must be reproducible: derandomized, no example database, no deadline.
settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("dev", database=None, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
