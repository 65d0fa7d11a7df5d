"""What a notebook's autograded test cell calls: `check("engine.tanh.backward")`.

The cell asserts that one check of the grader passes on the code the notebook defined. The visible
call runs the public check with the pure-Python oracle (students see it fail while they work);
the call inside `### BEGIN HIDDEN TESTS` runs it as the official grade does (PyTorch oracle when
installed, withheld checks included), so nbgrader's points agree with `mgrade grade notebook.ipynb`.
A kernel grades each version of the code once and answers later cells from that report; where the
official run came first (nbgrader's autograde restores it), the public check reuses its verdicts.
"""

from __future__ import annotations

from autograder.notebooks.selfcheck import grade_notebook_code


def check(check_id: str, *, official: bool = False, source=None) -> None:
    """Raise AssertionError with the grader's feedback unless `check_id` passes."""
    from autograder.reporters.content import failure_text

    report = grade_notebook_code(source, only=check_id, official=official)
    found = [r for r in report.results if r.check_id == check_id]
    if not found:
        raise AssertionError(f"{check_id}: not graded here (unknown check id?)")
    result = found[0]
    if report.internal_error:
        raise AssertionError(f"{check_id}: internal grader error: {report.internal_error}")
    if not result.passed:
        raise AssertionError(failure_text(result))
    kind = "official check" if official else "check"
    print(f"{check_id}: {kind} passed ({result.title})")
