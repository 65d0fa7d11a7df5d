"""`mgrade release`: the students' template is generated from the reference and never drifts.

The first half builds small reference packages in tmp_path, so the generator's rules are pinned down
independently of the real reference; the second half checks the real repository (the drift check
CI runs, and that every stub in the committed template really raises with a message naming it).
"""

from __future__ import annotations

import ast
import inspect
import itertools
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest
from util import REFERENCE, REPO, TEMPLATE, load_micrograd, template

from autograder.release import (
    ReleaseError,
    check_template,
    default_paths,
    generate_template,
    stub_source,
    stubbed_functions,
    write_template,
)

FIXTURE_ENGINE = '''\
"""A tiny engine used only by these tests."""

import math


class Value:
    """A scalar and its gradient."""

    def __init__(self, data, _children=(), _op=""):
        self.data = data
        self.grad = 0
        self._backward = lambda: None
        self._prev = set(_children)

    def __add__(self, other: "Value | float") -> "Value":
        """Return self + other."""
        ### BEGIN SOLUTION
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out
        ### END SOLUTION

    def __pow__(self, k):
        """Return self ** k for a plain number k."""
        # Hint: the derivative of a**k is k * a**(k-1).
        assert isinstance(k, (int, float)), "only numeric powers"
        ### BEGIN SOLUTION
        out = Value(self.data**k, (self,), f"**{k}")
        out._backward = lambda: None
        ### END SOLUTION
        return out

    def tanh(self):
        """Return tanh(self)."""
        out = Value(math.tanh(self.data), (self,), "tanh")

        def _backward():
            """Push out.grad into self.grad."""
            ### BEGIN SOLUTION
            self.grad += (1 - out.data**2) * out.grad
            ### END SOLUTION

        out._backward = _backward
        return out

    def backward(self):
        """Backpropagate from this node."""
        ### BEGIN SOLUTION
        topo, seen = [], set()

        def build(v):
            if v not in seen:
                seen.add(v)
                for child in v._prev:
                    build(child)
                topo.append(v)

        build(self)
        self.grad = 1
        for v in reversed(topo):
            v._backward()
        ### END SOLUTION

    def __neg__(self):
        ### BEGIN SOLUTION
        return self * -1
        ### END SOLUTION

    def __repr__(self):
        return f"Value(data={self.data})"


def total(values):
    """Sum a list of Values, starting from the first."""
    ### BEGIN SOLUTION
    result = values[0]
    for v in values[1:]:
        result = result + v
    return result
    ### END SOLUTION
'''

FIXTURE_NN = '''\
"""A tiny network library used only by these tests."""

from .engine import Value


class Neuron:
    """One neuron: weights, a bias, tanh."""

    def __init__(self, nin):
        """Make nin weights and a bias."""
        ### BEGIN SOLUTION
        self.w = [Value(0.1 * i) for i in range(nin)]
        self.b = Value(0.0)
        ### END SOLUTION

    def __call__(self, x):
        """Return tanh(w . x + b)."""
        ### BEGIN SOLUTION
        act = self.b
        for wi, xi in zip(self.w, x):
            act = act + wi * xi
        return act.tanh()
        ### END SOLUTION

    def parameters(self):
        """All weights, then the bias."""
        ### BEGIN SOLUTION
        return self.w + [self.b]
        ### END SOLUTION
'''

FIXTURE_VIZ = '''\
"""Drawing helpers: nothing for students to write."""


def trace(root):
    """Collect the nodes of the graph rooted at root."""
    nodes, stack = set(), [root]
    while stack:
        node = stack.pop()
        if node not in nodes:
            nodes.add(node)
            stack.extend(node._prev)
    return nodes
'''

FIXTURE_INIT = '"""The fixture package."""\n\nfrom .engine import Value\n\n__all__ = ["Value"]\n'


def make_reference(root: Path, engine: str = FIXTURE_ENGINE) -> Path:
    """A reference package at root/reference/micrograd, like the repository's layout."""
    package = root / "reference" / "micrograd"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(FIXTURE_INIT)
    (package / "engine.py").write_text(engine)
    (package / "nn.py").write_text(FIXTURE_NN)
    (package / "viz.py").write_text(FIXTURE_VIZ)
    (package / "__pycache__").mkdir()
    (package / "__pycache__" / "engine.cpython-311.pyc").write_bytes(b"\0junk")
    (package / "notes.txt").write_text("instructor notes, not shipped\n")
    return package


@pytest.fixture
def reference_dir(tmp_path: Path) -> Path:
    return make_reference(tmp_path)


def body_without_header(text: str) -> str:
    """A generated file minus its header: the comment lines up to "(Generated by ...)"."""
    lines = text.splitlines(keepends=True)
    end = next(i for i, line in enumerate(lines) if line.startswith("# (Generated by `mgrade"))
    assert all(line.startswith("#") for line in lines[:end]), lines[:end]
    return "".join(lines[end + 1 :])


def dump(node: ast.AST | None) -> str | None:
    return None if node is None else ast.dump(node)


def functions_by_name(source: str) -> dict[str, ast.FunctionDef]:
    found: dict[str, ast.FunctionDef] = {}

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.ClassDef):
                name = f"{prefix}{child.name}"
                if isinstance(child, ast.FunctionDef):
                    found[name] = child
                visit(child, name + ".")
            else:
                visit(child, prefix)

    visit(ast.parse(source), "")
    return found


# --- generation rules ----------------------------------------------------------------------------


def test_region_becomes_one_stub_line_with_a_message_naming_the_method(reference_dir: Path):
    engine = generate_template(reference_dir)["micrograd/engine.py"]
    expected = (
        '        raise NotImplementedError("Value.__add__: implement the forward pass and its '
        '_backward (see the docstring)")\n'
    )
    assert expected in engine
    assert "self.data + other.data" not in engine
    assert "SOLUTION" not in engine
    ast.parse(engine)


def test_messages_follow_the_enclosing_function(reference_dir: Path):
    engine = generate_template(reference_dir)["micrograd/engine.py"]
    nn = generate_template(reference_dir)["micrograd/nn.py"]
    messages = [
        "Value.backward: implement backpropagation: visit the graph in topological order and "
        "call each node's _backward (see the docstring)",
        # A region inside a nested function is named after it.
        "Value.tanh._backward: implement the chain rule for this op: add the local gradients to "
        "the inputs' .grad (see the docstring)",
        # No docstring, so no pointer to one.
        'Value.__neg__: implement this method"',
        "total: implement this function (see the docstring)",
    ]
    for message in messages:
        assert message in engine
    assert '"Neuron.__init__: implement the constructor (see the docstring)"' in nn
    assert '"Neuron.__call__: implement the forward pass (see the docstring)"' in nn
    assert '"Neuron.parameters: return the list of parameters (see the docstring)"' in nn


def test_signatures_docstrings_and_hints_outside_regions_are_kept(reference_dir: Path):
    files = generate_template(reference_dir)
    for name in ("engine.py", "nn.py"):
        original = functions_by_name((reference_dir / name).read_text())
        generated = functions_by_name(files[f"micrograd/{name}"])
        assert generated.keys() - original.keys() == set(), name
        for qualname, node in generated.items():
            twin = original[qualname]
            assert ast.dump(node.args) == ast.dump(twin.args), qualname
            assert dump(node.returns) == dump(twin.returns), qualname
            assert ast.get_docstring(node) == ast.get_docstring(twin), qualname
    engine = files["micrograd/engine.py"]
    assert "        # Hint: the derivative of a**k is k * a**(k-1).\n" in engine


def test_code_outside_regions_is_copied_verbatim_even_after_an_end_marker(reference_dir: Path):
    engine = generate_template(reference_dir)["micrograd/engine.py"]
    pow_body = (
        '        assert isinstance(k, (int, float)), "only numeric powers"\n'
        '        raise NotImplementedError("Value.__pow__: implement the forward pass and its '
        '_backward (see the docstring)")\n'
        "        return out\n"
    )
    assert pow_body in engine
    # tanh's forward pass is outside the region and stays; only the nested _backward is stubbed.
    assert '        out = Value(math.tanh(self.data), (self,), "tanh")\n' in engine


def test_files_without_regions_are_copied_with_only_the_header_added(reference_dir: Path):
    files = generate_template(reference_dir)
    assert body_without_header(files["micrograd/viz.py"]) == FIXTURE_VIZ
    assert body_without_header(files["micrograd/__init__.py"]) == FIXTURE_INIT
    for rel, text in files.items():
        if rel.endswith(".py"):
            assert f"# (Generated by `mgrade release` from reference/{rel}.)\n" in text
    assert files["micrograd/viz.py"].startswith("# Nothing to fill in here")


def test_the_header_names_the_functions_to_fill_in(reference_dir: Path):
    """Students edit these files: the header says what to write, and only one line is for
    instructors."""
    engine = generate_template(reference_dir)["micrograd/engine.py"]
    header = engine[: engine.index("# (Generated by")]
    assert header.startswith("# Your part: fill in ")
    for name in stubbed_functions(reference_dir)["micrograd/engine.py"]:
        assert name in header
    assert "Do not edit" not in engine


def test_only_source_files_and_the_template_readme_are_generated(reference_dir: Path):
    files = generate_template(reference_dir)
    assert sorted(files) == [
        "README.md",
        "micrograd/__init__.py",
        "micrograd/engine.py",
        "micrograd/nn.py",
        "micrograd/viz.py",
    ]
    readme = files["README.md"]
    assert "- `Value.__add__`\n" in readme and "- `Neuron.parameters`\n" in readme
    assert "viz.py" not in readme  # nothing to implement there


def test_a_package_readme_is_shipped_but_markers_outside_python_are_refused(reference_dir: Path):
    (reference_dir / "README.md").write_text("How to use the engine.\n")
    assert generate_template(reference_dir)["micrograd/README.md"] == "How to use the engine.\n"
    (reference_dir / "README.md").write_text("Answer:\n### BEGIN SOLUTION\nx\n### END SOLUTION\n")
    with pytest.raises(ReleaseError, match=r"reference/micrograd/README\.md: solution markers"):
        generate_template(reference_dir)


def test_marker_text_inside_a_string_is_not_a_marker():
    source = textwrap.dedent('''\
        def f():
            """Mark regions with
            ### BEGIN SOLUTION
            and ### END SOLUTION lines."""
            return 1
        ''')
    assert stub_source(source, "f.py") == source


def test_generation_is_deterministic_and_independent_of_where_the_checkout_is(
    reference_dir: Path, tmp_path: Path
):
    first = generate_template(reference_dir)
    assert generate_template(reference_dir) == first
    elsewhere = tmp_path / "elsewhere" / "reference" / "micrograd"
    shutil.copytree(reference_dir, elsewhere)
    assert generate_template(elsewhere) == first


def test_relative_paths_such_as_the_current_directory_work(
    reference_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    expected = generate_template(reference_dir)
    write_template(reference_dir, tmp_path / "students_template")
    (tmp_path / "students_template" / "micrograd" / "nn.py").unlink()
    monkeypatch.chdir(reference_dir)
    assert generate_template(Path(".")) == expected
    assert check_template(Path("."), Path("../../students_template")) == [
        "students_template/micrograd/nn.py is missing (run `mgrade release`)"
    ]


def test_stubbed_functions_lists_each_student_function_once_in_source_order(reference_dir: Path):
    assert stubbed_functions(reference_dir) == {
        "micrograd/__init__.py": [],
        "micrograd/engine.py": [
            "Value.__add__",
            "Value.__pow__",
            "Value.tanh._backward",
            "Value.backward",
            "Value.__neg__",
            "total",
        ],
        "micrograd/nn.py": ["Neuron.__init__", "Neuron.__call__", "Neuron.parameters"],
        "micrograd/viz.py": [],
    }


def test_generated_fixture_template_imports_and_its_stubs_raise(
    reference_dir: Path, tmp_path: Path
):
    write_template(reference_dir, tmp_path / "tpl")
    package = load_micrograd(tmp_path / "tpl" / "micrograd", f"release_fixture_{id(tmp_path)}")
    Value = package.engine.Value
    with pytest.raises(NotImplementedError, match=r"^Value\.__add__: "):
        Value(1.0) + Value(2.0)
    # The forward pass of tanh is the reference's; its nested _backward is the stub.
    out = Value(0.5).tanh()
    with pytest.raises(NotImplementedError, match=r"^Value\.tanh\._backward: "):
        out._backward()
    for file, names in stubbed_functions(reference_dir).items():
        module = getattr(package, Path(file).stem) if file != "micrograd/__init__.py" else package
        for qualname in names:
            if qualname.count(".") < 2:
                assert_stub_raises(module, qualname, Value)


# --- malformed references ------------------------------------------------------------------------

MALFORMED = {
    "begin without end": (
        """\
        def f():
            ### BEGIN SOLUTION
            return 1
        """,
        r"f\.py:2: BEGIN SOLUTION has no matching END SOLUTION",
    ),
    "nested begin": (
        """\
        def f():
            ### BEGIN SOLUTION
            x = 1
            ### BEGIN SOLUTION
            return x
            ### END SOLUTION
        """,
        r"f\.py:4: nested BEGIN SOLUTION \(the region opened at line 2 is not closed yet\)",
    ),
    "end without begin": (
        """\
        def f():
            return 1
            ### END SOLUTION
        """,
        r"f\.py:3: END SOLUTION without a BEGIN SOLUTION",
    ),
    "region at module level": (
        """\
        import math
        ### BEGIN SOLUTION
        X = 1
        ### END SOLUTION
        """,
        r"f\.py:2: solution region outside any function",
    ),
    "region in a class body": (
        """\
        class A:
            ### BEGIN SOLUTION
            x = 1
            ### END SOLUTION

            def f(self):
                return 1
        """,
        r"f\.py:2: solution region outside any function",
    ),
    "region spanning two functions": (
        """\
        class A:
            def f(self):
                ### BEGIN SOLUTION
                return 1

            def g(self):
                return 2
                ### END SOLUTION
        """,
        r"f\.py:3: the solution region spans more than one function \(BEGIN in A\.f, "
        r"END at line 8 in A\.g\)",
    ),
    "misspelt marker": (
        """\
        def f():
            ## BEGIN SOLUTION
            return 1
            ### END SOLUTION
        """,
        r"f\.py:2: malformed solution marker '## BEGIN SOLUTION'",
    ),
    "marker after code": (
        """\
        def f():
            x = 1  ### BEGIN SOLUTION
            return x
            ### END SOLUTION
        """,
        r"f\.py:2: a solution marker must be on a line of its own",
    ),
    "markers at different indentations": (
        """\
        def f():
            ### BEGIN SOLUTION
            return 1
                ### END SOLUTION
        """,
        r"f\.py:4: END SOLUTION is indented differently from its BEGIN SOLUTION at line 2",
    ),
    "stub would not be valid python": (
        """\
        def f(x):
            if x:
            ### BEGIN SOLUTION
                return 1
            ### END SOLUTION
            return 0
        """,
        r"f\.py:3: replacing the solution region .* does not give valid Python",
    ),
    "reference does not parse": (
        """\
        def f(:
            return 1
        """,
        r"f\.py:1: the reference is not valid Python",
    ),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_markers_raise_with_file_and_line(case: str):
    source, message = MALFORMED[case]
    with pytest.raises(ReleaseError, match=message):
        stub_source(textwrap.dedent(source), "f.py")


def test_errors_in_a_package_name_the_reference_file(tmp_path: Path):
    engine = FIXTURE_ENGINE.replace(
        "    return result\n    ### END SOLUTION\n", "    return result\n"
    )
    begin = FIXTURE_ENGINE.splitlines().index("    ### BEGIN SOLUTION") + 1  # the region of total()
    reference_dir = make_reference(tmp_path, engine)
    with pytest.raises(
        ReleaseError,
        match=rf"^reference/micrograd/engine\.py:{begin}: BEGIN SOLUTION has no matching END",
    ):
        generate_template(reference_dir)


# --- writing and checking ------------------------------------------------------------------------


def test_write_then_check_finds_no_drift(reference_dir: Path, tmp_path: Path):
    template_dir = tmp_path / "students_template"
    written = write_template(reference_dir, template_dir)
    assert written == sorted(template_dir / rel for rel in generate_template(reference_dir))
    assert check_template(reference_dir, template_dir) == []


def test_editing_a_generated_file_is_reported_with_the_file_and_line(
    reference_dir: Path, tmp_path: Path
):
    template_dir = tmp_path / "students_template"
    write_template(reference_dir, template_dir)
    engine = template_dir / "micrograd" / "engine.py"
    lines = engine.read_text().splitlines(keepends=True)
    lines[9] = "# a student-facing hint added by hand\n"
    engine.write_text("".join(lines))
    assert check_template(reference_dir, template_dir) == [
        "students_template/micrograd/engine.py differs from a fresh generation "
        "(run `mgrade release`); first difference at line 10"
    ]


def test_changing_the_reference_without_releasing_is_reported(reference_dir: Path, tmp_path: Path):
    template_dir = tmp_path / "students_template"
    write_template(reference_dir, template_dir)
    viz = reference_dir / "viz.py"
    viz.write_text(viz.read_text() + "\n\ndef draw(root):\n    return trace(root)\n")
    released = (template_dir / "micrograd" / "viz.py").read_text().splitlines()
    problems = check_template(reference_dir, template_dir)
    assert problems == [
        "students_template/micrograd/viz.py differs from a fresh generation "
        f"(run `mgrade release`); first difference at line {len(released) + 1}"
    ]


def test_missing_and_stale_files_are_reported_and_release_fixes_both(
    reference_dir: Path, tmp_path: Path
):
    template_dir = tmp_path / "students_template"
    write_template(reference_dir, template_dir)
    (template_dir / "micrograd" / "nn.py").unlink()
    (template_dir / "micrograd" / "optim.py").write_text("# left over from last year\n")
    (template_dir / "micrograd" / "__pycache__").mkdir()
    (template_dir / "micrograd" / "__pycache__" / "nn.cpython-311.pyc").write_bytes(b"\0")
    (template_dir / "NOTES.md").write_text("outside the package: not ours to judge\n")
    assert check_template(reference_dir, template_dir) == [
        "students_template/micrograd/nn.py is missing (run `mgrade release`)",
        "students_template/micrograd/optim.py is not generated from the reference (stale); "
        "`mgrade release` removes it",
    ]
    write_template(reference_dir, template_dir)
    assert check_template(reference_dir, template_dir) == []
    assert not (template_dir / "micrograd" / "optim.py").exists()
    assert (template_dir / "NOTES.md").exists()


def test_a_malformed_reference_leaves_the_existing_template_untouched(
    reference_dir: Path, tmp_path: Path
):
    template_dir = tmp_path / "students_template"
    write_template(reference_dir, template_dir)
    before = {p: p.read_bytes() for p in template_dir.rglob("*") if p.is_file()}
    nn = reference_dir / "nn.py"
    nn.write_text(nn.read_text().replace("        ### END SOLUTION\n", "", 1))
    (reference_dir / "extra.py").write_text("X = 1\n")
    with pytest.raises(
        ReleaseError, match=r"^reference/micrograd/nn\.py:17: nested BEGIN SOLUTION"
    ):
        write_template(reference_dir, template_dir)
    assert {p: p.read_bytes() for p in template_dir.rglob("*") if p.is_file()} == before


def test_release_refuses_to_overwrite_the_reference(reference_dir: Path):
    original = (reference_dir / "engine.py").read_text()
    with pytest.raises(ReleaseError, match="would overwrite the reference"):
        write_template(reference_dir, reference_dir.parent)
    assert (reference_dir / "engine.py").read_text() == original


def test_default_paths_point_into_the_checkout(tmp_path: Path):
    assert default_paths() == (REFERENCE, REPO / "students_template")
    with pytest.raises(ReleaseError, match=r"no reference solution at .*reference/micrograd"):
        default_paths(tmp_path)


# --- the real repository -------------------------------------------------------------------------


def test_committed_template_matches_the_reference():
    """The drift check CI runs: the committed students_template is exactly a fresh generation."""
    assert check_template(REFERENCE, TEMPLATE.parent) == []


def test_real_reference_has_stubs_for_the_engine_and_the_network():
    stubs = stubbed_functions(REFERENCE)
    assert "Value.backward" in stubs["micrograd/engine.py"]
    assert "Value.__add__" in stubs["micrograd/engine.py"]
    assert stubs["micrograd/nn.py"], "students implement the network too"


def test_template_keeps_the_reference_api():
    """Same classes, functions, signatures and docstrings: only bodies differ."""
    ref, tpl = REFERENCE, TEMPLATE
    stubs = stubbed_functions(REFERENCE)
    for path in sorted(ref.glob("*.py")):
        original = functions_by_name(path.read_text())
        generated = functions_by_name((tpl / path.name).read_text())
        # Helpers nested in a student function (e.g. each op's _backward) go with its solution.
        inside_stubs = tuple(f"{name}." for name in stubs[f"micrograd/{path.name}"])
        kept = {name for name in original if not name.startswith(inside_stubs)}
        assert kept <= generated.keys() <= original.keys(), path.name
        for qualname, node in generated.items():
            twin = original[qualname]
            assert ast.dump(node.args) == ast.dump(twin.args), f"{path.name}: {qualname}"
            assert ast.get_docstring(node) == ast.get_docstring(twin), f"{path.name}: {qualname}"


def test_every_stub_in_the_template_raises_a_message_naming_it():
    package = template()
    Value = package.engine.Value
    with pytest.raises(NotImplementedError, match=r"^Value\.__add__: "):
        Value(1.0) + Value(2.0)
    checked = 0
    for file, names in stubbed_functions(REFERENCE).items():
        stem = Path(file).stem
        module = package if stem == "__init__" else getattr(package, stem)
        for qualname in names:
            assert qualname.count(".") < 2, f"{qualname}: nested stubs need their own test here"
            assert_stub_raises(module, qualname, Value)
            checked += 1
    assert checked == sum(len(names) for names in stubbed_functions(REFERENCE).values())


# --- calling stubs -------------------------------------------------------------------------------


def argument_pool(Value: type) -> list[Callable[[], object]]:
    """Plausible arguments for any engine or nn function: Values, numbers, lists of either."""
    return [
        lambda: Value(2.0),
        lambda: 2.0,
        lambda: 2,
        lambda: [Value(0.5), Value(2.0)],
        lambda: [2, 1],
    ]


def instances(cls: type, Value: type) -> list[object]:
    """Ways to get a `self`: constructed from small arguments, or bare when __init__ is a stub."""
    made = []
    for args in ((0.5,), (2,), (2, 1), (2, [2, 1])):
        try:
            made.append(cls(*args))
        except Exception:  # noqa: BLE001 - the wrong arity/type for this class; try the next
            continue
    made.append(cls.__new__(cls))
    return made


def assert_stub_raises(module: ModuleType, qualname: str, Value: type) -> None:
    """Call `qualname` with every combination of pooled arguments until its stub raises.

    The stub sits after whatever the reference keeps before the region (e.g. an assert on the
    argument type), so some combinations may fail earlier for other reasons; at least one must reach
    the stub, and the NotImplementedError must name `qualname`.
    """
    owner_name, _, name = qualname.rpartition(".")
    owner = getattr(module, owner_name) if owner_name else None
    function = getattr(owner if owner is not None else module, name)
    params = [
        p
        for p in inspect.signature(function).parameters.values()
        if p.default is inspect.Parameter.empty
        and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    selves: list[object] = [None]
    if owner is not None:
        params = params[1:]
        if name == "__init__":
            selves = [owner.__new__(owner)]
        else:
            selves = instances(owner, Value)
    pool = argument_pool(Value)
    seen: list[str] = []
    for self_, combo in itertools.product(selves, itertools.product(pool, repeat=len(params))):
        args = [make() for make in combo]
        try:
            function(*args) if self_ is None else function(self_, *args)
        except NotImplementedError as exc:
            if str(exc).startswith(f"{qualname}: "):
                return
            seen.append(f"NotImplementedError({exc})")
        except Exception as exc:  # noqa: BLE001 - recorded for the failure message
            seen.append(f"{type(exc).__name__}({exc})")
        else:
            seen.append("returned normally")
    pytest.fail(f"{qualname} never raised its own NotImplementedError; got: {sorted(set(seen))}")


# --- the command line ----------------------------------------------------------------------------


def release_command_exists() -> bool:
    result = subprocess.run(
        [sys.executable, "-m", "autograder", "release", "--help"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return result.returncode == 0 and "--check" in result.stdout


@pytest.mark.skipif(not release_command_exists(), reason="`mgrade release` is not wired yet")
def test_cli_release_writes_and_check_fails_naming_the_drifted_file(
    reference_dir: Path, tmp_path: Path
):
    template_dir = tmp_path / "students_template"

    def mgrade(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "autograder", "release", *extra]
            + ["--reference", str(reference_dir), "--template", str(template_dir)],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
        )

    written = mgrade()
    assert written.returncode == 0, written.stderr
    assert check_template(reference_dir, template_dir) == []
    clean = mgrade("--check")
    assert clean.returncode == 0, clean.stdout + clean.stderr

    engine = template_dir / "micrograd" / "engine.py"
    engine.write_text(engine.read_text().replace("raise NotImplementedError", "return None", 1))
    drifted = mgrade("--check")
    assert drifted.returncode != 0
    assert "students_template/micrograd/engine.py differs" in drifted.stdout + drifted.stderr
