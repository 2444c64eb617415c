"""A class graded: one answer key (or a folder of per-student variant keys), every submission found in
files, folders and globs, graded in one process or several, reported in the order found."""

from __future__ import annotations

import os
from typing import Callable, Iterator

from ..engine.record import Record
from ..errors import Diagnostic, ProblemError, internal_error
from ..read.files import read_parts
from ..read.sheets import TABLE_SUFFIXES, read_sheets
from .batch import SUFFIXES, collect
from .grading import Key, Refused, SheetGrade, grade, read_key

SHEET_SUFFIXES = (*SUFFIXES, *TABLE_SUFFIXES)


class Keys(Record):
    """The key, or the keys of the variants by student."""

    shared: Key | None
    by_student: dict[str, Key]

    def for_student(self, student: str) -> Key | None:
        return self.shared if self.shared is not None else self.by_student.get(student)

    @property
    def any(self) -> Key:
        return self.shared if self.shared is not None else next(iter(self.by_student.values()))


class ClassGrades(Record):
    """Every submission: graded sheets and refused submissions, in the order found."""

    keys: Keys
    sheets: list[SheetGrade | Refused]

    @property
    def graded(self) -> list[SheetGrade]:
        return [s for s in self.sheets if isinstance(s, SheetGrade)]

    @property
    def refused(self) -> list[Refused]:
        return [s for s in self.sheets if isinstance(s, Refused)]

    @property
    def exit_code(self) -> int:
        """0 when every submission was graded (wrong answers are grades, not failures), 1 when some
        submission could not be read at all."""
        return 1 if self.refused else 0


def read_keys(path: str) -> Keys:
    """A key file, or a folder of variant keys each naming its student (raises ProblemError)."""
    if not os.path.isdir(path):
        return Keys(read_key(key_problem(path)), {})
    files, _ = collect([path])
    by_student: dict[str, Key] = {}
    problems = []
    for file in files:
        key = read_key(key_problem(file))
        if key.student is None:
            problems.append(Diagnostic(file, 1, 1, "", "expected a variant key naming its student "
                                                       "(student: ...), found none"))
        elif key.student in by_student:
            problems.append(Diagnostic(file, 1, 1, "student", f"expected one key a student, found a second one "
                                                              f"for '{key.student}' "
                                                              f"(first in {by_student[key.student].problem.source})"))
        else:
            by_student[key.student] = key
    if not by_student and not problems:
        problems.append(Diagnostic(path, 1, 1, "", "expected answer keys in the folder, found no YAML file"))
    if problems:
        raise ProblemError(problems)
    return Keys(None, by_student)


def key_problem(path: str):
    """The problem of a key file. A file of several problems is refused: a sheet's addresses name the
    quantities of one problem, so each part is graded with a key of its own."""
    found = read_parts(path)
    if len(found) > 1:
        raise ProblemError([Diagnostic(path, found[1].line, 1, "", f"expected a key that holds one problem, found "
                                       f"{len(found)} (YAML documents separated by ---)",
                                       "grade each part with a key file of its own")])
    if found[0].diagnostics:
        raise ProblemError(found[0].diagnostics)
    return found[0].problem


def submissions(paths: list[str]) -> tuple[list[str], list[Refused]]:
    """Submission files named directly, below folders (YAML, CSV, TSV) and matched by globs."""
    files, missing = collect(paths, SHEET_SUFFIXES)
    return files, [Refused(d.file, [d]) for d in missing]


def grade_file(keys: Keys, path: str, rounding: int | None = None) -> list[SheetGrade | Refused]:
    """Every sheet of one submission file graded, or the file refused with why."""
    try:
        sheets = read_sheets(path)
    except ProblemError as exc:
        return [Refused(path, exc.diagnostics)]
    except Exception as exc:  # a bug of ours: this file is refused, the others are still graded
        return [Refused(path, [Diagnostic(path, 1, 1, "", internal_error(exc))])]
    graded = []
    for sheet in sheets:
        key = keys.for_student(sheet.student)
        if key is None:
            graded.append(Refused(sheet.source, [Diagnostic(sheet.source, 1, 1, "student",
                                                            f"expected a student with a variant key, found "
                                                            f"'{sheet.student}', who has none")]))
            continue
        try:
            graded.append(grade(key, sheet, rounding))
        except Exception as exc:  # a bug of ours
            graded.append(Refused(sheet.source, [Diagnostic(sheet.source, 1, 1, "", internal_error(exc))]))
    return graded


def grade_paths(keys: Keys, paths: list[str], rounding: int | None = None, jobs: int = 1,
                progress: Callable[[int, int], None] | None = None) -> ClassGrades:
    """Every submission graded, in the order found; ``jobs`` processes share the files, and the result
    is the same as with one. ``progress(done, total)`` is told after each file."""
    files, refused = submissions(paths)
    results: list[SheetGrade | Refused] = list(refused)
    for done, graded in enumerate(_each_file(keys, files, rounding, jobs), start=1):
        results += graded
        if progress is not None:
            progress(done, len(files))
    return ClassGrades(keys, results)


def _each_file(keys: Keys, files: list[str], rounding: int | None, jobs: int) -> Iterator[list]:
    if jobs <= 1 or len(files) <= 1:
        for path in files:
            yield grade_file(keys, path, rounding)
        return
    from concurrent.futures import ProcessPoolExecutor
    with ProcessPoolExecutor(max_workers=jobs, initializer=_share, initargs=(keys, rounding)) as pool:
        yield from pool.map(_grade_shared, files, chunksize=max(1, len(files) // (4 * jobs)))


_shared: tuple[Keys, int | None] | None = None  # the keys, sent once to each worker process


def _share(keys: Keys, rounding: int | None) -> None:
    global _shared
    _shared = (keys, rounding)


def _grade_shared(path: str) -> list:
    keys, rounding = _shared
    return grade_file(keys, path, rounding)
