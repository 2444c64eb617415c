"""Problems worked one after another, each one's warnings and errors reported on stderr as it goes."""

from __future__ import annotations

from typing import Iterator

from .output import echo
from .stdin import NAME as STDIN_NAME

STDIN = "-"


TRAINING_BAR = 2_000  # training steps from which a terminal shows a progress bar


def work(name: str):
    """The worked result of a file, or of standard input for ``-`` (raises ProblemError)."""
    from .. import api
    from .progress import progress_bar
    if name == STDIN:
        from .stdin import load_stdin
        problem = load_stdin()
    else:
        problem = api.load(name)
    steps = problem.training.steps if problem.training.learning_rate else 0
    bar = progress_bar(steps, "training", at_least=TRAINING_BAR)
    return api.solve(problem) if bar is None else api.solve(problem, bar)


def work_each(names: tuple[str, ...] | list[str]) -> Iterator:
    """Each file's result in order, or None for one that is invalid (after its errors are reported).

    A bug met in one of several files is reported like invalid input, so the others are still worked;
    with a single file it propagates, to be reported as an internal error.
    """
    from ..errors import Diagnostic, ProblemError, internal_error
    from ..printable import printable
    for name in names:
        shown = STDIN_NAME if name == STDIN else name
        try:
            result = work(name)
        except ProblemError as exc:
            for diagnostic in exc.diagnostics:
                echo(diagnostic.format(), err=True)
            yield None
            continue
        except Exception as exc:
            if len(names) == 1:
                raise
            echo(Diagnostic(shown, 1, 1, "", internal_error(exc)).format(), err=True)
            yield None
            continue
        unreadable = [f"the answer '{bad.text}' (line {bad.line}) cannot be read: {bad.reason}"
                      for bad in result.problem.unreadable]
        for warning in [*result.warnings, *unreadable]:
            echo(f"{printable(shown)}: warning: {printable(warning)}", err=True)
        yield result
