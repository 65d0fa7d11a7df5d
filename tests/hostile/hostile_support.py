"""Building, grading and inspecting hostile submissions (see tests/hostile/README.md).

A case is the reference engine with one hostile change appended (`cases/<name>/patch.py`), plus
any files under `cases/<name>/tree/` copied over the submission. `cases.toml` says what the grader
must make of it. `run_case` grades one case at one isolation level and records everything the
tests then assert on: the report, the results file before and after a pause, processes of the
submission still alive, files it managed to write outside its private tmp, connections it made.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import secrets
import shutil
import signal
import socket
import tempfile
import threading
import time
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from autograder.grading import GradeOptions, grade
from autograder.manifest import CheckSpec, load_assignment
from autograder.model import GradeReport
from autograder.reporters import write_gradescope
from autograder.sandbox import remove_tree

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
CASES_DIR = HERE / "cases"
CASES_TOML = HERE / "cases.toml"
REFERENCE = REPO / "reference" / "micrograd"
ASSIGNMENTS = REPO / "assignments"

# What a hostile case's expectations are about; each is asserted by its own test, so a level that
# cannot meet one (see `gaps` in cases.toml) is marked on exactly that expectation.
CATEGORIES = ("verdicts", "processes", "files", "network", "results", "time")

# The suite grades with small budgets so that ~60 cases run in a few minutes.
SUITE_LIMITS = {"call_timeout_s": 2.0, "memory_mb": 512, "max_examples": 3, "output_cap_kb": 64}
CANARY_OPS = ("add", "mul")  # always graded: unaffected checks must still pass
SETTLE_S = 0.3  # how long the results file must stay unchanged after grading


@dataclass(frozen=True)
class Case:
    """One hostile submission and what the grader must make of it."""

    name: str
    threats: tuple[int, ...]  # items of the threat list in docs/SECURITY.md
    what: str
    assignment: str = "ops"  # "ops" or "backprop"
    ops: tuple[str, ...] = ()  # op groups graded besides the canaries (ops assignment)
    fail: tuple[str, ...] = ()  # check id patterns that must fail with 0 points
    outcome: tuple[str, ...] = ()  # allowed outcomes of the failing checks
    either: tuple[str, ...] = ()  # may pass or fail (never more points than earned)
    feedback: tuple[str, ...] = ()  # substrings every failing check's feedback must contain
    messages: tuple[str, ...] = ()  # substrings the report's messages must contain
    allow_imports: tuple[str, ...] = ()
    max_wall_s: float = 30.0
    settle_s: float = SETTLE_S
    gaps: dict[str, dict[str, str]] = field(default_factory=dict)  # level -> category -> why
    skip: dict[str, str] = field(default_factory=dict)  # level -> why it must not run there
    base: str = ""  # another case whose patch follows this one's (this one sets what it reads)

    def graded_ops(self) -> tuple[str, ...]:
        ops = list(CANARY_OPS)
        for pattern in self.fail + self.either + tuple(f"engine.{o}.x" for o in self.ops):
            parts = pattern.split(".")
            if len(parts) == 3 and parts[0] == "engine" and parts[1] != "backward":
                if parts[1] == "*":
                    return ()  # every op
                ops.append(parts[1])
        return tuple(dict.fromkeys(ops))

    def fails(self, check_id: str) -> bool:
        return any(fnmatch.fnmatchcase(check_id, p) for p in self.fail)

    def may_fail(self, check_id: str) -> bool:
        return any(fnmatch.fnmatchcase(check_id, p) for p in self.either)


def load_cases() -> list[Case]:
    with open(CASES_TOML, "rb") as f:
        table = tomllib.load(f)
    cases = []
    for name, body in table.items():
        body = dict(body)
        gaps = {level: dict(why) for level, why in body.pop("gaps", {}).items()}
        skip = dict(body.pop("skip", {}))
        for key in ("threats", "ops", "fail", "outcome", "either", "feedback", "messages",
                    "allow_imports"):
            if key in body:
                body[key] = tuple(body[key])
        cases.append(Case(name=name, gaps=gaps, skip=skip, **body))
    return cases


# ---- building a case ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Plant:
    """Values substituted into a case's source, so it can aim at real paths of this run."""

    marker: str  # unique to this run: put in file names and argv of anything the case spawns
    base: Path  # everything of this run lives here (0755, so a worker uid could read the stage)
    src: Path  # the submission the grader stages from
    out: Path  # where results.json is written
    port: int  # a loopback port the suite listens on
    secret: str  # planted in a grader-only file; the case must never see it

    def substitutions(self) -> dict[str, str]:
        site = sorted((REPO / ".venv" / "lib").glob("python3*/site-packages"))
        return {
            "@MARK@": self.marker, "@BASE@": str(self.base), "@SRC@": str(self.src),
            "@OUT@": str(self.out), "@REPO@": str(REPO), "@PORT@": str(self.port),
            "@SECRET@": self.secret, "@SITE@": str(site[0]) if site else "",
        }


def build_submission(case: Case, plant: Plant) -> None:
    """The reference package with the case's patch appended to engine.py and its tree on top."""
    package = plant.src / "micrograd"
    package.mkdir(parents=True)
    for name in ("__init__.py", "engine.py"):
        shutil.copy(REFERENCE / name, package / name)
    case_dir = CASES_DIR / case.name
    patches = [case_dir / "patch.py"] + ([CASES_DIR / case.base / "patch.py"] if case.base else [])
    with open(package / "engine.py", "a") as engine:
        for patch in patches:
            if patch.exists():
                engine.write("\n\n# ---- hostile change " + "-" * 60 + "\n" + patch.read_text())
    tree = case_dir / "tree"
    if tree.is_dir():
        shutil.copytree(tree, plant.src, dirs_exist_ok=True)
    for path in plant.src.rglob("*"):
        if path.is_file() and path.suffix in (".py", ".pth", ".ipynb", ".ini", ".txt"):
            text = path.read_text()
            for key, value in plant.substitutions().items():
                text = text.replace(key, value)
            path.write_text(text)
    for path in [plant.src, *plant.src.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)


def write_assignment(case: Case, directory: Path) -> None:
    """A copy of the case's assignment manifest with the suite's small budgets, and only the
    checks of the ops the case attacks plus the canaries (all of them for backprop)."""
    with open(ASSIGNMENTS / case.assignment / "assignment.toml", "rb") as f:
        manifest = tomllib.load(f)
    manifest["limits"].update(SUITE_LIMITS)
    manifest["policy"] = {"allow_imports": list(case.allow_imports)}
    ops = case.graded_ops() if case.assignment == "ops" else ()
    if ops:  # the manifest's checks as it prices them (selectors resolved), for these ops only
        priced = load_assignment(ASSIGNMENTS / case.assignment / "assignment.toml").checks
        manifest["checks"] = {spec.id: _table(spec) for spec in priced
                              if spec.id.split(".")[1] in ops}
    target = directory / case.assignment
    target.mkdir(parents=True)
    (target / "assignment.toml").write_text(_toml(manifest))


def _table(spec: CheckSpec) -> dict:
    """One check's own table (braces doubled: a resolved title holds no placeholders)."""
    table: dict = {"points": spec.points, "visibility": spec.visibility}
    if spec.title is not None:
        table["title"] = spec.title.replace("{", "{{").replace("}", "}}")
    table["tags"] = [tag.replace("{", "{{").replace("}", "}}") for tag in spec.tags]
    if spec.params:
        table["params"] = dict(spec.params)
    return table


def _toml(manifest: dict) -> str:
    """Just enough TOML for an assignment manifest (tables of scalars, strings and lists)."""
    lines: list[str] = []

    def emit(prefix: str, table: dict) -> None:
        scalars = {k: v for k, v in table.items() if not isinstance(v, dict)}
        if prefix:
            lines.append(f"[{prefix}]")
        lines.extend(f"{json.dumps(k)} = {json.dumps(v)}" for k, v in scalars.items())
        lines.append("")
        for key, value in table.items():
            if isinstance(value, dict):
                emit(f"{prefix}.{json.dumps(key)}" if prefix else json.dumps(key), value)

    emit("", manifest)
    return "\n".join(lines)


# ---- what the submission left behind ------------------------------------------------------------


def submission_processes(needles: list[bytes]) -> list[str]:
    """Live processes (not zombies) whose command line, environment or mount table mentions one
    of `needles`: every worker's environment names its private tmp, every namespace worker's mount
    table names the staged submission, and processes a case starts carry its marker in argv."""
    me = os.getpid()
    ours = os.readlink("/proc/self/ns/mnt")
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == me:
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                if f.read().rsplit(b")", 1)[1].split()[0] in (b"Z", b"X"):
                    continue
            blobs = [Path(f"/proc/{entry}/cmdline").read_bytes(),
                     Path(f"/proc/{entry}/environ").read_bytes()]
            if os.readlink(f"/proc/{entry}/ns/mnt") != ours:
                blobs.append(Path(f"/proc/{entry}/mountinfo").read_bytes())
        except (OSError, IndexError):
            continue
        if any(n in blob for n in needles for blob in blobs):
            found.append(f"pid {entry}: {blobs[0][:120]!r}")
    return found


def kill_processes(needles: list[bytes]) -> None:
    """Safety net after a failed expectation: leave nothing running on the machine."""
    for _ in range(20):
        pids = [int(line.split()[1].rstrip(":")) for line in submission_processes(needles)]
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.05)


def escape_places(case: Case, plant: Plant) -> list[Path]:
    """Where a case may try to write: everywhere but its private tmp."""
    return [REPO, CASES_DIR / case.name, plant.base, plant.src, plant.src / "micrograd", plant.out,
            Path("/tmp"), Path("/var/tmp"), Path("/dev/shm"), Path.home(), Path.cwd(), Path("/")]


def escaped_files(marker: str, places: list[Path]) -> list[Path]:
    found: set[Path] = set()
    for place in places:
        try:
            found.update(p for p in place.iterdir() if marker in p.name)
        except OSError:
            continue
    return sorted(found)


def tree_digest(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        digest.update(str(path.relative_to(root)).encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


class Listener:
    """A loopback TCP and UDP listener counting what reaches it (the network case aims here)."""

    def __init__(self) -> None:
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.bind(("127.0.0.1", 0))
        self.tcp.listen(16)
        self.tcp.settimeout(0.1)
        self.port = self.tcp.getsockname()[1]
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", self.port))
        self.udp.settimeout(0.1)
        self.contacts = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            for sock in (self.tcp, self.udp):
                try:
                    if sock is self.tcp:
                        conn, _ = sock.accept()
                        conn.close()
                    else:
                        sock.recv(2048)
                    self.contacts += 1
                except OSError:
                    continue

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.tcp.close()
        self.udp.close()


# ---- running a case -----------------------------------------------------------------------------


@dataclass
class Run:
    """Everything observed while and after grading one case at one level."""

    case: Case
    level: str
    report: GradeReport
    wall_s: float
    results_text: str
    results_stable: bool
    leftovers: list[str]
    escapes: list[Path]
    worker_tmps: list[Path]
    source_changed: bool
    contacts: int
    plant: Plant


@contextmanager
def _tempdir_in(directory: Path) -> Iterator[None]:
    """Route the grader's temporary folders (stage, worker tmps) into this run's base folder, so
    whatever a worker leaves running still names a path unique to this run."""
    previous = tempfile.tempdir
    tempfile.tempdir = str(directory)
    try:
        yield
    finally:
        tempfile.tempdir = previous


def run_case(case: Case, level: str) -> Run:
    base = Path(tempfile.mkdtemp(prefix="mgrade-hostile-", dir="/tmp"))
    base.chmod(0o755)
    marker = f"mgrade-hostile-{case.name}-{secrets.token_hex(4)}"
    listener = Listener()
    plant = Plant(marker, base, base / "src", base / "out", listener.port, secrets.token_hex(16))
    needles = [marker.encode(), base.name.encode()]
    try:
        plant.out.mkdir()
        secret_file = base / "grader-secret.txt"
        secret_file.write_text(plant.secret)
        secret_file.chmod(0o600)
        build_submission(case, plant)
        (base / "assignments").mkdir()
        write_assignment(case, base / "assignments")
        before = tree_digest(plant.src)
        options = GradeOptions(assignments=[case.assignment], isolation=level,
                               transport=os.environ.get("MGRADE_HOSTILE_TRANSPORT") or None,
                               assignment_dirs=[base / "assignments"])
        started = time.monotonic()
        with _tempdir_in(base):
            report = grade(plant.src, options)
        wall = time.monotonic() - started
        leftovers = submission_processes(needles)
        results = plant.out / "results.json"
        try:
            write_gradescope(report, results)
            text = results.read_text()
            stamp = results.stat().st_mtime_ns
            listing = sorted(p.name for p in plant.out.iterdir())
            time.sleep(case.settle_s)
            stable = results.read_text() == text and results.stat().st_mtime_ns == stamp and (
                sorted(p.name for p in plant.out.iterdir()) == listing)
        except OSError as exc:  # e.g. the case made results.json a folder (process level)
            text, stable = f"results.json could not be written: {exc}", False
        escapes = escaped_files(marker, escape_places(case, plant))
        return Run(case, level, report, wall, text, stable, leftovers, escapes,
                   sorted(base.glob("mgrade-worker-*")), tree_digest(plant.src) != before,
                   listener.contacts, plant)
    finally:
        listener.close()
        kill_processes(needles)
        for path in escaped_files(marker, escape_places(case, plant)):
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
        remove_tree(base)  # whatever a case left there: folders of mode 000, deep nesting
