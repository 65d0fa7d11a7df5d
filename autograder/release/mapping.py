"""Which assignment grades which solution region: the manifests' `[release] implement` patterns.

A region is named `<module>.<qualified name>` after the reference file it is in and the innermost
function around it: `engine.Value.__add__`, `nn.MLP.__call__`, `engine.Value.tanh._backward`. A
pattern is a shell-style wildcard (`fnmatch`, case-sensitive; `*` also matches dots) and matches a
region when it matches its name or the name of a function around it, so `engine.Value.tanh`
covers `engine.Value.tanh._backward`. A region belongs to every assignment with a matching
pattern; `mgrade release --kit -a ID` stubs the regions of the chosen assignments and ships the
others complete.

Both mistakes that would publish or hide the wrong code are errors: a region no assignment claims
(it would ship complete, with its solution, in every kit) and a pattern that matches no region
(a typo).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

from autograder.manifest import Assignment
from autograder.release.regions import Region, ReleaseError, Selection, find_regions
from autograder.release.template import reference_files


@dataclass(frozen=True)
class MappedRegion:
    """A solution region with its dotted name and the assignments that grade it."""

    region: Region
    name: str  # "engine.Value.__add__"
    assignments: tuple[str, ...]


def region_name(package_rel: str, qualname: str) -> str:
    """ "engine.py", "Value.__add__" -> "engine.Value.__add__" (sub/mod.py -> sub.mod...)."""
    module = package_rel.removesuffix(".py").replace("/", ".")
    return f"{module}.{qualname}"


def matches(pattern: str, name: str) -> bool:
    """True when `pattern` matches `name` or one of its enclosing functions' names."""
    parts = name.split(".")
    return any(fnmatchcase(".".join(parts[:end]), pattern) for end in range(len(parts), 1, -1))


def map_regions(reference_dir: Path, assignments: Sequence[Assignment]) -> list[MappedRegion]:
    """Every region of the reference, in file order, with the assignments whose patterns match.

    Raises `ReleaseError` for a region that no assignment claims (naming its file, line and name)
    and for a pattern that matches no region (naming the manifest and the pattern).
    """
    reference_dir = reference_dir.resolve()
    shown = f"{reference_dir.parent.name}/{reference_dir.name}"
    mapped: list[MappedRegion] = []
    used: set[tuple[str, str]] = set()
    for source_path in reference_files(reference_dir):
        if source_path.suffix != ".py":
            continue
        rel = source_path.relative_to(reference_dir).as_posix()
        for region in find_regions(source_path.read_text(encoding="utf-8"), f"{shown}/{rel}"):
            name = region_name(rel, region.qualname)
            owners = []
            for assignment in assignments:
                hits = [p for p in assignment.implement if matches(p, name)]
                used.update((assignment.id, p) for p in hits)
                if hits:
                    owners.append(assignment.id)
            if not owners:
                raise ReleaseError(
                    f"{region.path}:{region.begin}: no assignment grades the solution region of "
                    f"{name}; add a pattern matching it to the [release] implement list of the "
                    "assignment whose checks grade it (docs/RELEASE.md)"
                )
            mapped.append(MappedRegion(region, name, tuple(owners)))
    for assignment in assignments:
        for pattern in assignment.implement:
            if (assignment.id, pattern) not in used:
                raise ReleaseError(
                    f"{assignment.path}: release.implement: {pattern!r} matches no solution "
                    f"region of {shown} (region names look like engine.Value.__add__)"
                )
    return mapped


def selection(mapped: Sequence[MappedRegion], chosen: Sequence[str]) -> Selection:
    """The regions to stub for a kit of the `chosen` assignments."""
    stubbed = {m.region for m in mapped if set(m.assignments) & set(chosen)}
    return lambda region: region in stubbed
