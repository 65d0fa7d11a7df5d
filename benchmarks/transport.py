"""Worker transports: the stdio transport (Windows' only one) against the dedicated pipes.

Starts workers on the reference engine at the `process` level with each transport, interleaved,
and reports the time to start a worker, one request/reply round trip and closing a worker, each
as a ratio of stdio over pipes measured in the same run.

    .venv/bin/python benchmarks/transport.py [--workers 5] [--calls 200]

Prints measured numbers; it never asserts, since timings depend on the machine and on whatever
else it is running.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from autograder.loader import StagedSubmission, load_submission
from autograder.sandbox import detect_isolation
from autograder.session import WorkerSession

REFERENCE_DIR = Path(__file__).resolve().parents[1] / "reference" / "micrograd"
ADD = [["value", 1.0], ["value", 2.0], ["apply", "a + b", {"a": 0, "b": 1}], ["read", 2, "data"]]
TRANSPORTS = ("pipes", "stdio")


def measure(staged: StagedSubmission, transport: str, calls: int) -> tuple[float, float, float]:
    """(start s, seconds per call, close s) of one worker."""
    session = WorkerSession(staged, detect_isolation("process", transport=transport))
    started = time.perf_counter()
    assert session.start().ok
    ready = time.perf_counter()
    for _ in range(calls):
        session.run(ADD, 1)
    done = time.perf_counter()
    session.close()
    return ready - started, (done - ready) / calls, time.perf_counter() - done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=5)
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="mgrade-bench-"))
    try:
        package = scratch / "src" / "micrograd"
        package.mkdir(parents=True)
        for name in ("__init__.py", "engine.py"):
            shutil.copy(REFERENCE_DIR / name, package / name)
        staged = load_submission(scratch / "src", scratch / "stage")
        best = {t: [float("inf")] * 3 for t in TRANSPORTS}
        for _ in range(args.workers):
            for transport in TRANSPORTS:
                sample = measure(staged, transport, args.calls)
                best[transport] = [min(a, b) for a, b in zip(best[transport], sample, strict=True)]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"best of {args.workers} workers per transport, {args.calls} calls each")
    print(f"{'':14}{'pipes':>12}{'stdio':>12}{'stdio/pipes':>14}")
    for i, (label, unit, scale) in enumerate([("start", "ms", 1e3), ("round trip", "ms", 1e3),
                                              ("close", "ms", 1e3)]):
        pipes, stdio = best["pipes"][i], best["stdio"][i]
        print(f"{label:14}{pipes * scale:>10.3f}{unit}{stdio * scale:>10.3f}{unit}"
              f"{stdio / pipes:>13.2f}x")


if __name__ == "__main__":
    main()
