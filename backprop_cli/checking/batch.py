"""Checking many files: collect them from paths, folders and globs, check each problem of each, keep
every outcome."""

from __future__ import annotations

import glob
import os

from ..engine.record import Fresh, Record
from ..errors import Diagnostic, ProblemError, internal_error
from ..read.files import Part, place, read_parts
from .verdicts import FileCheck, check

SUFFIXES = (".yaml", ".yml")


class Outcome(Record):
    """One problem of a file (the file, when it cannot be read at all): checked, skipped (no
    ``expected:``), or invalid (with its diagnostics)."""

    path: str
    checked: FileCheck | None = None
    diagnostics: list[Diagnostic] = Fresh(list)
    part: tuple[int, int] = (1, 1)  # the problem's number, and how many problems the file holds
    title: str = ""  # the problem's title, when it could be read

    @property
    def name(self) -> str:
        """The file's name, with the problem's place when the file holds several."""
        return place(self.path, self.part)

    @property
    def heading(self) -> str:
        """The name, and in a file of several problems the title too: a table's title."""
        return f"{self.name}: {self.title}" if self.part[1] > 1 and self.title else self.name

    @property
    def status(self) -> str:
        if self.diagnostics:
            return "invalid"
        return "checked" if self.checked is not None else "skipped"


class Run(Record):
    """Every problem's outcome, file by file in the order found."""

    outcomes: list[Outcome]

    @property
    def passed(self) -> int:
        return sum(o.checked.passed for o in self.outcomes if o.checked)

    @property
    def failed(self) -> int:
        return sum(o.checked.failed for o in self.outcomes if o.checked)

    @property
    def unreadable(self) -> int:
        return sum(len(o.checked.unreadable) for o in self.outcomes if o.checked)

    def count(self, status: str) -> int:
        return sum(o.status == status for o in self.outcomes)

    @property
    def nothing_to_check(self) -> bool:
        """No problem with answers, and none invalid: most likely the wrong folder."""
        return not self.count("checked") and not self.count("invalid")

    @property
    def exit_code(self) -> int:
        """2 when a file or problem is invalid (a bug met in one counts so: the others are still judged),
        an answer cannot be read, or there is nothing to check; else 1 when an answer fails, else 0."""
        if self.count("invalid") or self.unreadable or self.nothing_to_check:
            return 2
        return 1 if self.failed else 0


def collect(paths: list[str], suffixes: tuple[str, ...] = SUFFIXES) -> tuple[list[str], list[Diagnostic]]:
    """Files named directly, files with these suffixes below folders (recursively), and glob matches,
    each once."""
    found: list[str] = []
    missing: list[Diagnostic] = []
    for path in paths:
        if os.path.isdir(path):
            below = [os.path.join(root, name) for root, _, names in os.walk(path) for name in names
                     if name.lower().endswith(suffixes)]
            found += sorted(below)
        elif os.path.exists(path):
            found.append(path)
        else:
            matches = sorted(glob.glob(path, recursive=True))
            if not matches:
                missing.append(Diagnostic(path, 1, 1, "", "expected a file, folder or glob that matches, found nothing"))
            found += [m for m in matches if os.path.isfile(m)]
    return list(dict.fromkeys(found)), missing


def check_paths(paths: list[str], rounding: int | None = None) -> Run:
    """Check every problem of every file the paths name."""
    files, missing = collect(paths)
    outcomes = [Outcome(d.file, diagnostics=[d]) for d in missing]
    for path in files:
        try:
            found = read_parts(path)
        except ProblemError as exc:
            outcomes.append(Outcome(path, diagnostics=exc.diagnostics))
            continue
        except Exception as exc:  # a bug of ours: recorded for this file, the others are still checked
            outcomes.append(Outcome(path, diagnostics=[Diagnostic(path, 1, 1, "", internal_error(exc))]))
            continue
        outcomes += [_checked(part, rounding) for part in found]
    return Run(outcomes)


def _checked(part: Part, rounding: int | None) -> Outcome:
    """One problem of a file checked; an invalid one, or a bug met, is recorded and the others go on."""
    where = (part.number, part.count)
    if part.diagnostics:
        return Outcome(part.source, diagnostics=part.diagnostics, part=where)
    problem = part.problem
    try:
        answered = problem.expected or problem.unreadable
        return Outcome(part.source, check(problem, rounding) if answered else None, part=where,
                       title=problem.title or "")
    except ProblemError as exc:
        return Outcome(part.source, diagnostics=exc.diagnostics, part=where)
    except Exception as exc:  # a bug of ours
        line = part.line if part.count > 1 else 1
        bug = Diagnostic(part.source, line, 1, "", internal_error(exc))
        return Outcome(part.source, diagnostics=[bug], part=where)
