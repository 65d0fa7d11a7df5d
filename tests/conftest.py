"""Shared test setup: hypothesis profiles, and a disk cache of drawn examples for this session."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

from hypothesis import HealthCheck, settings

# Grades keep the examples they draw on disk (autograder/checks/examplecache.py). The tests share
# one directory of their own, never the user's cache; it is removed when the session ends. Every
# process a test starts inherits it. Tests of the disk cache itself use their own directories.
_EXAMPLES = tempfile.mkdtemp(prefix="mgrade-test-cache-")
os.environ["MGRADE_CACHE_DIR"] = _EXAMPLES
atexit.register(shutil.rmtree, _EXAMPLES, ignore_errors=True)

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
