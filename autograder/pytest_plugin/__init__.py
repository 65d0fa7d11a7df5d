"""mgrade's pytest plugin: in a student kit, `pytest` runs the kit's visible checks, one test each.

Registered through the `pytest11` entry point `mgrade` (`-p no:mgrade` turns it off). It collects
only kit manifests, `assignments/<id>/assignment.toml` files marked `[release] kit = true` (what
`mgrade release --kit` writes), so it stays inactive in a course repository, whose own manifests
are not so marked, and never touches anyone's other tests.

- `items`: a kit manifest is a pytest File; each of its visible checks is an Item named by the
  check id, marked with the assignment id, in the order the kit's README suggests.
- `grades`: an item's verdict comes from `run_selfcheck`, the code path of `mgrade check`; the
  first item to run grades every selected item of its kit in one call, the others read the result.

Collection reads the manifests only: it starts no worker and imports no submission.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.pytest_plugin.grades import summary_lines
from autograder.pytest_plugin.items import CheckItem, KitManifest, in_suggested_order


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.suffix != ".toml":
        return None
    from autograder.manifest import is_kit_manifest

    if not is_kit_manifest(file_path):
        return None
    return KitManifest.from_parent(parent, path=file_path)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Put the checks in the suggested order, in the slots they already hold among all items."""
    slots = [index for index, item in enumerate(items) if isinstance(item, CheckItem)]
    if not slots:
        return
    ordered = in_suggested_order([items[index] for index in slots])
    for index, item in zip(slots, ordered, strict=True):
        items[index] = item


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter,
                            config: pytest.Config) -> None:
    lines = summary_lines(config)
    if lines:
        terminalreporter.write_sep("-", "mgrade")
        for line in lines:
            terminalreporter.write_line(line)
