"""A class graded: one answer key (of one problem or several, or a folder of per-student variant keys),
every submission found in files, folders and globs, graded in one process or several, reported in the
order found."""

from __future__ import annotations

import os
from typing import Callable, Iterator

from ..engine.record import Record
from ..errors import Diagnostic, ProblemError, internal_error
from ..read.files import read_parts
from ..read.sheets import TABLE_SUFFIXES, read_sheets
from .batch import SUFFIXES, collect
from .grading import Key, Refused, SheetGrade, grade, read_key
from .parts import PartedKey, grade_parts, read_parted_key

SHEET_SUFFIXES = (*SUFFIXES, *TABLE_SUFFIXES)


class Keys(Record):
    """The key, or the keys of the variants by student."""

    shared: Key | PartedKey | None
    by_student: dict[str, Key | PartedKey]

    def for_student(self, student: str) -> Key | PartedKey | None:
        return self.shared if self.shared is not None else self.by_student.get(student)

    @property
    def any(self) -> Key | PartedKey:
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
        return Keys(read_key_file(path), {})
    files, _ = collect([path])
    by_student: dict[str, Key | PartedKey] = {}
    problems = []
    for file in files:
        key = read_key_file(file)
        if key.student is None:
            problems.append(Diagnostic(file, 1, 1, "", "expected a variant key naming its student "
                                                       "(student: ...), found none"))
        elif key.student in by_student:
            problems.append(Diagnostic(file, 1, 1, "student", f"expected one key a student, found a second one "
                                                              f"for '{key.student}' "
                                                              f"(first in {by_student[key.student].source})"))
        else:
            by_student[key.student] = key
    if not by_student and not problems:
        problems.append(Diagnostic(path, 1, 1, "", "expected answer keys in the folder, found no YAML file"))
    if problems:
        raise ProblemError(problems)
    return Keys(None, by_student)


def read_key_file(path: str) -> Key | PartedKey:
    """The key in a file: of its one problem, or of each of its problems (YAML documents separated by
    ---), whose sheets name the problem before each address (raises ProblemError listing every problem
    found)."""
    found = read_parts(path)
    wrong = [diagnostic for part in found for diagnostic in part.diagnostics]
    if wrong:
        raise ProblemError(wrong)
    return read_key(found[0].problem) if len(found) == 1 else read_parted_key(found)


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
            graded.append((grade_parts if isinstance(key, PartedKey) else grade)(key, sheet, rounding))
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
