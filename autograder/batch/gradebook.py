"""grades.csv: one row per student, built from the results.json files on disk.

Columns: `student`, `total`, `max`, then one column per check (its points), in the grader's check
order. An LMS imports it as is: plain numbers, no formulas, UTF-8. A student the grader could not
grade (an internal error, a grading process that died or ran out of time) has empty cells, so an
import never turns a grader failure into a zero; `grade-all` lists those students at the end.
Every run rewrites the file from disk, so it always covers every finished student.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from autograder.batch.discover import Submission
from autograder.batch.outputs import GRADED, Outputs
from autograder.reporters.atomic import atomic_write_text

GRADES_CSV = "grades.csv"
FIXED_COLUMNS = ("student", "total", "max")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _number(x: object) -> str:
    return f"{float(x):g}" if isinstance(x, int | float) else ""


def _cell(text: str) -> str:
    """A student name as a spreadsheet shows it, never as a formula."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def _row(outputs: Outputs, key: str) -> tuple[dict[str, str], list[str]] | None:
    marker = outputs.marker(key)
    if marker is None:
        return None
    if marker.get("status") != GRADED or marker.get("internal_error"):
        return {}, []
    try:
        data = json.loads(outputs.paths(key)["json"].read_text(encoding="utf-8"))
        tests = [t for t in data["tests"] if isinstance(t, dict)]
        cells = {"total": _number(data["score"]),
                 "max": _number(sum(float(t["max_score"]) for t in tests))}
        order = [str(t["name"]) for t in tests]
        cells.update({str(t["name"]): _number(t["score"]) for t in tests})
    except (OSError, ValueError, KeyError, TypeError):
        return {}, []
    return cells, order


def write_gradebook(outputs: Outputs, submissions: list[Submission]) -> Path:
    """Write DIR/grades.csv for `submissions`; students not graded yet are left out."""
    rows: list[tuple[str, dict[str, str]]] = []
    columns: list[str] = []
    for submission in submissions:
        found = _row(outputs, submission.key)
        if found is None:
            continue
        cells, order = found
        columns.extend(c for c in order if c not in columns)
        rows.extend((student, cells) for student in submission.students)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*FIXED_COLUMNS, *columns])
    for student, cells in rows:
        writer.writerow([_cell(student), *(cells.get(c, "") for c in FIXED_COLUMNS[1:]),
                         *(cells.get(c, "") for c in columns)])
    return atomic_write_text(outputs.out / GRADES_CSV, buffer.getvalue())
