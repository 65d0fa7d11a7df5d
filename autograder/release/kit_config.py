"""A kit's test set-up: `pytest.ini`, and the VS Code settings that turn its test panel on.

With them a student opens the kit's folder and the editor lists every check (mgrade's pytest
plugin, installed with the checker, collects them from `assignments/`); `pytest.ini` also makes
the folder pytest's root, so the checks' ids are the same wherever pytest starts.
"""

from __future__ import annotations

import json

_PYTEST_INI = """\
# pytest runs this kit's checks (mgrade's plugin comes with the checker; see README.md):
{commands}
# VS Code and PyCharm list the same checks in their test panel.
[pytest]
minversion = 8.0
"""

VSCODE_SETTINGS = {
    "python.testing.pytestEnabled": True,
    "python.testing.unittestEnabled": False,
}


def kit_config_files(assignment: str, example: str) -> dict[str, str]:
    """Relative path -> text of the kit's test set-up files; `assignment` and `example` (a check
    id or the start of one) are the kit's own, shown in the comments."""
    commands = [("pytest", "every check, in the order README.md suggests"),
                (f"pytest -m {assignment}", "the checks of one assignment"),
                (f"pytest -k {example}", f'the checks whose id contains "{example}"')]
    width = max(len(command) for command, _ in commands) + 2
    ini = _PYTEST_INI.format(commands="\n".join(f"#   {command.ljust(width)}{what}"
                                                  for command, what in commands))
    return {
        "pytest.ini": ini,
        ".vscode/settings.json": json.dumps(VSCODE_SETTINGS, indent=4) + "\n",
    }
