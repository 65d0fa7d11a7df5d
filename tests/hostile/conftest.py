"""The cases are hostile submissions, not tests: pytest must never import their files (one of them
ships a conftest.py and a test module of its own, exactly to check that nobody runs them)."""

collect_ignore = ["cases"]
