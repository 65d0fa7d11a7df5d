"""The `mgrade release --kit` command body: build the kit, say what it holds."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click

from autograder.manifest import ManifestError, default_assignment_dirs
from autograder.release.kit import write_kit
from autograder.release.regions import ReleaseError
from autograder.release.template import checkout_root, default_paths


def release_kit(out: Path, reference: Path | None, assignments: Sequence[str],
                archive: bool) -> None:
    try:
        reference = reference or default_paths()[0]
        kit = write_kit(reference, out, default_assignment_dirs(), assignments,
                        project_root=checkout_root(), archive=archive)
    except (ReleaseError, ManifestError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"wrote the kit of {', '.join(kit.assignments)} to {kit.path}")
    click.echo(f"  students write: {', '.join(kit.stubbed) or 'nothing'}")
    if kit.given:
        click.echo(f"  shipped complete (no chosen assignment grades them): {', '.join(kit.given)}")
    if kit.wheel:
        click.echo(f"  checker: {kit.wheel}")
    if kit.archive:
        click.echo(f"  archive: {kit.archive}")
