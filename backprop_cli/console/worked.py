"""Problems worked one after another, each one's warnings and errors reported on stderr as it goes."""

from __future__ import annotations

from typing import Iterator

from .output import echo
from .stdin import NAME as STDIN_NAME

STDIN = "-"


TRAINING_BAR = 2_000  # training steps from which a terminal shows a progress bar


def problems_of(name: str) -> list:
    """The problems of a file, or of standard input for ``-``: each a ``Part``, built or with its errors
    (raises ProblemError when the file as a whole cannot be read)."""
    if name == STDIN:
        from .stdin import stdin_parts
        return stdin_parts()
    from ..read.files import read_parts
    return read_parts(name)


def pick(found: list, document: int | None) -> list:
    """Every problem of a file, or the one numbered ``document`` (a usage error when there is none)."""
    if document is None:
        return found
    if document > len(found):
        import click

        from ..printable import printable
        raise click.BadParameter(f"expected the number of a problem of {printable(found[0].source)} (1 to "
                                 f"{len(found)}), found {document}", param_hint="'--document'")
    return [found[document - 1]]


def solved(problem):
    """A problem worked out; long training shows a progress bar on a terminal."""
    from .. import api
    from .progress import progress_bar
    steps = problem.training.steps if problem.training.learning_rate else 0
    bar = progress_bar(steps, "training", at_least=TRAINING_BAR)
    return api.solve(problem) if bar is None else api.solve(problem, bar)


def work(name: str, document: int | None = None):
    """The worked result of the problem of a file, or of standard input for ``-``: its only one, or the
    one numbered ``document`` of several (raises ProblemError)."""
    from ..errors import Diagnostic, ProblemError
    found = pick(problems_of(name), document)
    if len(found) > 1:
        raise ProblemError([Diagnostic(found[1].source, found[1].line, 1, "", f"expected one problem, found "
                                       f"{len(found)} (YAML documents separated by ---): choose one with "
                                       "--document N")])
    if found[0].diagnostics:
        raise ProblemError(found[0].diagnostics)
    return solved(found[0].problem)


def work_each(names: tuple[str, ...] | list[str]) -> Iterator:
    """Each problem's result, file by file and in the order written, or None for one that is invalid
    (after its errors are reported).

    A bug met in one of several problems is reported like invalid input, so the others are still worked;
    with a single problem it propagates, to be reported as an internal error.
    """
    from ..errors import Diagnostic, ProblemError, internal_error
    for name in names:
        shown = STDIN_NAME if name == STDIN else name
        try:
            found = problems_of(name)
        except ProblemError as exc:
            _report(exc.diagnostics)
            yield None
            continue
        except Exception as exc:
            if len(names) == 1:
                raise
            _report([Diagnostic(shown, 1, 1, "", internal_error(exc))])
            yield None
            continue
        yield from work_parts(found, alone=len(names) == 1)


def work_parts(found: list, alone: bool = True) -> Iterator:
    """Each problem of a file worked, or None for one that is invalid (after its errors are reported);
    a bug propagates when the problem is ``alone`` (the only one asked for)."""
    from ..errors import Diagnostic, ProblemError, internal_error
    from ..printable import printable
    for part in found:
        if part.diagnostics:
            _report(part.diagnostics)
            yield None
            continue
        try:
            result = solved(part.problem)
        except ProblemError as exc:
            _report(exc.diagnostics)
            yield None
            continue
        except Exception as exc:
            if alone and part.count == 1:
                raise
            _report([Diagnostic(part.source, part.line if part.count > 1 else 1, 1, "", internal_error(exc))])
            yield None
            continue
        unreadable = [f"the answer '{bad.text}' (line {bad.line}) cannot be read: {bad.reason}"
                      for bad in result.problem.unreadable]
        which = f"problem {part.number} of {part.count}: " if part.count > 1 else ""
        for warning in [*result.warnings, *unreadable]:
            echo(f"{printable(part.source)}: warning: {which}{printable(warning)}", err=True)
        yield result


def _report(diagnostics: list) -> None:
    for diagnostic in diagnostics:
        echo(diagnostic.format(), err=True)


def numeric(result, command: str):
    """The result, when it is worked in numbers; a one-line error (exit 2) for a problem with symbols,
    which only ``run`` shows (as formulas)."""
    if getattr(result, "symbolic", False):
        from ..errors import Diagnostic, ProblemError
        names = ", ".join(result.problem.symbols)
        raise ProblemError([Diagnostic(result.problem.source, 1, 1, "", f"expected a problem in numbers for "
                                       f"backprop {command}, found symbols ({names}): backprop run shows its formulas")])
    return result
