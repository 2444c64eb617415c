"""A graded class laid out: one line per student, every answer with its reason on request, and the
exports a spreadsheet or an LMS reads (CSV, JSON)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import numpy as np

from ..checking.classroom import ClassGrades
from ..checking.grading import STATUSES, Graded, Refused, SheetGrade
from .json import array
from .report import Report, Table, values
from .verdicts import correct_text, laid_out, written_text

MARKS = {"correct": "✓ correct", "drift": "≈ rounding drift", "follows": "→ follows", "wrong": "✗ wrong",
         "missing": "– missing", "unreadable": "✗ unreadable"}
SCHEMA = "backprop-cli/grade"
VERSION = 1


def points(value: float) -> str:
    """Points as a short number: 2, 1.5, 0.333."""
    return f"{value:.3g}" if value != int(value) else str(int(value))


def summary(grades: ClassGrades) -> list[Report]:
    """One line per student: score out of the total, and how many answers earned each verdict."""
    rows, notes = [], []
    for sheet in grades.sheets:
        if isinstance(sheet, Refused):
            notes.append(f"{sheet.source}: not graded (see the errors above)")
            continue
        rows.append([sheet.sheet.student, points(sheet.score), points(sheet.total),
                     *(str(sheet.count(status)) for status in STATUSES)])
        if _notes(sheet):
            notes.append(f"{sheet.sheet.student}: {_notes(sheet)}")
    title = f"{grades.keys.any.heading}: {len(grades.sheets)} submission{'s' if len(grades.sheets) != 1 else ''}"
    return [Report(title, [], [Table("grades", ["student", "score", "of", *STATUSES], rows, notes)])]


def _notes(sheet: SheetGrade) -> str:
    notes = []
    if sheet.errors:
        notes.append(f"{', '.join(e.text for e in sheet.errors)}: {not_an_address(sheet)}")
    if sheet.unasked:
        notes.append(f"{', '.join(sheet.unasked)}: not asked")
    return "; ".join(notes)


def not_an_address(sheet: SheetGrade) -> str:
    """What an unreadable address is not: one of the problem, or of the key's problems."""
    return "not an address of the key's problems" if sheet.parts else "not an address of this problem"


def of_each_part(sheet: SheetGrade) -> str:
    """Against a key of several problems, the score of each: ``problem 1: 3 of 4; problem 2: 4 of 6``."""
    return "; ".join(f"problem {p.number}: {points(p.score)} of {points(p.total)}" for p in sheet.parts)


def details(grades: ClassGrades, precision: int = 6) -> list[Report]:
    """Every answer of every student: what was written, the correct value, verdict and points, and the
    reasons under the table."""
    built = []
    for sheet in grades.graded:
        rows = [_row(g, precision) for g in sheet.answers]
        rows += [[e.text, e.written or "—", "—", MARKS["unreadable"], "0", e.reason] for e in sheet.errors]
        rows += [[text, "", "", "not asked", "", ""] for text in sheet.unasked]
        table = laid_out("answers", ["answer", "written", "correct", "verdict", "points", "why"], rows)
        parts = f" ({of_each_part(sheet)})" if sheet.parts else ""
        built.append(Report(f"{sheet.sheet.student} ({sheet.sheet.source}): {points(sheet.score)} of "
                            f"{points(sheet.total)}{parts}", [], [table]))
    return built


def _row(graded: Graded, precision: int) -> list[str]:
    if graded.answer is not None:
        written, correct = written_text(graded.answer), correct_text(graded.answer, graded.correct, precision)
    else:
        written = graded.shown or "—"
        correct = "—" if graded.correct is None else values(np.squeeze(graded.correct), precision)
    return [graded.question.text, written, correct, MARKS[graded.status],
            f"{points(graded.points)}/{points(graded.question.points)}", graded.reason]


def closing_line(grades: ClassGrades) -> str:
    """``N graded``, with the submissions that could not be read at all."""
    line = f"{len(grades.graded)} graded"
    return line + (f", {len(grades.refused)} not readable" if grades.refused else "")


def to_csv(grades: ClassGrades) -> str:
    """One row per graded student: the points of each asked quantity, then the total."""
    questions = [q.text for q in grades.keys.any.questions]
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student", *questions, "total", "out_of"])
    for sheet in grades.graded:
        earned = {g.question.text: points(g.points) for g in sheet.answers}
        writer.writerow([sheet.sheet.student, *(earned.get(q, "") for q in questions), points(sheet.score),
                         points(sheet.total)])
    return buffer.getvalue()


def document(grades: ClassGrades) -> dict[str, Any]:
    """The class as plain JSON-ready data."""
    return {
        "schema": SCHEMA,
        "version": VERSION,
        "students": [_student(s) for s in grades.graded],
        "not_readable": [{"source": r.source, "errors": [d.format() for d in r.diagnostics]}
                         for r in grades.refused],
        "exit_code": grades.exit_code,
    }


def _student(sheet: SheetGrade) -> dict[str, Any]:
    parts = {"parts": [{"part": p.number, "title": p.title, "score": p.score, "max_score": p.total}
                       for p in sheet.parts]} if sheet.parts else {}
    return {
        "student": sheet.sheet.student,
        "source": sheet.sheet.source,
        "score": sheet.score,
        "max_score": sheet.total,
        **parts,
        "answers": [{
            "answer": g.question.text,
            "verdict": g.status,
            "points": g.points,
            "max_points": g.question.points,
            "written": None if g.written is None else array(g.written),
            "correct": None if g.correct is None else array(g.correct),
            "reason": g.reason,
            "mistake": g.mistake or None,
            "line": g.line or None,
        } for g in sheet.answers],
        "errors": [{"answer": e.text, "line": e.line, "reason": e.reason} for e in sheet.errors],
        "not_asked": sheet.unasked,
    }


def to_json(grades: ClassGrades) -> str:
    from ..printable import json_safe
    return json_safe(json.dumps(document(grades), indent=2, ensure_ascii=False)) + "\n"
