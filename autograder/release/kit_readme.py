"""The README of a student kit: install, what to implement and in which order, how to self-check.

Everything in it is derived from the kit itself (the chosen assignments' visible checks, the
stubbed functions, the wheel's file name), so it cannot promise a check the kit does not have.
"""

from __future__ import annotations

from collections.abc import Sequence

from autograder.manifest import MANIFEST_NAME, Assignment
from autograder.ops import OPS
from autograder.release.mapping import MappedRegion

_HEAD = """\
# {titles}

This kit holds your starting code (`micrograd/`), the checks you can run yourself
(`assignments/`) and the checker that runs them (`wheels/`).

## 1. Install the checker (once)

You need Python 3.11 or newer. One command, no PyTorch:

    pip install wheels/{wheel}

It installs the `mgrade` command and `pytest`.

(A virtual environment keeps it apart from your other projects: `python -m venv .venv`, then
activate it before `pip install`.)

## 2. Implement, check, repeat

Fill in the functions below in this order. Each one raises `NotImplementedError` until you do; its
docstring says what it must do. Keep every name and signature as it is. Functions not listed are
given and already work.
"""

_SELF_CHECK = """
## 3. Check your work

From this folder (the one that holds `micrograd/` and `assignments/`), with pytest:

{pytest}

or with `mgrade check`, which prints one report of every check it runs:

{mgrade}

Both run the same checks the same way and say the same thing about each one. A failed check shows
the input that fails, what was expected, what your code returned, and a snippet under "Reproduce
with:" that you can paste into Python to see the bug for yourself. When a check relies on another
one that failed, it names that check to fix first; pytest reports a check that could not be
tested at all as skipped, with that reason.

In VS Code or PyCharm, open this folder and choose the Python of your virtual environment: the
test panel lists every check (`pytest.ini` and `.vscode/settings.json` set this up), runs one with
a click and shows its failure next to it.

## What the official grade adds

Your submission is graded with the same checks and the same feedback, plus:

- more generated examples per check, compared with PyTorch instead of the checker's own
  pure-Python answers;
- checks that are withheld until after the due date or never shown, so that a solution has to be
  right in general and not only on the examples you saw.

Passing every check here is a very good sign, not a guarantee of full marks.
"""


def kit_readme(assignments: Sequence[Assignment], mapped: Sequence[MappedRegion],
               stubbed: set[str], wheel: str) -> str:
    """The README text. `assignments` are the kit's (visible checks only), in the chosen order;
    `stubbed` holds the names ("engine.Value.__add__") of the regions the kit stubs."""
    titles = " / ".join(a.title for a in assignments)
    parts = [_HEAD.format(titles=titles, wheel=wheel)]
    for number, assignment in enumerate(assignments, start=1):
        parts.append(_assignment_section(number, assignment, mapped, stubbed))
    first = assignments[0]
    example = example_selector(first)
    node = f"assignments/{first.id}/{MANIFEST_NAME}::{first.checks[0].id}"
    parts.append(_SELF_CHECK.format(pytest=_commands([
        ("pytest", "every check below, in this order"),
        (f"pytest -m {first.id}", "one assignment"),
        (f"pytest -k {example}", f'every check whose id contains "{example}"'),
        (f'pytest "{node}"', "one check"),
        ("pytest --lf", "only the checks that failed last time"),
    ]), mgrade=_commands([
        ("mgrade check", "every check below"),
        (f"mgrade check -a {first.id}", "one assignment"),
        (f"mgrade check --only {example}", "one check id, or every check starting with it"),
        ("mgrade check --json results.json", "also write the results as JSON"),
    ])))
    return "".join(parts)


def example_selector(assignment: Assignment) -> str:
    """The start of the assignment's first check id ("engine.add" of engine.add.forward): what
    the README and pytest.ini select a group of checks with."""
    return assignment.checks[0].id.rsplit(".", 1)[0]


def _commands(commands: list[tuple[str, str]]) -> str:
    width = max(len(command) for command, _ in commands) + 2
    return "\n".join(f"    {command.ljust(width)}# {what}" for command, what in commands)


def _assignment_section(number: int, assignment: Assignment, mapped: Sequence[MappedRegion],
                        stubbed: set[str]) -> str:
    lines = ["", f"### 2.{number} {assignment.title} (`-a {assignment.id}`)", ""]
    ids = [check.id for check in assignment.checks]
    functions = [m.name for m in mapped if assignment.id in m.assignments and m.name in stubbed]
    shown: list[str] = []
    for name in dict.fromkeys(_function(n) for n in functions):
        file, _, qualname = name.partition(".")
        checks = [i for i in ids if _checks(qualname, i)]
        by = f" (checked by {', '.join(f'`{c}`' for c in checks)})" if checks else ""
        shown.append(f"1. `{qualname}` in `micrograd/{file}.py`{by}")
    lines += shown or ["Nothing to write for this assignment: its code ships complete."]
    lines += ["", f"Its checks (`pytest -m {assignment.id}` or `mgrade check -a {assignment.id}`):",
              ""]
    titles = {check.id: check.title for check in assignment.checks}
    lines += [f"- `{i}`" + (f": {titles[i]}" if titles[i] else "") for i in ids]
    return "\n".join(lines) + "\n"


def _function(name: str) -> str:
    """A region inside a nested function belongs to the method students see: drop `._backward`."""
    parts = name.split(".")
    while len(parts) > 3 and parts[-1].startswith("_") and not parts[-1].startswith("__"):
        parts.pop()
    return ".".join(parts)


def _checks(qualname: str, check_id: str) -> bool:
    """Whether `check_id` grades the Value method `qualname` (from the op table; backward() is
    graded by the engine.backward.* checks)."""
    method = qualname.rpartition(".")[2]
    if qualname == "Value.backward":
        return check_id.startswith("engine.backward.")
    return any(check_id.startswith(f"engine.{op.name}.") for op in OPS if op.method == method)
