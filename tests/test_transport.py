"""The worker transports: the dedicated pipes (POSIX) and the worker's stdin/stdout (every
platform, the only one on Windows), run here on Linux through the real grading path and the real
session. tests/test_portability.py checks that a simulated Windows chooses the stdio transport.

`detect_isolation(..., transport="stdio")` and `GradeOptions.transport` force the stdio transport;
everything else is what production runs.
"""

from __future__ import annotations

import shutil
import textwrap
import time
from pathlib import Path

import pytest
from util import REPO

from autograder.demo import discover, expected_verdicts, materialize
from autograder.grading import GradeOptions, grade
from autograder.loader import load_submission
from autograder.model import GradeReport, Outcome
from autograder.sandbox import IsolationUnavailable, detect_isolation
from autograder.sandbox.transport import PipesTransport, StdioTransport, choose_transport
from autograder.session import SessionConfig, WorkerDied, WorkerSession
from autograder.worker.steps import Apply, Leaf, Read

EXAMPLES = {example.name: example for example in discover()}
REFERENCE = REPO / "reference" / "micrograd"
ADD = [Leaf(1.0), Leaf(2.0), Apply("a + b", {"a": 0, "b": 1}), Read(2, "data")]
TANH = [Leaf(0.5), Apply("a.tanh()", {"a": 0}), Read(1, "data")]


def verdicts(report: GradeReport) -> dict[str, tuple[bool, str, float, str]]:
    return {r.check_id: (r.passed, r.verdict.outcome.value, r.score, r.verdict.summary)
            for r in report.results}


# ---- the real grading path ---------------------------------------------------------------------


def test_the_reference_gets_full_marks_over_stdio(tmp_path: Path) -> None:
    submission = materialize(EXAMPLES["reference"], tmp_path)
    report = grade(submission, GradeOptions(assignments=["ops"], isolation="process",
                                            transport="stdio"))
    assert report.internal_error is None, report.messages
    assert report.results and all(r.passed for r in report.results), [
        (r.check_id, r.verdict.summary) for r in report.results if not r.passed]
    assert report.score == report.max_score > 0
    assert report.isolation == "process"
    assert "travel on the worker's stdin and stdout" in report.isolation_note


@pytest.mark.parametrize("name", ["wrong_tanh_derivative", "missing_rsub"])
def test_a_buggy_example_gets_the_same_verdicts_over_either_transport(tmp_path: Path,
                                                                       name: str) -> None:
    submission = materialize(EXAMPLES[name], tmp_path)
    reports = {transport: grade(submission, GradeOptions(
        assignments=["ops"], isolation="process", transport=transport, seed=1234))
        for transport in ("pipes", "stdio")}
    assert verdicts(reports["stdio"]) == verdicts(reports["pipes"])
    expected = expected_verdicts((EXAMPLES[name].folder / "README.md").read_text())
    assert expected, f"{name} promises no failing check"
    failed = {r.check_id: r.verdict.outcome for r in reports["stdio"].results if not r.passed}
    assert {cid: outcome for cid, outcome in failed.items() if cid in expected} == expected
    assert reports["stdio"].score == reports["pipes"].score < reports["stdio"].max_score


# ---- the session over stdio: output, forged frames, hangs ---------------------------------------


def _session(tmp_path: Path, patch: str, level: str = "process",
             **config: object) -> WorkerSession:
    package = tmp_path / "src" / "micrograd"
    package.mkdir(parents=True)
    shutil.copy(REFERENCE / "__init__.py", package / "__init__.py")
    (package / "engine.py").write_text((REFERENCE / "engine.py").read_text() + "\n" + patch)
    staged = load_submission(tmp_path / "src", tmp_path / "stage")
    settings = SessionConfig(**{"call_timeout_s": 5.0, **config})  # type: ignore[arg-type]
    return WorkerSession(staged, detect_isolation(level, transport="stdio"), settings)


FRAME = '''
import json as _json, os as _os, struct as _struct, sys as _sys

def _frame(i, value):
    body = _json.dumps({"id": i, "ok": True, "values": [value], "events": []}).encode()
    return _struct.pack(">I", len(body)) + body
'''


def test_a_print_flood_is_capped_and_never_reaches_the_reply_channel(tmp_path: Path) -> None:
    patch = FRAME + textwrap.dedent('''
        _tanh = Value.tanh

        def _flooding_tanh(self):
            for _ in range(64):
                _os.write(1, b"x" * 65536)
                _os.write(2, b"y" * 65536)
            print("z" * 100000, flush=True)
            return _tanh(self)

        Value.tanh = _flooding_tanh
    ''')
    started = time.monotonic()
    with _session(tmp_path, patch, output_cap_bytes=1000) as session:
        for _ in range(3):
            assert session.run(TANH, 1).values == (pytest.approx(0.46211715726000974),)
    assert session.tampered is None
    assert len(session.output) == 1000 and session.output_dropped >= 3 * 128 * 65536
    assert "more bytes of output discarded" in session.student_output()
    assert time.monotonic() - started < 20


def test_a_flood_that_never_ends_is_a_timeout(tmp_path: Path) -> None:
    patch = "import os as _os\nwhile True:\n    _os.write(1, b'x' * 65536)\n"
    started = time.monotonic()
    with _session(tmp_path, patch, output_cap_bytes=1000, start_timeout_s=2.0) as session:
        with pytest.raises(WorkerDied) as died:
            session.start()
    assert died.value.outcome is Outcome.TIMEOUT
    assert time.monotonic() - started < 10
    assert len(session.output) == 1000 and session.output_dropped > 0


def test_frames_on_stdout_stdin_and_stderr_are_output_not_replies(tmp_path: Path) -> None:
    """The student's fds 0, 1 and 2 are not the channel: frames answering the right request
    with a wrong value, written there and through sys.stdout, change nothing."""
    patch = FRAME + textwrap.dedent('''
        _add = Value.__add__

        def _framing_add(self, other):
            for i in range(1, 8):
                for fd in (0, 1, 2):
                    try:
                        _os.write(fd, _frame(i, 99.0))
                    except OSError:
                        pass
                _sys.stdout.buffer.write(_frame(i, 99.0))
            _sys.stdout.flush()
            return _add(self, other)

        Value.__add__ = _framing_add
    ''')
    with _session(tmp_path, patch) as session:
        for _ in range(3):
            assert session.run(ADD, 1).values == (3.0,)
    assert session.tampered is None
    assert b'"values": [99.0]' in session.output


def test_a_frame_forged_on_the_private_reply_channel_is_still_caught(tmp_path: Path) -> None:
    """Student code can find the harness's reply descriptor in memory; its forged frame is
    read, but the real reply behind it taints the session, as with the dedicated pipes."""
    patch = FRAME + textwrap.dedent('''
        import gc as _gc, time as _time

        def _pipe():
            for obj in _gc.get_objects():
                if type(obj).__name__ == "Worker" and hasattr(obj, "wfd"):
                    return obj.wfd

        _add = Value.__add__

        def _forging_add(self, other):
            _os.write(_pipe(), _frame(2, 3.0))
            _time.sleep(0.3)
            return _add(self, other)

        Value.__add__ = _forging_add
    ''')
    with _session(tmp_path, patch) as session:
        assert session.run(ADD, 1).values == (3.0,)  # the forgery, accepted for now
    # the real reply turns up as a stale reply to "bye", or as bytes left over after it
    assert session.tampered is not None
    assert "only student code writing to the grader's reply channel" in session.tampered


def test_garbage_on_the_private_reply_channel_fails_the_call(tmp_path: Path) -> None:
    patch = FRAME + textwrap.dedent('''
        import gc as _gc

        _add = Value.__add__

        def _spraying_add(self, other):
            for fd in range(3, 64):
                try:
                    _os.write(fd, _struct.pack(">I", 5) + b"junk!")
                except OSError:
                    pass
            return _add(self, other)

        Value.__add__ = _spraying_add
    ''')
    with _session(tmp_path, patch) as session:
        with pytest.raises(WorkerDied) as died:
            session.run(ADD, 1)
    assert died.value.outcome is Outcome.PROTOCOL and "not valid JSON" in died.value.reason
    assert session.tampered is not None


def test_a_hang_is_a_timeout_and_the_next_call_gets_a_fresh_worker(tmp_path: Path) -> None:
    patch = textwrap.dedent('''
        import sys as _sys

        def _hanging_tanh(self):
            _sys.stdin.read()  # the null device: returns at once
            while True:
                pass

        Value.tanh = _hanging_tanh
    ''')
    with _session(tmp_path, patch, call_timeout_s=1.5) as session:
        assert session.start().ok
        pid = session.worker.popen.pid if session.worker else None
        started = time.monotonic()
        with pytest.raises(WorkerDied) as died:
            session.run(TANH, 1)
        assert died.value.outcome is Outcome.TIMEOUT
        assert 1.4 < time.monotonic() - started < 8
        assert session.run(ADD, 1).values == (3.0,)
        assert session.starts == 2
    assert pid is not None and not Path(f"/proc/{pid}").exists()
    assert session.tampered is None


def test_an_exit_without_reply_is_a_crash(tmp_path: Path) -> None:
    patch = "import os as _os\nValue.tanh = lambda self: _os._exit(7)\n"
    with _session(tmp_path, patch) as session:
        with pytest.raises(WorkerDied) as died:
            session.run(TANH, 1)
    assert died.value.outcome is Outcome.CRASHED and "code 7" in died.value.reason


# ---- choosing the transport ---------------------------------------------------------------------


def test_posix_uses_the_dedicated_pipes_and_names_are_checked() -> None:
    assert isinstance(choose_transport(), PipesTransport)
    assert isinstance(choose_transport("stdio"), StdioTransport)
    info = detect_isolation("process")
    assert info.backend.transport.name == "pipes" and "stdin and stdout" not in info.note
    with pytest.raises(ValueError, match="unknown worker transport"):
        choose_transport("carrier-pigeon")


def test_forcing_the_pipes_where_they_do_not_work_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    import autograder.sandbox.transport as transport

    monkeypatch.setattr(transport, "dedicated_pipes_available", lambda: (False, "no pass_fds"))
    monkeypatch.setattr(PipesTransport, "probe", lambda self: (False, "no pass_fds"))
    with pytest.raises(IsolationUnavailable, match="no pass_fds"):
        detect_isolation("process", transport="pipes")
    assert "(no pass_fds)" in detect_isolation("process").note


@pytest.mark.parametrize("level", ["namespace", "process"])
def test_the_stdio_transport_serves_any_level(tmp_path: Path, level: str) -> None:
    """The transport is orthogonal to the isolation: bubblewrap hands the worker its stdin and
    stdout as they are, and the harness rearranges them inside the namespace too."""
    try:
        detect_isolation(level)
    except IsolationUnavailable as exc:
        pytest.skip(str(exc))
    tmp_path.chmod(0o755)
    patch = "import os as _os\n_os.write(1, b'printed at import')\n"
    with _session(tmp_path, patch, level) as session:
        assert session.run(ADD, 1).values == (3.0,)
    assert session.student_output() == "printed at import" and session.tampered is None
