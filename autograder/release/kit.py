"""`mgrade release --kit OUT`: the folder an instructor hands to students.

    OUT/
      README.md                          install, what to implement in which order, self-check
      pytest.ini, .vscode/settings.json  `pytest` and editors' test panels run the checks
      micrograd/                         the template: only the chosen assignments' regions stubbed
      assignments/<id>/assignment.toml   the chosen assignments, visible checks only
      wheels/mgrade-<version>-py3-none-any.whl   the checker, with those manifests as its defaults

The kit is built in a scratch folder beside OUT and moved into place only when complete, so a
failure leaves no half-written kit; OUT must not exist yet (or be empty).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from autograder.checks import catalogue
from autograder.manifest import (
    MANIFEST_NAME,
    Assignment,
    available_assignments,
    find_assignment,
    load_assignment,
)
from autograder.release.kit_config import kit_config_files
from autograder.release.kit_manifest import kit_manifest, visible_only
from autograder.release.kit_readme import example_selector, kit_readme
from autograder.release.mapping import map_regions, selection
from autograder.release.regions import ReleaseError
from autograder.release.template import generate_package, write_files
from autograder.release.wheel import build_wheel


@dataclass(frozen=True)
class Kit:
    """What `write_kit` produced."""

    path: Path
    assignments: list[str]
    stubbed: list[str]  # region names students write ("engine.Value.__add__")
    given: list[str]  # region names shipped complete because no chosen assignment grades them
    wheel: Path | None
    archive: Path | None


def write_kit(reference_dir: Path, out: Path, assignment_dirs: Sequence[Path],
              chosen: Sequence[str] = (), *, project_root: Path | None = None,
              archive: bool = False) -> Kit:
    """Write the kit of the `chosen` assignment ids (default: every assignment found) to `out`.

    `project_root` is the mgrade checkout the wheel is built from; None leaves the wheel out
    (tests of the layout, or a course that hands the checker out another way).
    """
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ReleaseError(f"{out}: already exists and is not empty; remove it or choose another "
                           "folder for the kit")
    every = _load(assignment_dirs, available_assignments(assignment_dirs))
    if not every:
        raise ReleaseError(f"no assignments found in {', '.join(map(str, assignment_dirs))}")
    by_id = {a.id: a for a in every}
    unknown = [i for i in chosen if i not in by_id]
    if unknown:
        _load(assignment_dirs, unknown)  # raises ManifestError naming what was searched
    ids = suggested_order(list(dict.fromkeys(chosen)) or list(by_id), by_id)
    picked = [visible_only(by_id[i]) for i in ids]
    mapped = map_regions(reference_dir, every)
    package = generate_package(reference_dir, selection(mapped, ids))
    stubbed = {m.name for m in mapped if set(m.assignments) & set(ids)}
    manifests = {a.id: kit_manifest(by_id[a.id]) for a in picked}

    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".mgrade-kit-", dir=out.parent) as scratch:
        stage = Path(scratch) / out.name
        wheel = None
        if project_root is not None:
            wheel = build_wheel(project_root, manifests, stage / "wheels")
        wheel_name = wheel.name if wheel else "mgrade-*-py3-none-any.whl"
        files = dict(package.files)
        files.update({f"assignments/{i}/{MANIFEST_NAME}": t for i, t in manifests.items()})
        files["README.md"] = kit_readme(picked, mapped, stubbed, wheel_name)
        files.update(kit_config_files(ids[0], example_selector(picked[0])))
        write_files(stage, files)
        if out.exists():
            out.rmdir()
        shutil.move(str(stage), str(out))
    zipped = None
    if archive:
        zipped = Path(shutil.make_archive(str(out), "zip", root_dir=out.parent, base_dir=out.name))
    return Kit(
        path=out, assignments=ids,
        stubbed=[m.name for m in mapped if m.name in stubbed],
        given=[m.name for m in mapped if m.name not in stubbed],
        wheel=out / "wheels" / wheel.name if wheel else None,
        archive=zipped,
    )


def suggested_order(ids: list[str], by_id: dict[str, Assignment]) -> list[str]:
    """Assignments in the order students best work through them: by the catalogue position of
    their first check (ops before backpropagation before the network). The kit's README and the
    order of `pytest`'s items both follow it."""
    position = {cid: index for index, cid in enumerate(catalogue())}
    return sorted(ids, key=lambda i: min((position[c.id] for c in by_id[i].checks), default=0))


def _load(dirs: Sequence[Path], ids: Sequence[str]) -> list[Assignment]:
    known = catalogue().keys()
    return [load_assignment(find_assignment(i, dirs), known) for i in ids]
