"""A problem file in: the format of its kind chosen by its keys, then read by that kind's reader.

A file may hold several problems, YAML documents separated by ``---`` (a worked example in parts).
``load`` reads a file of one; ``load_all`` every problem of a file, each knowing its place
(``problem.part``, its number and the count); ``parts`` each document built or what is wrong with it,
for the commands that go on with the others.
"""

from __future__ import annotations

from ..engine.record import Fresh, Record
from ..errors import Diagnostic, ProblemError
from .fields import Fields
from .yaml_tree import Node, compose, decode, empty_file, is_empty, one_root, opening, read_bytes, tree


class Part(Record):
    """One problem of a file: its number (from 1) of ``count``, the line its document starts on, and
    the problem built, or the diagnostics that say why it could not be."""

    source: str
    number: int
    count: int
    line: int
    problem: object = None
    diagnostics: list = Fresh(list)

    @property
    def name(self) -> str:
        """The file's name, with the problem's place when the file holds several."""
        return place(self.source, (self.number, self.count))


def place(source: str, part: tuple[int, int]) -> str:
    """A file's name, and which problem of it when it holds several: ``hw.yaml, problem 2 of 3``."""
    number, count = part
    return source if count == 1 else f"{source}, problem {number} of {count}"


def heading(problem) -> str:
    """A problem's title (else its file's name), after its place when its file holds several."""
    if problem.part[1] == 1:
        return problem.title or problem.source
    where = place(problem.source, problem.part)
    return f"{where}: {problem.title}" if problem.title else where


def load(path: str):
    """Read, validate and build the problem in a YAML file (raises ProblemError, also for a file of
    several problems: ``load_all`` reads those)."""
    return loads(_text(path), path)


def loads(text: str, filename: str = "<string>"):
    """Validate and build a problem from YAML text of one document (raises ProblemError)."""
    root = one_root(text, filename, "problem", "YAML documents separated by ---", "load_all reads every one")
    return build(tree(root, filename), filename)


def load_all(path: str) -> list:
    """Every problem of a YAML file, in order (raises ProblemError listing what is wrong in any)."""
    return loads_all(_text(path), path)


def loads_all(text: str, filename: str = "<string>") -> list:
    """Every problem of YAML text, in order, each with its ``part`` (raises ProblemError listing what is
    wrong in every document)."""
    found = parts(text, filename)
    wrong = [diagnostic for part in found for diagnostic in part.diagnostics]
    if wrong:
        raise ProblemError(wrong)
    return [part.problem for part in found]


def read_parts(path: str) -> list[Part]:
    """Each problem of a YAML file, built or with its diagnostics (see ``parts``)."""
    return parts(_text(path), path)


def parts(text: str, filename: str) -> list[Part]:
    """Each document of YAML text: its problem built, or the diagnostics of that document alone. What
    is wrong with the text as a whole (its syntax, its size, no document at all) raises ProblemError.

    An empty document between two ``---`` is an error at its ``---``, not skipped: the numbers of the
    others stay those a reader counts in the file."""
    roots = compose(text, filename)
    if not roots:
        raise empty_file(filename)
    count = len(roots)
    return [_part(text, filename, number, count, root) for number, root in enumerate(roots, start=1)]


def _part(text: str, filename: str, number: int, count: int, root) -> Part:
    line = opening(text, root)[0]
    try:
        if count > 1 and is_empty(root):
            raise ProblemError([Diagnostic(filename, line, 1, "", "expected a problem after ---, found an "
                                                                  "empty document")])
        problem = build(tree(root, filename), filename)
    except ProblemError as exc:
        return Part(filename, number, count, line, diagnostics=exc.diagnostics)
    if count > 1:
        problem.part = (number, count)
    return Part(filename, number, count, line, problem)


def _text(path: str) -> str:
    return decode(read_bytes(path), path)


def build(tree: Node, filename: str):
    """Turn a parsed file into a problem of its kind, or raise ProblemError listing every problem found."""
    if tree.is_mapping and "graph" in tree.value:
        from . import graph
        return graph.read_problem(tree, Fields(filename))
    from . import layered
    return layered.read_problem(tree, Fields(filename))
