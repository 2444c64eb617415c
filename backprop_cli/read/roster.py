"""Tables with a ``student`` column, from CSV or TSV files: a roster (the students of a class) and the
rows of an answer-sheet export both read through ``read_table``.

Positions are a table's: row (the header is row 1) and column (1 for the first cell).
"""

from __future__ import annotations

import csv
import io

from ..engine.record import Record
from ..errors import Diagnostic, ProblemError, did_you_mean
from .yaml_tree import MAX_NODES, decode, read_bytes


class Student(Record):
    """A student's id as written (00123 stays 00123, surrounding spaces aside), and its cell."""

    id: str
    row: int
    column: int


class Row(Record):
    """One student's row of a table: the id as a Student, and every cell as written."""

    student: Student
    cells: list[str]


def read_roster(path: str) -> list[Student]:
    """Every student of a roster, in its order; other columns are ignored (raises ProblemError)."""
    return [row.student for row in read_table(path)[1]]


def read_table(path: str, text: str | None = None) -> tuple[list[str], list[Row]]:
    """The header and every student's row of a table: a ``student`` column is required, each id once
    (raises ProblemError)."""
    text = decode(read_bytes(path), path) if text is None else text
    tab = path.lower().endswith(".tsv") or "\t" in text.split("\n", 1)[0]
    if text.count("\t" if tab else ",") + text.count("\n") >= MAX_NODES:  # before csv builds any row
        raise ProblemError([Diagnostic(path, 1, 1, "", f"expected at most {MAX_NODES:,} cells, found more")])
    rows = _rows(text, path, "excel-tab" if tab else "excel")
    header = [cell.strip() for cell in rows[0]] if rows else []
    if "student" not in header:
        found = ", ".join(repr(h) for h in header[:6]) or "none"
        hint = next((hint for h in header[:100] if (hint := did_you_mean(h, ["student"]))), "")
        raise ProblemError([Diagnostic(path, 1, 1, "", f"expected a column 'student' in the header row, found {found}",
                                       hint)])
    column = header.index("student")
    students, problems, seen = [], [], {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue  # blank lines, and the empty rows spreadsheets export
        student = row[column].strip() if column < len(row) else ""
        if not student:
            problems.append(Diagnostic(path, number, column + 1, "student", "expected a student id, found none"))
        elif student in seen:
            problems.append(Diagnostic(path, number, column + 1, "student", f"expected each student once, found "
                                       f"'{student}' again (first in row {seen[student]})"))
        else:
            seen[student] = number
            students.append(Row(Student(student, number, column + 1), row))
    if not students and not problems:
        problems.append(Diagnostic(path, 1, column + 1, "student", "expected a row for each student, found none"))
    if problems:
        raise ProblemError(problems)
    return header, students


def _rows(text: str, path: str, dialect: str) -> list[list[str]]:
    rows: list[list[str]] = []
    try:
        rows.extend(csv.reader(io.StringIO(text, newline=""), dialect))
    except csv.Error as exc:
        raise ProblemError([Diagnostic(path, len(rows) + 1, 1, "", f"expected a CSV table, found an error: {exc}")])
    return rows
