"""Answer sheets: a student's answers kept apart from the problem, as YAML or as a CSV/TSV export.

A YAML sheet holds ``student: <id>`` and ``answers:`` (address → value, as under ``expected:``) and
nothing else: a sheet can never change the problem. A CSV or TSV export from an LMS or a form has a
``student`` column and one column per address (the header is the address); each row is a sheet.
Answers are kept as written, with their positions; they are read against the problem when graded.

Against a key of several problems (YAML documents of one file), each address follows its problem's
number and a colon: ``"2: dE/dw5"`` (quoted in YAML, or ``2:dE/dw5``), the same in a table's header.
"""

from __future__ import annotations

import re

from ..engine.record import Record
from ..errors import Diagnostic, ProblemError, did_you_mean
from .roster import read_table
from .yaml_tree import Node, child_path, decode, parse, read_bytes

SHEET_KEYS = ("student", "answers")
TABLE_SUFFIXES = (".csv", ".tsv")
_PART = re.compile(r"\s*([0-9]{1,18})\s*:(.*)", re.DOTALL)  # 2: dE/dw5 (no address starts with a digit)


class RawAnswer(Record):
    """One answer as written on a sheet: the address text, the value node, and where it stands."""

    text: str
    node: Node
    line: int
    column: int


class Sheet(Record):
    """One student's answers, from a file (or a row of a table)."""

    student: str
    source: str  # the file, or file:row for a row of a table
    answers: list[RawAnswer]


def part_of(text: str) -> tuple[int, str] | None:
    """The problem's number and the address of an answer to a key of several problems (``2: E`` gives
    ``(2, "E")``), or None when the text names no problem."""
    found = _PART.fullmatch(text)
    if found is None or not found.group(2).strip():
        return None
    return int(found.group(1)), found.group(2).strip()


def part_address(number: int, text: str) -> str:
    """An address of problem ``number`` of a key of several, as a sheet writes it: ``2: E``."""
    return f"{number}: {text}"


def read_sheets(path: str) -> list[Sheet]:
    """The sheets in one file: one for a YAML sheet, one per row for a CSV/TSV table (raises
    ProblemError when the file cannot be read as a sheet at all)."""
    if path.lower().endswith(TABLE_SUFFIXES):
        return read_answer_table(decode(read_bytes(path), path), path)
    return [read_yaml_sheet(path)]


def read_yaml_sheet(path: str, text: str | None = None) -> Sheet:
    """A YAML sheet; anything but ``student`` and ``answers`` is refused, naming the key."""
    tree = parse(decode(read_bytes(path), path), path) if text is None else parse(text, path)
    problems = []
    for key, (line, column) in tree.key_marks.items():
        if key not in SHEET_KEYS:
            what = "a key of the problem" if key in _PROBLEM_KEYS else "an unknown key"
            problems.append(Diagnostic(path, line, column, key,
                                       f"expected only student and answers on an answer sheet, found '{key}' "
                                       f"({what}: a sheet cannot change the problem)",
                                       did_you_mean(key, SHEET_KEYS) if key not in _PROBLEM_KEYS else ""))
    student = tree.value.get("student")
    if student is None:
        problems.append(Diagnostic(path, tree.line, tree.column, "", "expected a key 'student', found none"))
    elif isinstance(student.value, (dict, list)) or student.value is None:
        problems.append(Diagnostic(path, student.line, student.column, "student",
                                   f"expected a student id, found {student.describe()}"))
    answers = tree.value.get("answers")
    if answers is not None and not answers.is_mapping:
        problems.append(Diagnostic(path, answers.line, answers.column, "answers",
                                   f"expected a mapping of answers (address: value), found {answers.describe()}"))
    if problems:
        raise ProblemError(problems)
    raw = [] if answers is None else [RawAnswer(text, node, *answers.key_marks[text])
                                      for text, node in answers.value.items()]
    return Sheet(_student_id(student), path, raw)


_PROBLEM_KEYS = {"title", "description", "convention", "notation", "parameters", "network", "graph", "input",
                 "target", "samples_are", "loss", "upstream", "train", "expected", "check", "grading"}


def _student_id(node: Node) -> str:
    """An id as written (00123 stays 00123, not 123)."""
    return node.raw if node.raw is not None and not isinstance(node.value, str) else str(node.value)


def read_answer_table(text: str, path: str) -> list[Sheet]:
    """One sheet per row of a CSV or TSV export: a ``student`` column and one column per address."""
    header, rows = read_table(path, text)
    id_column = rows[0].student.column - 1 if rows else header.index("student")
    sheets = []
    for row in rows:
        number = row.student.row
        answers = [RawAnswer(address, _cell(cell.strip(), path, number, column + 1, address), number, column + 1)
                   for column, (address, cell) in enumerate(zip(header, row.cells))
                   if column != id_column and address and cell.strip()]
        sheets.append(Sheet(row.student.id, f"{path}:{number}", answers))
    return sheets


def _cell(text: str, path: str, row: int, column: int, address: str) -> Node:
    """A cell as a positioned value: a number as written, or a list written as ``[0.1, 0.2]``."""
    if not text.startswith("["):
        return Node(text, row, column, address, raw=text)
    try:
        value = parse(f"v: {text}", path).value["v"]
    except ProblemError:
        return Node(text, row, column, address, raw=text)  # read as text: the answer is unreadable
    return _placed(value, row, column - 4, address)


def _placed(node: Node, row: int, shift: int, path: str) -> Node:
    """A value parsed from a cell, moved to the cell's row and column."""
    value = [_placed(child, row, shift, child_path(path, i)) for i, child in enumerate(node.value)] \
        if node.is_sequence else node.value
    return Node(value, row, node.column + shift, path, raw=node.raw, style=node.style)
