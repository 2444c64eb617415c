"""A key of several problems (YAML documents of one file, a homework in parts), graded part by part.

Each problem is a key of its own, with its own ``grading:`` (or ``expected:``) and policy; its questions
are named with the problem's number, ``2: E``, as a sheet writes them (``read.sheets.part_of``), so that
every table and export names the part. A sheet's answers go to the problem they name; its total is the
sum of the problems' scores.
"""

from __future__ import annotations

from ..engine.record import Record
from ..errors import Diagnostic, ProblemError
from ..read.addresses import AddressError
from ..read.answers import Unreadable
from ..read.sheets import RawAnswer, Sheet, part_address, part_of
from ..solving.kinds import kind_of
from .grading import Key, PartScore, Question, SheetGrade, grade, read_key, where


class PartedKey(Record):
    """A key of several problems: a Key for each, in order, its questions named with their number."""

    source: str
    parts: list[Key]

    @property
    def questions(self) -> list[Question]:
        return [question for part in self.parts for question in part.questions]

    @property
    def total(self) -> float:
        return sum(part.total for part in self.parts)

    @property
    def student(self) -> str | None:
        return next((part.student for part in self.parts if part.student is not None), None)

    @property
    def heading(self) -> str:
        """The file, how many problems it holds, and their titles: ``hw.yaml, 2 problems (1: ...; 2: ...)``."""
        titles = "; ".join(f"{n}: {part.problem.title}" for n, part in enumerate(self.parts, 1) if part.problem.title)
        return f"{self.source}, {len(self.parts)} problems" + (f" ({titles})" if titles else "")


def read_parted_key(found: list) -> PartedKey:
    """The key of each problem of a file (``read.files.Part``s, each built), its questions named with
    the problem's number (raises ProblemError listing what is wrong in every problem)."""
    keys, problems, students = [], [], {}
    for part in found:
        try:
            key = read_key(part.problem, part.line)
        except ProblemError as exc:
            problems += exc.diagnostics
            continue
        named = [q._replace(text=part_address(part.number, q.text)) for q in key.questions]
        keys.append(key._replace(questions=named))
        if key.student is not None:
            students.setdefault(key.student, part)
    if len(students) > 1:
        (first, one), (second, other) = list(students.items())[:2]
        problems.append(Diagnostic(other.source, other.line, 1, "student", f"expected every problem of a key to "
                                   f"name one student, found '{second}' (problem {other.number}) and '{first}' "
                                   f"(problem {one.number})"))
    if problems:
        raise ProblemError(problems)
    return PartedKey(found[0].source, keys)


def grade_parts(key: PartedKey, sheet: Sheet, rounding: int | None = None) -> SheetGrade:
    """Every asked quantity of every problem, each problem's answers judged with its own key; an answer
    that names no problem of the key, or nothing in its problem, is unreadable."""
    mine: list[list[RawAnswer]] = [[] for _ in key.parts]
    errors = []
    for raw in sheet.answers:
        found = part_of(raw.text)
        why = _why_not(key, found, raw.text)
        if why is not None:
            errors.append(Unreadable(raw.text, raw.line, raw.column, [
                Diagnostic(sheet.source, raw.line, raw.column, raw.node.path, *why)],
                raw.node.raw if isinstance(raw.node.raw, str) else ""))
            continue
        number, text = found
        mine[number - 1].append(raw._replace(text=text))
    graded = [grade(part, sheet._replace(answers=answers), rounding) for part, answers in zip(key.parts, mine)]
    unasked = [part_address(n, text) for n, one in enumerate(graded, 1) for text in one.unasked]
    errors += [e._replace(text=part_address(n, e.text)) for n, one in enumerate(graded, 1) for e in one.errors]
    scores = [PartScore(n, part.problem.title or "", one.score, one.total)
              for n, (part, one) in enumerate(zip(key.parts, graded), 1)]
    return SheetGrade(sheet, [g for one in graded for g in one.answers], unasked, key.total, errors, scores)


def _why_not(key: PartedKey, found: tuple[int, str] | None, text: str) -> tuple[str, str] | None:
    """Why an answer's address names nothing the key holds (the message and a hint), or None."""
    count = len(key.parts)
    if found is None:
        return (f"expected the address after its problem's number, from 1 to {count} (the key holds {count} "
                f"problems), found '{text}'", _asked(key, text.strip()) or f"as in '{part_address(1, text.strip())}'")
    number, address = found
    if not 1 <= number <= count:
        return (f"expected a problem's number from 1 to {count} before the address, found {number}",
                _asked(key, address))
    problem = key.parts[number - 1].problem
    try:
        kind_of(problem).resolve(address, problem)
    except AddressError as exc:
        return f"problem {number} of {count}: {exc}", _asked(key, address) or exc.hint  # else the problem's own hint
    return None


def _asked(key: PartedKey, text: str) -> str:
    """A 'did you mean' naming the first problem that asks for the address, or an empty string."""
    for number, part in enumerate(key.parts, 1):
        try:
            address = kind_of(part.problem).resolve(text, part.problem)
        except AddressError:
            continue
        if where(address) in {where(q.address) for q in part.questions}:
            return f"did you mean '{part_address(number, text)}'?"
    return ""
