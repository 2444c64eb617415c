"""Gradescope's autograder results (``results.json``): the score, and one test per asked quantity with
its points and the feedback a student reads (named ``2: E`` for a key of several problems)."""

from __future__ import annotations

import json
from typing import Any

from ..checking.grading import Graded, SheetGrade
from .grades import MARKS, not_an_address, of_each_part, points
from .json import array


def results(sheet: SheetGrade) -> dict[str, Any]:
    """One student's results.json, as the autograder specification lays it out."""
    lines = [f"{sheet.sheet.student}: {points(sheet.score)} of {points(sheet.total)} points"
             + (f" ({of_each_part(sheet)})" if sheet.parts else "")]
    lines += [f"{e.text}: {not_an_address(sheet)} ({e.reason})" for e in sheet.errors]
    lines += [f"{text}: not asked" for text in sheet.unasked]
    return {
        "score": sheet.score,
        "output": "\n".join(lines),
        "tests": [_test(number, graded) for number, graded in enumerate(sheet.answers, start=1)],
    }


def _test(number: int, graded: Graded) -> dict[str, Any]:
    feedback = [MARKS[graded.status] + (f": {graded.reason}" if graded.reason else "")]
    if graded.written is not None:
        feedback.append(f"written {json.dumps(array(graded.written))}")
    if graded.status not in ("correct", "drift") and graded.correct is not None:
        feedback.append(f"correct {json.dumps(array(graded.correct))}")
    return {
        "name": graded.question.text,
        "number": str(number),
        "score": graded.points,
        "max_score": graded.question.points,
        "status": "passed" if graded.points >= graded.question.points else "failed",
        "output": "\n".join(feedback),
    }


def render(sheet: SheetGrade) -> str:
    from ..printable import json_safe
    return json_safe(json.dumps(results(sheet), indent=2, ensure_ascii=False)) + "\n"
