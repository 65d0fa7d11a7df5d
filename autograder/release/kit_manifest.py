"""A kit's manifest: the course manifest with only its `visible` checks, written as TOML.

The file is rebuilt from the parsed manifest rather than copied, so nothing the instructor wrote
about withheld checks (their ids, points, params or a comment next to them) can reach students. The
result is parsed back and compared with what it must hold before it is used.
"""

from __future__ import annotations

import json
import math
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from autograder.manifest import MANIFEST_NAME, Assignment, CheckSpec, load_assignment
from autograder.model import STUDENT_VISIBLE
from autograder.release.regions import ReleaseError


def visible_only(assignment: Assignment) -> Assignment:
    """`assignment` without the checks students do not see."""
    return replace(assignment, checks=tuple(c for c in assignment.checks
                                            if c.visibility in STUDENT_VISIBLE))


def kit_manifest(assignment: Assignment) -> str:
    """The TOML text of `visible_only(assignment)`, marked `[release] kit = true` (what makes
    pytest collect its checks); raises `ReleaseError` if it would be empty or does not parse back
    to the same manifest."""
    kept = replace(visible_only(assignment), kit=True)
    if not kept.checks:
        raise ReleaseError(f"{assignment.path}: no visible check, so a kit of {assignment.id!r} "
                           "would let students check nothing")
    lines = [
        f"# The visible checks of {assignment.id!r}, released with mgrade's student kit.",
        "# The official grade uses the course's own manifest, which may hold more checks.",
        "",
        "[assignment]",
        f"id = {_value(kept.id)}",
        f"title = {_value(kept.title)}",
        f"seed = {kept.seed}",
        "",
        "[limits]",
        *(f"{key} = {_value(getattr(kept.limits, key))}" for key in
          ("call_timeout_s", "memory_mb", "max_examples", "output_cap_kb")),
        "",
        "[policy]",
        f"allow_imports = {_value(list(kept.allow_imports))}",
        f"strict_imports = {_value(kept.strict_imports)}",
    ]
    lines += ["", "[release]", "kit = true"]
    if kept.implement:
        lines.append(f"implement = {_value(list(kept.implement))}")
    for check in kept.checks:
        lines += ["", *_check(check)]
    text = "\n".join(lines) + "\n"
    _verify(text, kept)
    return text


def _check(check: CheckSpec) -> list[str]:
    head = f"checks.{_value(check.id)}"
    lines = [f"[{head}]", f"points = {_value(check.points)}",
             f"visibility = {_value(check.visibility)}"]
    if check.title is not None:
        lines.append(f"title = {_value(_literal(check.title))}")
    lines.append(f"tags = {_value([_literal(tag) for tag in check.tags])}")
    if check.params:
        lines += ["", f"[{head}.params]"]
        lines += [f"{_value(key)} = {_value(value)}" for key, value in check.params.items()]
    return lines


def _literal(text: str) -> str:
    """A resolved title or tag, with its braces doubled so they do not read as placeholders."""
    return text.replace("{", "{{").replace("}", "}}")


def _value(value: Any) -> str:
    """A TOML value. JSON's string escapes are all valid TOML basic-string escapes; DEL, which
    JSON leaves as is and TOML forbids raw, is escaped too."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_value(k)} = {_value(v)}" for k, v in value.items()) + "}"
    raise ReleaseError(f"cannot write {value!r} ({type(value).__name__}) into a kit manifest")


def _verify(text: str, expected: Assignment) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        file = Path(scratch) / expected.id / MANIFEST_NAME
        file.parent.mkdir()
        file.write_text(text, encoding="utf-8")
        parsed = load_assignment(file)
    same = replace(parsed, path=expected.path) == expected
    if not same:  # pragma: no cover - a writer bug, not an instructor's mistake
        raise ReleaseError(f"{expected.path}: the kit manifest does not read back the same")
