"""Drawn examples kept pickled in memory and on disk, so grades draw only what nobody drew before.

- a kept example loads as a fresh private copy, exactly equal to what was drawn; loading builds
  nothing but example data (no code runs, no class changes, anything else is unreadable);
- examples a fresh process left on disk equal what a fresh draw gives, value for value;
- a grade from a warm disk cache gives exactly the verdicts of a grade without caching, and so
  does a grade whose cache files are damaged or forged, or whose cache directory is unusable;
- a change of anything that decides the draw finds no file.

The disk cache tests use their own directories (the session's is set in tests/conftest.py).
"""

from __future__ import annotations

import copy
import dataclasses
import os
import pickle
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from types import MappingProxyType

import hypothesis
import pytest
from util import REPO

from autograder.checks import batching, examplecache
from autograder.checks.backprop import Fanout
from autograder.checks.engine_ops import Case
from autograder.checks.examplecache import (
    MAGIC,
    RUN,
    SOURCES,
    Drawn,
    ExampleCache,
    ExampleStore,
    cache_dir,
    source_digest,
)
from autograder.checks.graphs import Graph, Node
from autograder.checks.network.backward import LossCase
from autograder.checks.network.forward import ForwardCase
from autograder.checks.network.nets import Block, Net
from autograder.checks.network.parameters import ProbeCase
from autograder.checks.pickled import Unreadable, freeze, thaw
from autograder.demo import discover, materialize
from autograder.gradecache import GradeCache
from autograder.grading import GradeOptions, grade, load_assignments
from autograder.model import Outcome
from autograder.ops import OPS, OPS_BY_NAME, by_name

EXAMPLES = {example.name: example for example in discover()}
ENGINE_ONLY = ("engine.add.forward", "engine.add.backward", "engine.mul.backward",
               "engine.rsub.forward", "engine.tanh.backward", "engine.backward.seed",
               "engine.backward.graphs", "engine.backward.accumulation")
NN_ONLY = ("nn.neuron.forward", "nn.mlp.forward", "nn.mlp.backward", "nn.zero_grad")
NET = Net("MLP", 2, (3, 1))
VALUES = (
    {"a": 1.5, "b": -0.0},
    Case({"a": 2.0, "b": -3.25}, {"a": 0.0, "b": 1e-300}, -1.0, True),
    Graph((0.5, -0.0, 2.0), (Node("add", (0, 1)), Node("pow", (3,), 3), Node("tanh", (4,)))),
    Fanout(0.25, 2.0, ((Node("exp", (0,)),), (Node("pow", (0,), -1), Node("neg", (0,))))),
    ForwardCase(NET, [0.125] * 13, [[1.0, -2.0], [0.5, 0.0]]),
    LossCase(NET, "hinge", [0.5] * 13, [[1.0, 2.0]], [1.0], 0.25),
    ProbeCase(Net("Neuron", 2, (1,), False), [0.5, 0.25, 1.0], [2.0, 1.0]),
    (LossCase(Net("MLP", 2, (3, 2)), "mse", [0.0] * 17, [[1.0, 1.0]], [[0.5, -0.5]]), [0.5, -2]),
)


def exact(got: object, want: object) -> None:
    """Equal, and of the same types all the way down (-0.0 is not 0.0, 1 is not 1.0)."""
    assert type(got) is type(want), (got, want)
    if isinstance(want, MappingProxyType):
        assert got is want  # the op table is shared, never copied
    elif dataclasses.is_dataclass(want):
        for field in dataclasses.fields(want):
            exact(getattr(got, field.name), getattr(want, field.name))
    elif isinstance(want, dict):
        assert list(got) == list(want)
        for key in want:
            exact(got[key], want[key])
    elif isinstance(want, list | tuple):
        assert len(got) == len(want)
        for a, b in zip(got, want, strict=True):
            exact(a, b)
    else:
        assert repr(got) == repr(want)


def _verdicts(report) -> list[tuple]:
    return [(r.check_id, r.verdict.outcome, r.verdict.summary, r.verdict.feedback,
             r.verdict.repro, r.verdict.examples, r.verdict.notes, r.score) for r in report.results]


def _grade(submission: Path, only: tuple[str, ...], examples: ExampleCache | None):
    assignments = ["ops", "backprop"] if only is ENGINE_ONLY else ["mlp"]
    cache = GradeCache() if examples is None else GradeCache(examples=examples)
    return grade(submission, GradeOptions(assignments=assignments, only=only, oracle="python",
                                          cache=cache))


# ---- private copies ------------------------------------------------------------------------------


@pytest.mark.parametrize("value", VALUES, ids=lambda v: type(v).__name__)
def test_a_kept_example_loads_as_an_exact_private_copy(value: object) -> None:
    kept = freeze(value)
    one, two = thaw(kept), thaw(kept)
    exact(one, value)
    exact(two, value)
    assert one is not value and one is not two
    inner = one[0] if isinstance(one, tuple) else one
    if isinstance(inner, dict):
        inner["a"] = 99.0
    else:
        for field in dataclasses.fields(inner):
            item = getattr(inner, field.name)
            if isinstance(item, list | dict):
                item.clear()  # a body that empties its example's list changes only its copy
    exact(thaw(kept), value)


def test_graphs_refer_to_the_op_table_instead_of_copying_it() -> None:
    graph = thaw(freeze(VALUES[2]))
    assert graph.table is OPS_BY_NAME
    assert len(freeze(VALUES[2])) < 400  # no op row (with its functions) is in the bytes


@pytest.mark.parametrize("value", [OPS[0], by_name(OPS), Block(0, 2, 3, True, 0), len, object()],
                         ids=["op", "another-table", "block", "builtin", "object"])
def test_anything_but_example_data_is_not_kept(value: object) -> None:
    with pytest.raises(pickle.PicklingError):
        freeze([1.0, value])


class _Shell:
    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self):
        return os.system, (self.command,)


def test_loading_builds_only_example_data(tmp_path: Path) -> None:
    """Pickles a bad cache file could hold: they are unreadable, and none of them runs anything."""
    marker = tmp_path / "ran"
    valid = freeze(VALUES[1])
    bad = [
        pickle.dumps(os.system),
        pickle.dumps(_Shell(f"touch {marker}")),
        pickle.dumps([1.0, _Shell(f"touch {marker}")], protocol=0),
        pickle.dumps(VALUES[1]),  # the standard pickle of an allowed class: built without __init__
        pickle.dumps(Block(0, 2, 3, True, 0)),  # a frozen dataclass, but never an example
        b"cautograder.checks.graphs\nNode.__init__.__globals__\n.",
        b"P1\n.",  # an unknown persistent id
        valid[: len(valid) // 2],
        b"",
        b"\x00garbage",
    ]
    for data in bad:
        with pytest.raises(Unreadable):
            thaw(data)
    assert not marker.exists()


def test_loading_cannot_change_an_example_class() -> None:
    """pickle's BUILD sets attributes on whatever it is given: never a class of the grader."""
    before = dict(vars(Node))
    crafted = b"cautograder.checks.graphs\nNode\n(N}S'build'\nI1\nstb."  # Node.build = 1
    try:
        thaw(crafted)
    except Unreadable:
        pass
    assert dict(vars(Node)) == before


# ---- the disk cache against fresh draws ----------------------------------------------------------


def _capture(monkeypatch: pytest.MonkeyPatch) -> dict[tuple, tuple[list, list[str]]]:
    """{key: (values as hypothesis drew them, statuses)} of every draw of this process."""
    drawn: dict[tuple, tuple[list, list[str]]] = {}
    pending: list = []
    keep, put = batching._keep, ExampleCache.put

    def recording_keep(value):
        pending.append(copy.deepcopy(value, {id(OPS_BY_NAME): OPS_BY_NAME}))
        return keep(value)

    def recording_put(self, key, items):
        drawn[key] = (list(pending), [item.status for item in items])
        pending.clear()
        put(self, key, items)

    monkeypatch.setattr(batching, "_keep", recording_keep)
    monkeypatch.setattr(ExampleCache, "put", recording_put)
    return drawn


@pytest.mark.slow
def test_examples_a_fresh_process_kept_equal_a_fresh_draw(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Every property check of ops, backprop and mlp (all but training, which draws nothing)."""
    submission = materialize(EXAMPLES["reference"], tmp_path)
    script = textwrap.dedent(f"""
        from pathlib import Path
        from autograder.grading import GradeOptions, grade, load_assignments
        assignments = ["ops", "backprop", "mlp"]
        only = [c.id for a in load_assignments(assignments, []) for c in a.checks
                if c.id != "nn.train.moons"]
        grade(Path({str(submission)!r}), GradeOptions(assignments, oracle="python", only=only))
    """)
    disk = tmp_path / "disk"
    subprocess.run([sys.executable, "-c", script], check=True, cwd=REPO, timeout=600,
                   env={**os.environ, "MGRADE_CACHE_DIR": str(disk)})
    drawn = _capture(monkeypatch)
    only = tuple(c.id for a in load_assignments(["ops", "backprop", "mlp"], []) for c in a.checks
                 if c.id != "nn.train.moons")
    cache = GradeCache(examples=ExampleCache())  # no disk: every example drawn here and now
    grade(submission, GradeOptions(["ops", "backprop", "mlp"], oracle="python", only=only,
                                   cache=cache))
    assert cache.examples.misses == len(drawn) and not cache.examples.hits

    store = ExampleStore(disk)
    for key, (values, statuses) in drawn.items():
        kept = store.load(key)
        assert kept is not None, key[0]
        assert [item.status for item in kept] == statuses, key[0]
        for item, value in zip(kept, values, strict=True):
            exact(thaw(item.pickled), value)
    assert len(list((disk / "examples").glob("*.examples"))) == len(drawn)
    checks = {key[0] for key in drawn}
    assert {f"engine.{op.name}.{part}" for op in OPS for part in ("forward", "backward")} <= checks
    assert {"engine.backward.graphs", "engine.backward.accumulation", "nn.neuron.forward",
            "nn.layer.forward", "nn.mlp.forward", "nn.mlp.backward", "nn.zero_grad",
            "nn.sgd_step", "nn.neuron.parameters", "nn.mlp.parameters"} <= checks


DRAW_ADD_FORWARD = """
import sys
from pathlib import Path
sys.path.insert(0, sys.argv[2])
if sys.argv[1] == "with":
    import distinctive_constants  # noqa: F401 - a local module: hypothesis would mine it
from autograder.checks.examplecache import ExampleCache
from autograder.checks.pickled import thaw
from autograder.gradecache import GradeCache
from autograder.grading import GradeOptions, grade
cache = GradeCache(examples=ExampleCache())
grade(Path(sys.argv[3]), GradeOptions(["ops"], oracle="python", only=("engine.add.forward",),
                                      cache=cache))
(drawn,) = cache.examples._drawn.values()
print(repr([thaw(item.pickled) for item in drawn]))
"""


def test_local_constants_are_off_for_the_installed_hypothesis() -> None:
    """A hypothesis release that moves its local constants elsewhere must fail here, loudly."""
    from hypothesis.internal.conjecture import providers

    from autograder.checks.base import ignore_local_constants

    assert ignore_local_constants() is True
    assert not providers._get_local_constants().floats


def test_the_modules_a_process_has_loaded_do_not_change_its_examples(tmp_path: Path) -> None:
    """hypothesis mines constants from the source of loaded local modules; the grader's draws
    must depend on the seed alone, not on what else the process imported."""
    submission = materialize(EXAMPLES["reference"], tmp_path)
    constants = [f"{k * 0.0123456789 + 1.5:.10f}" for k in range(1, 200)]
    (tmp_path / "distinctive_constants.py").write_text(
        "VALUES = [" + ", ".join(constants) + "]\n", encoding="utf-8")

    def draw(mode: str) -> str:
        run = subprocess.run([sys.executable, "-c", DRAW_ADD_FORWARD, mode, str(tmp_path),
                              str(submission)], capture_output=True, text=True, cwd=tmp_path,
                             timeout=300, env={**os.environ, "MGRADE_CACHE_DIR": ""})
        assert run.returncode == 0, run.stderr
        return run.stdout

    plain, with_constants = draw("without"), draw("with")
    assert plain == with_constants
    assert not any(c.rstrip("0") in plain for c in constants)


# ---- grades from the disk cache ------------------------------------------------------------------


@pytest.mark.parametrize(("name", "only"), [
    ("reference", ENGINE_ONLY), ("eq_not_pluseq", ENGINE_ONLY),
    ("wrong_tanh_derivative", ENGINE_ONLY), ("nn_no_bias", NN_ONLY)])
def test_a_warm_disk_cache_gives_the_verdicts_of_a_grade_without_it(
        tmp_path: Path, name: str, only: tuple[str, ...]) -> None:
    submission = materialize(EXAMPLES[name], tmp_path)
    without = _grade(submission, only, ExampleCache())
    _grade(submission, only, ExampleCache(ExampleStore(tmp_path / "disk")))  # fills the disk
    warm = ExampleCache(ExampleStore(tmp_path / "disk"))  # a new process's cache
    assert _verdicts(_grade(submission, only, warm)) == _verdicts(without)
    assert warm.loaded and not warm.misses
    if name != "reference":
        assert any(r.verdict.outcome is not Outcome.PASSED for r in without.results)


@pytest.fixture(scope="module")
def buggy(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[tuple], Path]:
    """A buggy submission, its verdicts without caching, and a disk cache its grade filled."""
    folder = tmp_path_factory.mktemp("buggy")
    submission = materialize(EXAMPLES["wrong_tanh_derivative"], folder)
    verdicts = _verdicts(_grade(submission, ENGINE_ONLY, ExampleCache()))
    _grade(submission, ENGINE_ONLY, ExampleCache(ExampleStore(folder / "filled")))
    return submission, verdicts, folder / "filled"


def _rewrite(path: Path, body: bytes) -> None:
    import hashlib

    path.write_bytes(MAGIC + hashlib.sha256(body).digest() + body)


def _damage(path: Path, how: str, marker: Path) -> None:
    data = path.read_bytes()
    body = data[len(MAGIC) + 32:]
    text, items = pickle.loads(body)  # the test trusts the file it wrote itself
    if how == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif how == "flipped-byte":
        path.write_bytes(data[:-40] + bytes([data[-40] ^ 0x01]) + data[-39:])
    elif how == "empty":
        path.write_bytes(b"")
    elif how == "os.system":  # the whole file is a pickle of os.system (with a valid header)
        _rewrite(path, pickle.dumps(os.system))
    elif how == "shell-examples":  # a valid file whose examples would run a command
        evil = pickle.dumps(_Shell(f"touch {marker}"))
        _rewrite(path, pickle.dumps((text, tuple((status, evil) for status, _ in items))))
    elif how == "foreign":  # another key's file under this name
        _rewrite(path, pickle.dumps((text + "x", items)))
    elif how == "bad-status":
        _rewrite(path, pickle.dumps((text, tuple(("passed", blob) for _, blob in items))))


@pytest.mark.parametrize("how", ["truncated", "flipped-byte", "empty", "os.system",
                                 "shell-examples", "foreign", "bad-status"])
def test_damaged_or_forged_files_are_drawn_again(tmp_path: Path, buggy, how: str) -> None:
    submission, verdicts, filled = buggy
    disk = tmp_path / "disk"
    shutil.copytree(filled, disk)
    marker = tmp_path / "ran"
    files = sorted((disk / "examples").glob("*.examples"))
    assert files
    for path in files:
        _damage(path, how, marker)
    examples = ExampleCache(ExampleStore(disk))
    assert _verdicts(_grade(submission, ENGINE_ONLY, examples)) == verdicts
    assert not marker.exists()
    assert examples.misses + examples.unreadable >= len(files) and not examples.hits
    again = ExampleCache(ExampleStore(disk))  # the damaged files were written again, whole
    _grade(submission, ENGINE_ONLY, again)
    assert again.loaded and not again.misses and not again.unreadable


def _unusable(tmp_path: Path, how: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if how == "disabled":
        monkeypatch.setenv("MGRADE_CACHE_DIR", "")
        return
    if how == "under-a-file":
        (tmp_path / "file").write_text("x")
        monkeypatch.setenv("MGRADE_CACHE_DIR", str(tmp_path / "file" / "cache"))
        return
    root = tmp_path / "cache"
    (root / "examples").mkdir(parents=True)
    if how == "read-only":
        if os.geteuid() == 0:
            pytest.skip("root writes to read-only directories")
        (root / "examples").chmod(0o500)
    elif how == "others-can-write":
        (root / "examples").chmod(0o777)
    monkeypatch.setenv("MGRADE_CACHE_DIR", str(root))


@pytest.mark.skipif(not hasattr(os, "geteuid"), reason="POSIX permissions")
@pytest.mark.parametrize("how", ["disabled", "under-a-file", "read-only", "others-can-write"])
def test_an_unusable_cache_directory_only_means_no_disk_cache(
        tmp_path: Path, buggy, how: str, monkeypatch: pytest.MonkeyPatch) -> None:
    submission, verdicts, _ = buggy
    _unusable(tmp_path, how, monkeypatch)
    cache = GradeCache()  # as `mgrade grade` makes it: from the environment
    assert _verdicts(grade(submission, GradeOptions(["ops", "backprop"], only=ENGINE_ONLY,
                                                    oracle="python", cache=cache))) == verdicts
    assert cache.examples.misses and not cache.examples.loaded
    store = cache.examples.store
    assert store is None if how == "disabled" else store.folder() is None and store.problem
    assert not list(tmp_path.rglob("*.examples"))


# ---- keys ----------------------------------------------------------------------------------------


def test_a_change_of_anything_that_decides_the_draw_misses(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    key = ("engine.add.forward", 123, 40, "fixed_dictionaries({'a': floats()})", "()")
    kept = [Drawn(freeze({"a": 1.0}), RUN)]
    ExampleStore(tmp_path).save(key, kept)
    assert ExampleStore(tmp_path).load(key) == tuple(kept)
    for index in range(len(key)):  # the check, its seed, budget, strategy, explicit examples
        changed = key[:index] + (key[index] + (1 if index in (1, 2) else "x"),) + key[index + 1:]
        assert ExampleStore(tmp_path).load(changed) is None, index
    for module, name in [(examplecache, "__version__"), (hypothesis, "__version__"),
                         (sys, "version")]:
        with monkeypatch.context() as patch:
            patch.setattr(module, name, getattr(module, name) + "+changed")
            assert ExampleStore(tmp_path).load(key) is None, name
    with monkeypatch.context() as patch:
        patch.setattr(examplecache, "source_digest", lambda: "another source")
        assert ExampleStore(tmp_path).load(key) is None
    assert ExampleStore(tmp_path).load(key) == tuple(kept)


@pytest.mark.parametrize("edited", ["checks/graphs.py", "checks/network/strategies.py",
                                    "domains.py", "ops.py"])
def test_the_source_digest_changes_with_the_code_that_draws(tmp_path: Path, edited: str) -> None:
    package = tmp_path / "autograder"
    for name in SOURCES:
        source = REPO / "autograder" / name
        assert source.exists(), name
        if source.is_dir():
            shutil.copytree(source, package / name)
        else:
            (package / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, package / name)
    assert source_digest(package) == source_digest()
    with open(package / edited, "a", encoding="utf-8") as file:
        file.write("\n# changed\n")
    assert source_digest(package) != source_digest()


def test_the_cache_directory_follows_the_environment(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    home = tmp_path / "home" / ".cache" / "mgrade"
    assert cache_dir({"MGRADE_CACHE_DIR": "/srv/c", "XDG_CACHE_HOME": "/x"}) == Path("/srv/c")
    assert cache_dir({"MGRADE_CACHE_DIR": "", "XDG_CACHE_HOME": "/x"}) is None
    assert cache_dir({"XDG_CACHE_HOME": "/x"}) == Path("/x/mgrade")
    assert cache_dir({"XDG_CACHE_HOME": "relative"}) == home
    assert cache_dir({}) == home
