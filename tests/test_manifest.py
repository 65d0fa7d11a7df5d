"""Assignment manifests: the real ones load, and every mistake names the file and the key."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from autograder.checks import catalogue
from autograder.manifest import (
    ENV_ASSIGNMENTS,
    Assignment,
    Limits,
    ManifestError,
    available_assignments,
    default_assignment_dirs,
    find_assignment,
    load_assignment,
)
from autograder.model import VISIBILITIES
from autograder.policy import FORBIDDEN_IMPORTS

REPO_ASSIGNMENTS = Path(__file__).resolve().parents[1] / "assignments"
# Every shipped check's points, visibility, title, tags and params, recorded from the manifests as
# they were written before selectors existed (one table per check).
RESOLVED = Path(__file__).resolve().parent / "fixtures" / "manifest_resolved.json"

HEAD = '[assignment]\nid = "hw"\ntitle = "Homework"\nseed = 7\n'
CHECK = '[checks."engine.add.forward"]\npoints = 1\n'


def write(tmp_path: Path, text: str, folder: str = "hw") -> Path:
    path = tmp_path / folder / "assignment.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def error(tmp_path: Path, text: str, known: list[str] | None = None) -> str:
    path = write(tmp_path, text)
    with pytest.raises(ManifestError) as info:
        load_assignment(path, known)
    message = str(info.value)
    assert message.startswith(f"{path}: "), message
    return message[len(f"{path}: ") :]


# ---- the shipped manifests ----------------------------------------------------------------------

OPS = ["add", "mul", "pow", "neg", "sub", "truediv", "radd", "rsub", "rmul", "rtruediv",
       "relu", "tanh", "exp", "log", "sigmoid"]  # fmt: skip
DERIVED = {"neg", "sub", "truediv", "radd", "rsub", "rmul", "rtruediv"}


def test_ops_manifest_prices_every_op() -> None:
    ops = load_assignment(REPO_ASSIGNMENTS / "ops" / "assignment.toml")
    assert ops.id == "ops" and ops.seed == 20261127
    expected = {}
    for op in OPS:
        expected[f"engine.{op}.forward"] = 1.0
        expected[f"engine.{op}.backward"] = 1.0 if op in DERIVED else 2.0
    assert {c.id: c.points for c in ops.checks} == expected
    assert all(c.visibility == "visible" and c.title for c in ops.checks)
    assert ops.allow_imports == ()
    assert ops.forbidden_imports == FORBIDDEN_IMPORTS


def test_backprop_manifest() -> None:
    backprop = load_assignment(REPO_ASSIGNMENTS / "backprop")
    points = {c.id: c.points for c in backprop.checks}
    assert points == {
        "engine.backward.seed": 1.0,
        "engine.backward.order": 2.0,
        "engine.backward.accumulation": 3.0,
        "engine.backward.graphs": 3.0,
        "engine.backward.deep": 1.0,
    }
    assert backprop.check("engine.backward.graphs").visibility == "after_due_date"
    assert backprop.check("engine.backward.deep").params == {"depth": 10000}
    assert backprop.max_score == 10.0


@pytest.mark.parametrize("manifest", sorted(REPO_ASSIGNMENTS.glob("*/assignment.toml")))
def test_every_shipped_manifest_loads(manifest: Path) -> None:
    assignment = load_assignment(manifest)
    assert assignment.id == manifest.parent.name
    assert assignment.path == manifest
    assert len({c.id for c in assignment.checks}) == len(assignment.checks)


@pytest.mark.parametrize("known", [None, "catalogue"])
@pytest.mark.parametrize("manifest", sorted(REPO_ASSIGNMENTS.glob("*/assignment.toml")))
def test_shipped_manifests_price_every_check_as_recorded(manifest: Path, known: str | None) -> None:
    recorded = json.loads(RESOLVED.read_text())[manifest.parent.name]
    assignment = load_assignment(manifest, catalogue().keys() if known else None)
    resolved = {c.id: {"points": c.points, "visibility": c.visibility, "title": c.title,
                       "tags": list(c.tags), "params": c.params} for c in assignment.checks}
    assert resolved == recorded


def test_ops_manifest_uses_selectors_and_tags_derived_ops_from_the_op_table() -> None:
    text = (REPO_ASSIGNMENTS / "ops" / "assignment.toml").read_text()
    assert '[checks."engine.*.forward"]' in text and '[checks."engine.*.backward"]' in text
    assert "derived" not in "".join(line for line in text.splitlines()
                                    if not line.startswith("#"))
    ops = load_assignment(REPO_ASSIGNMENTS / "ops")
    assert {c.id for c in ops.checks if "derived" in c.tags} == {
        f"engine.{op}.{part}" for op in DERIVED for part in ("forward", "backward")}


# ---- a valid manifest ---------------------------------------------------------------------------


def test_minimal_manifest_gets_documented_defaults(tmp_path: Path) -> None:
    assignment = load_assignment(write(tmp_path, HEAD + CHECK))
    assert assignment == Assignment(
        id="hw",
        title="Homework",
        seed=7,
        limits=Limits(call_timeout_s=10.0, memory_mb=1024, max_examples=40, output_cap_kb=64),
        allow_imports=(),
        checks=assignment.checks,
        path=tmp_path / "hw" / "assignment.toml",
    )
    (check,) = assignment.checks
    assert (check.id, check.points, check.visibility, check.title, check.tags, check.params) == (
        "engine.add.forward",
        1.0,
        "visible",
        None,
        (),
        {},
    )


def test_full_manifest_is_read_in_file_order(tmp_path: Path) -> None:
    text = HEAD + (
        "[limits]\ncall_timeout_s = 2\nmemory_mb = 512\nmax_examples = 5\noutput_cap_kb = 8\n"
        '[policy]\nallow_imports = ["numpy"]\n'
        '[checks."engine.mul.forward"]\npoints = 0.5\nvisibility = "hidden"\ntitle = "mul"\n'
        'tags = ["ops", "x"]\n[checks."engine.mul.forward".params]\nn = 3\nname = "k"\n' + CHECK
    )
    assignment = load_assignment(
        write(tmp_path, text), known_checks={"engine.mul.forward", "engine.add.forward"}
    )
    assert assignment.limits == Limits(2.0, 512, 5, 8)
    assert assignment.allow_imports == ("numpy",)
    assert "numpy" not in assignment.forbidden_imports and "torch" in assignment.forbidden_imports
    assert [c.id for c in assignment.checks] == ["engine.mul.forward", "engine.add.forward"]
    mul = assignment.checks[0]
    assert (mul.points, mul.visibility, mul.title, mul.tags) == (0.5, "hidden", "mul", ("ops", "x"))
    assert mul.params == {"n": 3, "name": "k"}
    assert assignment.max_score == 1.5


@pytest.mark.parametrize("visibility", VISIBILITIES)
def test_every_visibility_is_accepted(tmp_path: Path, visibility: str) -> None:
    text = HEAD + CHECK + f'visibility = "{visibility}"\n'
    assert load_assignment(write(tmp_path, text)).checks[0].visibility == visibility


def test_folder_path_is_accepted(tmp_path: Path) -> None:
    write(tmp_path, HEAD + CHECK)
    assert load_assignment(tmp_path / "hw").id == "hw"


# ---- errors name the file and the key -----------------------------------------------------------


def test_points_must_be_a_number(tmp_path: Path) -> None:
    text = HEAD + "[checks.\"engine.add.forward\"]\npoints = 'one'\n"
    assert (
        error(tmp_path, text) == "checks.engine.add.forward.points must be a number >= 0, got 'one'"
    )


@pytest.mark.parametrize("value", ["-1", "nan", "inf", "true"])
def test_points_must_be_finite_and_not_negative(tmp_path: Path, value: str) -> None:
    text = HEAD + f'[checks."engine.add.forward"]\npoints = {value}\n'
    assert error(tmp_path, text).startswith(
        "checks.engine.add.forward.points must be a number >= 0"
    )


def test_points_are_required(tmp_path: Path) -> None:
    text = HEAD + '[checks."engine.add.forward"]\nvisibility = "visible"\n'
    assert error(tmp_path, text) == "checks.engine.add.forward.points is missing (a number >= 0)"


def test_syntax_error_reports_the_line(tmp_path: Path) -> None:
    message = error(tmp_path, HEAD + "[checks\npoints = 1\n")
    assert message.startswith("TOML syntax error: ")
    assert "line 5" in message


def test_unknown_top_level_section(tmp_path: Path) -> None:
    assert error(tmp_path, HEAD + "[limit]\nmemory_mb = 512\n" + CHECK) == (
        "limit is not a known key; did you mean limits?"
    )


def test_unknown_key_in_assignment(tmp_path: Path) -> None:
    assert error(tmp_path, HEAD + 'titel = "x"\n' + CHECK) == (
        "assignment.titel is not a known key; did you mean title?"
    )


def test_unknown_key_in_limits(tmp_path: Path) -> None:
    assert error(tmp_path, HEAD + "[limits]\nmemory = 512\n" + CHECK) == (
        "limits.memory is not a known key; did you mean memory_mb?"
    )


def test_unknown_key_in_policy(tmp_path: Path) -> None:
    assert error(tmp_path, HEAD + '[policy]\nallow = ["numpy"]\n' + CHECK).startswith(
        "policy.allow is not a known key; "
    )


def test_unknown_key_in_a_check(tmp_path: Path) -> None:
    assert error(tmp_path, HEAD + CHECK + "point = 2\n") == (
        "checks.engine.add.forward.point is not a known key; did you mean points?"
    )


def test_missing_assignment_table(tmp_path: Path) -> None:
    assert error(tmp_path, CHECK) == "[assignment] is missing"


def test_missing_checks(tmp_path: Path) -> None:
    assert error(tmp_path, HEAD) == "[checks] is missing"


def test_empty_checks(tmp_path: Path) -> None:
    assert error(tmp_path, HEAD + "[checks]\n") == (
        "checks is empty; an assignment needs at least one check"
    )


def test_id_must_match_the_folder(tmp_path: Path) -> None:
    text = HEAD.replace('id = "hw"', 'id = "homework"') + CHECK
    assert error(tmp_path, text) == "assignment.id must equal the folder name 'hw', got 'homework'"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('title = ""', "assignment.title must be a non-empty string, got ''"),
        ("title = 3", "assignment.title must be a non-empty string, got 3"),
        ("seed = -1", "assignment.seed must be an integer between 0 and 9223372036854775807"),
        ('seed = "7"', "assignment.seed must be an integer between 0 and"),
        ("seed = 1.5", "assignment.seed must be an integer between 0 and"),
    ],
)
def test_assignment_values_are_checked(tmp_path: Path, line: str, expected: str) -> None:
    key = line.split(" ")[0]
    head = "\n".join(row if not row.startswith(f"{key} ") else line for row in HEAD.splitlines())
    assert error(tmp_path, head + "\n" + CHECK).startswith(expected)


def test_missing_seed_and_title(tmp_path: Path) -> None:
    assert error(tmp_path, '[assignment]\nid = "hw"\ntitle = "t"\n' + CHECK).startswith(
        "assignment.seed is missing"
    )
    assert error(tmp_path, '[assignment]\nid = "hw"\nseed = 1\n' + CHECK) == (
        "assignment.title is missing"
    )


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ("call_timeout_s = 0", "limits.call_timeout_s must be a number of seconds > 0 and <= 600"),
        (
            "call_timeout_s = 601",
            "limits.call_timeout_s must be a number of seconds > 0 and <= 600",
        ),
        ('call_timeout_s = "10"', "limits.call_timeout_s must be a number of seconds"),
        ("memory_mb = 64", "limits.memory_mb must be an integer between 128 and 16384, got 64"),
        ("memory_mb = 20000", "limits.memory_mb must be an integer between 128 and 16384"),
        ("memory_mb = 512.0", "limits.memory_mb must be an integer between 128 and 16384"),
        ("max_examples = 0", "limits.max_examples must be an integer between 1 and 10000, got 0"),
        ("max_examples = 10001", "limits.max_examples must be an integer between 1 and 10000"),
        ("max_examples = true", "limits.max_examples must be an integer between 1 and 10000"),
        ("output_cap_kb = 0", "limits.output_cap_kb must be an integer between 1 and 16384"),
    ],
)
def test_limits_are_positive_and_sane(tmp_path: Path, setting: str, expected: str) -> None:
    assert error(tmp_path, HEAD + f"[limits]\n{setting}\n" + CHECK).startswith(expected)


def test_visibility_must_be_known(tmp_path: Path) -> None:
    assert error(tmp_path, HEAD + CHECK + 'visibility = "public"\n') == (
        "checks.engine.add.forward.visibility must be one of hidden, after_due_date, "
        "after_published, visible, got 'public'"
    )


def test_tags_must_be_strings(tmp_path: Path) -> None:
    assert error(tmp_path, HEAD + CHECK + 'tags = "ops"\n') == (
        "checks.engine.add.forward.tags must be a list of non-empty strings, got 'ops'"
    )


def test_params_must_be_a_table(tmp_path: Path) -> None:
    assert error(tmp_path, HEAD + CHECK + "params = 3\n") == (
        "checks.engine.add.forward.params must be a table, got 3"
    )


def test_unknown_check_id_suggests_close_matches(tmp_path: Path) -> None:
    text = HEAD + '[checks."engine.add.forwrd"]\npoints = 1\n'
    known = ["engine.add.forward", "engine.add.backward", "engine.mul.forward"]
    message = error(tmp_path, text, known)
    assert message.startswith("checks.engine.add.forwrd is not a known check id; did you mean ")
    assert "engine.add.forward" in message


def test_unknown_check_id_without_close_match_points_to_the_catalogue(tmp_path: Path) -> None:
    text = HEAD + '[checks."zzz"]\npoints = 1\n'
    assert error(tmp_path, text, ["engine.add.forward"]) == (
        "checks.zzz is not a known check id; run `mgrade checks`"
    )


def test_unquoted_dotted_check_id_gets_a_hint(tmp_path: Path) -> None:
    text = HEAD + "[checks.engine.add.forward]\npoints = 1\n"
    assert error(tmp_path, text) == (
        "checks.engine is not a check (it has no points); dotted check ids must be quoted, e.g. "
        '[checks."engine.add.forward"]'
    )


def test_check_id_must_be_lowercase_dotted_words(tmp_path: Path) -> None:
    text = HEAD + '[checks."Engine Add"]\npoints = 1\n'
    assert error(tmp_path, text).startswith("checks.Engine Add is not a valid check id")


def test_allow_imports_must_name_forbidden_modules(tmp_path: Path) -> None:
    message = error(tmp_path, HEAD + '[policy]\nallow_imports = ["nunpy"]\n' + CHECK)
    assert message.startswith("policy.allow_imports lists 'nunpy', which is not forbidden")
    assert message.endswith("did you mean numpy?")


def test_allow_imports_must_be_a_list(tmp_path: Path) -> None:
    assert error(tmp_path, HEAD + '[policy]\nallow_imports = "numpy"\n' + CHECK) == (
        "policy.allow_imports must be a list of non-empty strings, got 'numpy'"
    )


def test_section_must_be_a_table(tmp_path: Path) -> None:
    assert error(tmp_path, "limits = 3\n" + HEAD + CHECK) == (
        "limits must be a table ([limits]), got 3"
    )


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "hw" / "assignment.toml"
    with pytest.raises(ManifestError, match="no such file"):
        load_assignment(path)
    with pytest.raises(ManifestError) as info:
        load_assignment(path)
    assert str(info.value) == f"{path}: no such file"


def test_not_utf8(tmp_path: Path) -> None:
    path = write(tmp_path, "")
    path.write_bytes(b'[assignment]\ntitle = "caf\xe9"\n')
    with pytest.raises(ManifestError) as info:
        load_assignment(path)
    assert str(info.value).startswith(f"{path}: not valid UTF-8")


def test_paths_inside_the_working_directory_are_shown_relative(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, HEAD + "[checks]\n", folder="ops")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ManifestError) as info:
        load_assignment(tmp_path / "ops" / "assignment.toml")
    assert str(info.value).startswith("ops/assignment.toml: ")


# ---- selectors ----------------------------------------------------------------------------------

KNOWN = ["engine.add.forward", "engine.add.backward", "engine.mul.forward", "engine.mul.backward",
         "engine.backward.seed", "nn.train.moons"]


def specs(tmp_path: Path, checks: str, known: list[str] | None = KNOWN) -> dict[str, tuple]:
    assignment = load_assignment(write(tmp_path, HEAD + checks), known)
    return {c.id: (c.points, c.visibility, c.title, c.tags) for c in assignment.checks}


def test_a_selector_prices_every_check_it_matches_in_catalogue_order(tmp_path: Path) -> None:
    got = specs(tmp_path, '[checks."engine.*.backward"]\npoints = 2\nvisibility = "hidden"\n')
    assert list(got) == ["engine.add.backward", "engine.mul.backward"]
    assert set(got.values()) == {(2.0, "hidden", None, ())}


def test_star_stays_within_a_part_and_double_star_crosses_parts(tmp_path: Path) -> None:
    assert list(specs(tmp_path, '[checks."engine.*"]\npoints = 1\n', KNOWN + ["engine.x"])) == [
        "engine.x"]
    assert list(specs(tmp_path, '[checks."engine.**"]\npoints = 1\n')) == KNOWN[:5]
    assert list(specs(tmp_path, '[checks."engine.a*.*"]\npoints = 1\n')) == KNOWN[:2]


def test_an_own_table_overrides_only_the_keys_it_sets(tmp_path: Path) -> None:
    text = ('[checks."engine.mul.backward"]\npoints = 1\n'
            '[checks."engine.*.backward"]\npoints = 2\ntitle = "grad"\ntags = ["b"]\n')
    got = specs(tmp_path, text)
    assert got == {"engine.mul.backward": (1.0, "visible", "grad", ("b",)),
                   "engine.add.backward": (2.0, "visible", "grad", ("b",))}


def test_a_later_selector_wins_on_the_keys_both_set(tmp_path: Path) -> None:
    text = ('[checks."engine.**"]\npoints = 1\nvisibility = "hidden"\n'
            '[checks."engine.*.forward"]\npoints = 3\n')
    got = specs(tmp_path, text)
    assert got["engine.add.forward"] == (3.0, "hidden", None, ())
    assert got["engine.add.backward"] == (1.0, "hidden", None, ())


def test_placeholders_come_from_the_catalogue(tmp_path: Path) -> None:
    text = ('[checks."engine.*.backward"]\npoints = 1\ntitle = "{op} of {operation} {{x}}"\n'
            'tags = ["{kind}"]\n[checks."engine.pow.backward"]\npoints = 2\n')
    got = specs(tmp_path, text, None)
    assert got["engine.add.backward"] == (1.0, "visible", "add of a + b {x}", ("core",))
    assert got["engine.pow.backward"] == (2.0, "visible", "pow of a ** k, k a plain number {x}",
                                          ("core",))
    assert got["engine.sub.backward"][3] == ("derived",)


def test_a_placeholder_the_check_lacks_is_an_error(tmp_path: Path) -> None:
    text = '[checks."engine.backward.*"]\npoints = 1\ntitle = "{op}"\n'
    assert error(tmp_path, HEAD + text) == (
        "checks.engine.backward.* names {op}, which engine.backward.seed does not define (it "
        "defines nothing; write {{ for a literal brace)")


def test_a_selector_that_matches_nothing_is_an_error(tmp_path: Path) -> None:
    text = HEAD + '[checks."engine.*.forwrd"]\npoints = 1\n'
    assert error(tmp_path, text, KNOWN) == (
        "checks.engine.*.forwrd matches no check id; run `mgrade checks` for the list")


def test_a_malformed_selector_is_an_error(tmp_path: Path) -> None:
    assert error(tmp_path, HEAD + '[checks."engine.*.Forward"]\npoints = 1\n').startswith(
        "checks.engine.*.Forward is not a valid selector")


def test_points_may_come_from_a_selector_but_must_come_from_somewhere(tmp_path: Path) -> None:
    text = '[checks."engine.*.forward"]\nvisibility = "hidden"\n'
    assert error(tmp_path, HEAD + text, KNOWN) == (
        "checks.engine.add.forward.points is missing (a number >= 0)")
    assert error(tmp_path, HEAD + '[checks."engine.*.forward"]\npoints = -1\n', KNOWN) == (
        "checks.engine.*.forward.points must be a number >= 0, got -1")


# ---- finding assignments ------------------------------------------------------------------------


def test_find_assignment_takes_the_first_folder_that_has_it(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    write(first, HEAD + CHECK)
    write(second, HEAD + CHECK)
    write(second, HEAD.replace('"hw"', '"hw2"') + CHECK, folder="hw2")
    assert find_assignment("hw", [first, second]) == first / "hw" / "assignment.toml"
    assert find_assignment("hw2", [first, second]) == second / "hw2" / "assignment.toml"
    assert available_assignments([first, second, tmp_path / "missing"]) == ["hw", "hw2"]


def test_unknown_assignment_lists_the_available_ones(tmp_path: Path) -> None:
    write(tmp_path, HEAD + CHECK, folder="ops")
    write(tmp_path, HEAD + CHECK, folder="backprop")
    with pytest.raises(ManifestError) as info:
        find_assignment("opps", [tmp_path])
    assert str(info.value) == (
        f"no assignment 'opps' (searched {tmp_path}); available: backprop, ops; did you mean ops?"
    )


@pytest.mark.parametrize("bad", ["../ops", "a/b", "..", ""])
def test_assignment_id_cannot_be_a_path(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ManifestError, match="is not an assignment id"):
        find_assignment(bad, [tmp_path])


def test_default_dirs_put_the_environment_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    extra_a, extra_b = tmp_path / "a", tmp_path / "b"
    monkeypatch.setenv(ENV_ASSIGNMENTS, os.pathsep.join([str(extra_a), "", str(extra_b)]))
    assert default_assignment_dirs() == [extra_a, extra_b, REPO_ASSIGNMENTS]


def test_default_dirs_without_environment_find_the_repository(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(ENV_ASSIGNMENTS, raising=False)
    assert default_assignment_dirs() == [REPO_ASSIGNMENTS]
    assert find_assignment("ops", default_assignment_dirs()) == (
        REPO_ASSIGNMENTS / "ops" / "assignment.toml"
    )


def test_quoted_id_with_only_params_is_told_points_are_missing(tmp_path: Path) -> None:
    text = HEAD + '[checks."engine.add.forward".params]\nn = 1\n'
    assert error(tmp_path, text) == "checks.engine.add.forward.points is missing (a number >= 0)"


def test_check_params_are_validated_against_the_check(tmp_path: Path) -> None:
    """A typo in a check's params is a manifest error naming the file, not a grading failure."""
    from autograder.grading import load_assignments

    folder = tmp_path / "backprop"
    folder.mkdir()
    text = (REPO_ASSIGNMENTS / "backprop" / "assignment.toml").read_text()
    (folder / "assignment.toml").write_text(text.replace("depth = 10000", "dpeth = 10000"))
    with pytest.raises(ManifestError, match=r"assignment\.toml: checks\.engine\.backward\.deep"
                       r"\.params: unknown dpeth \(accepted: depth\)"):
        load_assignments(["backprop"], [tmp_path])
    assert load_assignments(["backprop"], [REPO_ASSIGNMENTS])[0].id == "backprop"
