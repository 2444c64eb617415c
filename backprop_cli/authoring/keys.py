"""Answer keys: the exact value of every quantity a template asks, in one variant, written to 6
significant digits (so that ``backprop check`` judges the key right: half a unit of the last digit)."""

from __future__ import annotations

import math

import numpy as np

from ..errors import Diagnostic, ProblemError
from ..read.addresses import AddressError
from ..read.template import Question
from ..solving.kinds import lookup, resolve, solve

DIGITS = 6


def answers(problem, questions: list[Question]) -> list[tuple[Question, np.ndarray]]:
    """Each question with its value in the problem (raises ProblemError, positioned at the questions
    that name nothing or whose value is not finite)."""
    result = solve(problem)
    found, problems = [], []
    for question in questions:
        where = (problem.source, question.line, question.column, question.path)
        try:
            value = np.asarray(lookup(resolve(question.text, problem), result), dtype=float)
        except AddressError as exc:
            problems.append(Diagnostic(*where, str(exc), exc.hint))
            continue
        if np.isinf(value).any():
            problems.append(Diagnostic(*where, f"expected a finite value, found {value[np.isinf(value)][0]:g}"))
        found.append((question, value))
    if problems:
        raise ProblemError(problems)
    return found


def section(found: list[tuple[Question, np.ndarray]], newline: str = "\n") -> str:
    """The ``expected:`` section of a key, one line per question, vectors and matrices as flow lists."""
    lines = ["expected:", *(f"  {question.source}: {written(value)}" for question, value in found)]
    return newline.join(lines) + newline


def written(value: np.ndarray) -> str:
    """A value to DIGITS significant digits, trailing zeros kept (they set the tolerance); NaN (no such
    entry) as null."""
    if value.ndim:
        return "[" + ", ".join(written(item) for item in value) + "]"
    number = float(value)
    if math.isnan(number):
        return "null"
    text = f"{number:#.{DIGITS}g}".rstrip(".")
    return text.lstrip("-") if float(text) == 0 else text
