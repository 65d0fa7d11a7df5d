"""A manifest's `[checks]`: what each check is worth, who sees it, and what it is called.

Each key is a check id (`"engine.add.forward"`) or a selector, a glob over check ids
(`"engine.*.backward"`): `*` stands for any run of characters within one dot-separated part, `**`
for any run across parts. A selector's keys apply to every check it matches, in catalogue order; a
check's own table overrides the keys it sets. Titles and tags may name what the catalogue says
about a check (`"{op}: forward value of {operation}"`, `"{kind}"`).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from autograder.model import VISIBILITIES
from autograder.tomlread import Reader, is_number, show

_CHECK_KEYS = ("points", "visibility", "title", "tags", "params")
_CHECK_ID = re.compile(r"^[a-z0-9_]+(?:[.-][a-z0-9_]+)*$")
SELECTOR = re.compile(r"^[a-z0-9_*]+(?:[.-][a-z0-9_*]+)*$")
_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([a-z_]+)\}")


def is_selector(key: str) -> bool:
    return "*" in key


def matching(selector: str, ids: Iterable[str]) -> list[str]:
    """The ids `selector` matches, in the order given."""
    parts = re.split(r"(\*\*|\*)", selector)
    pattern = "".join({"**": ".*", "*": "[^.]*"}.get(part, re.escape(part)) for part in parts)
    regex = re.compile(pattern)
    return [check_id for check_id in ids if regex.fullmatch(check_id)]


def resolve(entries: Sequence[tuple[str, Mapping[str, dict[str, Any]]]]
            ) -> dict[str, dict[str, Any]]:
    """Merge `(key, {check id: keys it sets})` entries into the keys of each check.

    Checks keep the order in which entries first name them. Selectors apply in file order (a later
    one wins on a key both set); a check's own table applies last.
    """
    merged: dict[str, dict[str, Any]] = {}
    selectors = [entry for entry in entries if is_selector(entry[0])]
    own = [entry for entry in entries if not is_selector(entry[0])]
    for _, bodies in selectors + own:
        for check_id, body in bodies.items():
            merged.setdefault(check_id, {}).update(body)
    order = [check_id for _, bodies in entries for check_id in bodies]
    return {check_id: merged[check_id] for check_id in dict.fromkeys(order)}


def fill(text: str, placeholders: Mapping[str, str]) -> str:
    """`text` with each `{name}` replaced; `{{` and `}}` are literal braces.

    Raises KeyError(name) for a name the check does not define.
    """

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name is None:
            return match.group(0)[0]
        return placeholders[name]

    return _PLACEHOLDER.sub(replace, text)


def uses_placeholders(text: str) -> bool:
    return _PLACEHOLDER.search(text) is not None


@dataclass(frozen=True)
class CheckSpec:
    """One graded check as the manifest prices it. `title` None means the catalogue's title."""

    id: str
    points: float
    visibility: str = "visible"
    title: str | None = None
    tags: tuple[str, ...] = ()
    params: dict[str, Any] = field(default_factory=dict, hash=False)


def read_checks(shown: str, table: dict[str, Any],
                known_checks: Collection[str] | None) -> tuple[CheckSpec, ...]:
    """The `[checks]` table of the manifest `shown`, one spec per check it prices.

    `known_checks` (ids, or ids mapped to their `CheckDef`s) is what ids must be and selectors
    match; None means the catalogue's, without checking plain ids.
    """
    return _Checks(shown).checks(table, known_checks)


class _Checks(Reader):
    def checks(
        self, table: dict[str, Any], known_checks: Collection[str] | None
    ) -> tuple[CheckSpec, ...]:
        if not table:
            raise self.fail("checks", "is empty; an assignment needs at least one check")
        self.known_checks = known_checks
        entries = []
        for check_id, body in table.items():
            key = f"checks.{check_id}"
            if not isinstance(body, dict):
                raise self.fail(key, f"must be a table ([{key}]), got {show(body)}")
            nested = body and all(isinstance(v, dict) for v in body.values())
            if "." not in check_id and "points" not in body and nested:
                raise self.fail(
                    key,
                    "is not a check (it has no points); dotted check ids must be quoted, e.g. "
                    '[checks."engine.add.forward"]',
                )
            if is_selector(check_id):
                ids = self.selected(check_id, key, known_checks)
            else:
                self.known(check_id, key, known_checks)
                ids = [check_id]
            fields = self.fields(key, body)
            entries.append((check_id, {cid: self.filled(key, cid, fields) for cid in ids}))
        specs = []
        for check_id, fields in resolve(entries).items():
            key = f"checks.{check_id}"
            if "points" not in fields:
                raise self.fail(f"{key}.points", "is missing (a number >= 0)")
            specs.append(CheckSpec(check_id, **fields))
        return tuple(specs)

    def known(self, check_id: str, key: str, known_checks: Collection[str] | None) -> None:
        if not _CHECK_ID.match(check_id):
            raise self.fail(
                key,
                "is not a valid check id (lowercase words separated by dots, e.g. "
                "engine.add.forward)",
            )
        if known_checks is not None and check_id not in known_checks:
            close = difflib.get_close_matches(check_id, list(known_checks), n=3)
            hint = f"did you mean {' or '.join(close)}?" if close else "run `mgrade checks`"
            raise self.fail(key, f"is not a known check id; {hint}")

    def selected(self, selector: str, key: str, known_checks: Collection[str] | None) -> list[str]:
        if not SELECTOR.match(selector):
            raise self.fail(
                key,
                "is not a valid selector (check id parts, `*` for any part or its rest, `**` "
                'across parts, e.g. "engine.*.backward")',
            )
        ids = matching(selector, _catalogue() if known_checks is None else known_checks)
        if not ids:
            raise self.fail(key, "matches no check id; run `mgrade checks` for the list")
        return ids

    def fields(self, key: str, body: dict[str, Any]) -> dict[str, Any]:
        """The keys an entry sets, validated (`points` may come from a selector instead)."""
        self.no_unknown_keys(key, body, _CHECK_KEYS)
        fields: dict[str, Any] = {}
        if "points" in body:
            points = body["points"]
            if not is_number(points) or points < 0:
                raise self.fail(f"{key}.points", f"must be a number >= 0, got {show(points)}")
            fields["points"] = float(points)
        if "visibility" in body:
            visibility = body["visibility"]
            if visibility not in VISIBILITIES:
                raise self.fail(
                    f"{key}.visibility",
                    f"must be one of {', '.join(VISIBILITIES)}, got {show(visibility)}",
                )
            fields["visibility"] = visibility
        if "title" in body:
            fields["title"] = self.string(body, f"{key}.title", "title")
        if "tags" in body:
            fields["tags"] = self.string_list(body, f"{key}.tags", "tags")
        if "params" in body:
            params = body["params"]
            if not isinstance(params, dict):
                raise self.fail(f"{key}.params", f"must be a table, got {show(params)}")
            fields["params"] = dict(params)
        return fields

    def filled(self, key: str, check_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        """`fields` with the check's placeholders (`{op}`) written into its title and tags."""
        texts = [fields.get("title") or "", *fields.get("tags", ())]
        if not any(uses_placeholders(text) for text in texts):
            return fields
        placeholders = self.placeholders(check_id)
        out = dict(fields)
        try:
            if "title" in fields:
                out["title"] = fill(fields["title"], placeholders)
            if "tags" in fields:
                out["tags"] = tuple(fill(tag, placeholders) for tag in fields["tags"])
        except KeyError as missing:
            defined = ", ".join(f"{{{name}}}" for name in placeholders) or "nothing"
            raise self.fail(key, f"names {{{missing.args[0]}}}, which {check_id} does not define "
                                 f"(it defines {defined}; write {{{{ for a literal brace)"
                            ) from None
        return out


    def placeholders(self, check_id: str) -> Mapping[str, str]:
        """What the check's titles may name: from `known_checks` when it maps ids to checks."""
        if isinstance(self.known_checks, Mapping):
            check = self.known_checks.get(check_id)
            return getattr(check, "placeholders", {})
        from autograder.checks import catalogue

        check = catalogue().get(check_id)
        return check.placeholders if check is not None else {}


def _catalogue() -> list[str]:
    """Every check id, in catalogue order: what a selector matches when no list is given."""
    from autograder.checks import catalogue

    return list(catalogue())
