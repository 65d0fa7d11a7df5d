"""Per-worker resource limits, and the rlimits that enforce them in the child.

`resource` exists only on Unix; it is imported where the limits are set, so the grader imports on
every platform and a platform without it runs at the `process` level with no rlimits (and says so).
"""

from __future__ import annotations

from dataclasses import dataclass

from autograder.sandbox.interpreter import missing_modules

MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Per-worker resource limits. Every one is enforced by the kernel, not by Python."""

    cpu_s: int = 60  # CPU seconds over the worker's whole life (soft = hard)
    memory_mb: int = 1024  # address space of each process
    file_mb: int = 16  # largest file the worker may write
    nproc: int = 64  # processes and threads (pids cgroup; RLIMIT_NPROC for a non-root uid)
    open_files: int = 64
    tmp_mb: int = 64  # size of the private /tmp at the `namespace` level


def rlimits_missing() -> str:
    """'' where rlimits can be set, else why not (one plain phrase)."""
    if missing_modules("resource"):
        return "this platform has no rlimits (Python's resource module is missing)"
    return ""


def apply_rlimits(limits: Limits) -> None:
    """Soft = hard: nothing can be raised again, and catching SIGXCPU does not outlive the limit.

    Runs in the child between fork and exec.
    """
    import resource

    for which, value in (
        (resource.RLIMIT_CPU, limits.cpu_s),
        (resource.RLIMIT_AS, limits.memory_mb * MIB),
        (resource.RLIMIT_FSIZE, limits.file_mb * MIB),
        (resource.RLIMIT_NPROC, limits.nproc),
        (resource.RLIMIT_NOFILE, limits.open_files),
        (resource.RLIMIT_CORE, 0),
    ):
        resource.setrlimit(which, (value, value))
