"""Reading instructor-written TOML strictly: every error names the file and the dotted key."""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping, Sequence
from typing import Any


class ManifestError(Exception):
    """A manifest cannot be used. The message names the file, the key and the problem."""


class Reader:
    """Typed look-ups in decoded TOML; a bad value is a `ManifestError` naming the key."""

    def __init__(self, shown: str) -> None:
        self.shown = shown

    def fail(self, key: str, problem: str) -> ManifestError:
        return ManifestError(
            f"{self.shown}: {key} {problem}" if key else f"{self.shown}: {problem}"
        )

    def table(self, data: Mapping[str, Any], key: str, required: bool = False) -> dict[str, Any]:
        if key not in data:
            if required:
                raise self.fail(f"[{key}]", "is missing")
            return {}
        value = data[key]
        if not isinstance(value, dict):
            raise self.fail(key, f"must be a table ([{key}]), got {show(value)}")
        return value

    def string(self, data: Mapping[str, Any], name: str, key: str, required: bool = False) -> str:
        if key not in data:
            if required:
                raise self.fail(name, "is missing")
            return ""
        value = data[key]
        if not isinstance(value, str) or not value.strip():
            raise self.fail(name, f"must be a non-empty string, got {show(value)}")
        return value

    def integer(self, data: Mapping[str, Any], name: str, key: str, low: int, high: int) -> int:
        if key not in data:
            raise self.fail(name, f"is missing (an integer between {low} and {high})")
        value = data[key]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self.fail(
                name, f"must be an integer between {low} and {high}, got {show(value)}"
            )
        return value

    def string_list(self, data: Mapping[str, Any], name: str, key: str) -> tuple[str, ...]:
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.fail(name, f"must be a list of non-empty strings, got {show(value)}")
        return tuple(value)

    def no_unknown_keys(self, where: str, table: Mapping[str, Any], allowed: Sequence[str]) -> None:
        for key in table:
            if key not in allowed:
                name = f"{where}.{key}" if where else key
                close = difflib.get_close_matches(key, allowed, n=1)
                hint = f"did you mean {close[0]}?" if close else f"allowed: {', '.join(allowed)}"
                raise self.fail(name, f"is not a known key; {hint}")


def is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def show(value: object) -> str:
    if isinstance(value, dict):
        return "a table"
    return repr(value)
