"""Grading: a class's answer sheets against one answer key, each answer judged on its own and scored.

The key is a problem file. What is asked, and for how many points, is its ``grading:`` section, or
else its ``expected:`` section at 1 point an answer (the key's values are not needed: the tool computes
them). Every answer of a sheet is read and judged like ``check`` judges an answer, with the sheet's
other answers as the student's earlier values, so an error carried forward is recognised; the verdict
earns points by the key's policy.
"""

from __future__ import annotations

import numpy as np

from ..engine.record import Fresh, Record
from ..errors import Diagnostic, ProblemError
from ..read.addresses import Address, AddressError
from ..read.answers import TOLERANCE_KEYS, Answer, Tolerance, Unreadable, read_answer, tolerance_of
from ..read.fields import Fields
from ..read.sheets import Sheet
from ..solving.kinds import kind_of, lookup, solve
from .verdicts import Verdict, check

STATUSES = ("correct", "drift", "follows", "wrong", "missing", "unreadable")


class Question(Record):
    """One asked quantity: its address as the key writes it, its points, its tolerance."""

    text: str
    address: Address
    points: float
    tolerance: Tolerance


class Policy(Record):
    """How verdicts earn points: correct and rounding drift in full by default, an error carried forward
    (``follows``) in full by default or a fraction; wrong, missing and unreadable nothing."""

    drift: float = 1.0
    follows: float = 1.0
    tolerance: Tolerance = Tolerance()  # for every answer whose question sets none

    def fraction(self, status: str) -> float:
        return {"correct": 1.0, "drift": self.drift, "follows": self.follows}.get(status, 0.0)


class Key(Record):
    """A problem with the questions it asks, its policy, and its worked result."""

    problem: object
    questions: list[Question]
    policy: Policy
    result: object
    replays: dict = Fresh(dict)  # the replays every sheet may use, computed once

    @property
    def total(self) -> float:
        return sum(q.points for q in self.questions)

    @property
    def student(self) -> str | None:
        return self.problem.student

    @property
    def source(self) -> str:
        return self.problem.source

    @property
    def heading(self) -> str:
        """The key's title, else its file's name."""
        return self.problem.title or self.problem.source


class Graded(Record):
    """One asked quantity of one sheet: what was written, the verdict, the points earned."""

    question: Question
    status: str  # correct | drift | follows | wrong | missing | unreadable
    points: float
    reason: str = ""
    written: np.ndarray | None = None
    correct: np.ndarray | None = None
    line: int = 0
    column: int = 0
    shown: str = ""  # an unreadable value, as written
    answer: object = None  # the Answer judged, for its text and tolerance
    mistake: str = ""  # the name of the mistake the reason names


class PartScore(Record):
    """One problem's share of a sheet graded against a key of several: its number, its title, the points
    earned and the points it offers."""

    number: int
    title: str
    score: float
    total: float


class SheetGrade(Record):
    """A sheet graded: one entry per asked quantity, in the key's order, and what it answered unasked."""

    sheet: Sheet
    answers: list[Graded]
    unasked: list[str]  # addresses answered that the key does not ask
    total: float
    errors: list[Unreadable] = Fresh(list)  # answers whose address names nothing in the problem
    parts: list[PartScore] = Fresh(list)  # against a key of several problems, the score of each

    @property
    def score(self) -> float:
        return sum(g.points for g in self.answers)

    def count(self, status: str) -> int:
        return sum(g.status == status for g in self.answers)


class Refused(Record):
    """A submission that could not be read at all (named, with why)."""

    source: str
    diagnostics: list[Diagnostic]


def read_key(problem, line: int = 1) -> Key:
    """The questions and policy of a key (raises ProblemError for a grading: section or an expected:
    answer that cannot be read; one that asks nothing is reported at ``line``, where its problem starts)."""
    f = Fields(problem.source)
    policy, questions = Policy(), []
    node = problem.grading
    if node is not None:
        keys = f.keys(node, ("points", "drift", "follows", "tolerance", "questions")) or {}
        default = f.number(keys["points"], "a number of points", 0.0) if "points" in keys else 1.0
        fractions = {name: f.number(keys[name], "a fraction of the points from 0 to 1", 0.0)
                     for name in ("drift", "follows") if name in keys}
        tolerance = tolerance_of(f.keys(keys["tolerance"], TOLERANCE_KEYS) or {}, f) if "tolerance" in keys \
            else Tolerance()
        policy = Policy(**{k: min(v, 1.0) for k, v in fractions.items() if v is not None}, tolerance=tolerance)
        if "questions" in keys:
            questions = _questions(keys["questions"], problem, f, default or 0.0)
    if node is None or "questions" not in (node.value if node.is_mapping else {}):
        questions = _expected_questions(problem, f)
    f.raise_if_any()
    if not questions:
        raise ProblemError([Diagnostic(problem.source, line, 1, "", "expected a key that asks for something (a "
                                                                 "grading: questions: or an expected: section), "
                                                                 "found neither")])
    return Key(problem, questions, policy, solve(problem))


def _expected_questions(problem, f: Fields) -> list[Question]:
    """The key's expected: addresses at 1 point each, in the order written; their values may be left
    out (null): the tool computes them."""
    resolve = kind_of(problem).resolve
    found = [(a.line, Question(a.address.text, a.address, 1.0, a.tolerance)) for a in problem.expected]
    for bad in problem.unreadable:
        try:
            found.append((bad.line, Question(bad.text, resolve(bad.text, problem), 1.0, Tolerance())))
        except AddressError:
            f.diagnostics.extend(bad.diagnostics)
    return [question for _, question in sorted(found, key=lambda pair: pair[0])]


def _questions(node, problem, f: Fields, default: float) -> list[Question]:
    if not node.is_mapping:
        f.error(node, f"expected a mapping of addresses to points, found {node.describe()}")
        return []
    questions = []
    resolve = kind_of(problem).resolve
    for text, child in node.value.items():
        line, column = node.key_marks[text]
        try:
            address = resolve(text, problem)
        except AddressError as exc:
            f.diagnostics.append(Diagnostic(f.filename, line, column, child.path, str(exc), exc.hint))
            continue
        points, tolerance = default, Tolerance()
        if child.is_mapping:
            keys = f.keys(child, ("points", *TOLERANCE_KEYS)) or {}
            points = f.number(keys["points"], "a number of points", 0.0) if "points" in keys else default
            tolerance = tolerance_of(keys, f)
        elif child.value is not None:
            points = f.number(child, "a number of points", 0.0)
        if points is not None:
            questions.append(Question(text, address, points, tolerance))
    return questions


def grade(key: Key, sheet: Sheet, rounding: int | None = None) -> SheetGrade:
    """Every asked quantity of one sheet, judged and scored."""
    problem = key.problem
    resolve = kind_of(problem).resolve
    by_address = {where(q.address): q for q in key.questions}
    read: dict[tuple, Answer | Unreadable] = {}
    unasked, readable = [], []
    errors = []
    for raw in sheet.answers:
        try:
            question = by_address.get(where(resolve(raw.text, problem)))
        except AddressError as exc:
            errors.append(Unreadable(raw.text, raw.line, raw.column, [
                Diagnostic(sheet.source, raw.line, raw.column, raw.node.path, str(exc), exc.hint)],
                raw.node.raw if isinstance(raw.node.raw, str) else ""))
            continue
        tolerance = key.policy.tolerance if question is None else question.tolerance.merged(key.policy.tolerance)
        answer = read_answer(raw.text, raw.node, raw.line, raw.column, problem, resolve, sheet.source)
        if isinstance(answer, Answer):
            if tolerance.is_set:
                answer.tolerance = tolerance  # the key's tolerance wins over one a sheet writes itself
            readable.append(answer)
        if question is None:
            unasked.append(raw.text)
        else:
            read[where(question.address)] = answer
    verdicts = {id(v.answer): v for v in _judge(key, readable, rounding)}
    answers = [_graded(q, read.get(where(q.address)), verdicts, key) for q in key.questions]
    return SheetGrade(sheet, answers, unasked, key.total, errors)


def where(address: Address) -> tuple:
    """What an address names, however it is spelled: the same for two spellings of one quantity."""
    return address.kind, address.layer, address.index, address.name


def _judge(key: Key, answers: list[Answer], rounding: int | None) -> list[Verdict]:
    """The verdicts of a sheet's readable answers, judged together (so that errors carried forward
    from the sheet's own earlier values are recognised)."""
    if not answers:
        return []
    sheet_problem = key.problem._replace(expected=answers, unreadable=[])
    return check(sheet_problem, rounding, result=key.result, replays=key.replays).verdicts


def _graded(question: Question, answer, verdicts: dict, key: Key) -> Graded:
    correct = lookup(question.address, key.result)
    if answer is None:
        return Graded(question, "missing", 0.0, "no answer written", correct=correct)
    if isinstance(answer, Unreadable):
        return Graded(question, "unreadable", 0.0, answer.reason, correct=correct, line=answer.line,
                      column=answer.column, shown=answer.written)
    verdict = verdicts[id(answer)]
    points = question.points * key.policy.fraction(verdict.status)
    return Graded(question, verdict.status, points, verdict.reason, answer.written, verdict.exact, answer.line,
                  answer.column, answer=answer, mistake=verdict.mistake)
