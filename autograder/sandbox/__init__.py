"""Where student code runs: isolation levels, resource limits, and killing the whole worker tree.

Three levels, strongest first, one class each in `levels/` (docs/SECURITY.md says what each one
promises, and what it does not):

- `namespace` (`levels/namespace.py`): bubblewrap; the worker sees only the stdlib, the harness
  and the submission, read-only, a private /tmp, no network, its own pid namespace.
- `uid` (`levels/uid.py`): root without bubblewrap; a fresh unprivileged uid per worker.
- `process` (`levels/process.py`): rlimits and timeouts only, same user as the grader. Weak, and
  reported as such. The only level where namespaces and rlimits do not exist (macOS, Windows).

Limits come from the kernel: rlimits with soft = hard (`limits.py`) and, where the cgroup
filesystem is writable, a pids cgroup per worker (`cgroups.py`), because RLIMIT_NPROC does not
apply to root. The process table and kill sweeps are in `proctable.py` and `reaper.py`, the uid
pool in `uids.py`, removal of a worker's tmp in `tree.py`. How the grader and the worker talk is
the level's transport (`transport/`): two dedicated pipes and select() on POSIX, the worker's
stdin and stdout with reader threads where those do not work (Windows). Python-level hooks in the
worker only log; nothing here trusts them. Nothing Unix-only is imported at module level.
"""

from autograder.sandbox.cgroups import PidsCgroup, create_pids_cgroup, pids_cgroup_available
from autograder.sandbox.detect import ISOLATION_ORDER, IsolationInfo, detect_isolation
from autograder.sandbox.interpreter import HARNESS, WORKER_ENV, python_executable
from autograder.sandbox.levels import (
    Isolation,
    IsolationLevel,
    IsolationUnavailable,
    WorkerProcess,
)
from autograder.sandbox.levels.namespace import (
    NOBODY,
    SANDBOX_HARNESS,
    SANDBOX_SUBMISSION,
    bwrap_available,
    namespace_argv,
)
from autograder.sandbox.levels.uid import uid_available
from autograder.sandbox.limits import Limits
from autograder.sandbox.proctable import KILL_PATIENCE_S, ProcInfo, process_table
from autograder.sandbox.tree import remove_tree

__all__ = [
    "HARNESS", "ISOLATION_ORDER", "KILL_PATIENCE_S", "NOBODY", "SANDBOX_HARNESS",
    "SANDBOX_SUBMISSION", "WORKER_ENV", "Isolation", "IsolationInfo", "IsolationLevel",
    "IsolationUnavailable", "Limits", "PidsCgroup", "ProcInfo", "WorkerProcess",
    "bwrap_available", "create_pids_cgroup", "detect_isolation", "namespace_argv",
    "pids_cgroup_available", "process_table", "python_executable", "remove_tree",
    "uid_available",
]
