"""The ``--junit`` file of ``backprop check``: refused up front when unsafe, then replaced atomically."""

from __future__ import annotations

from ..errors import Diagnostic, ProblemError

OPTION = "--junit"


def refuse_target(path: str, paths: tuple[str, ...] | list[str]) -> None:
    """Raise ProblemError when ``path`` is empty, not a regular file, or one of the files to check."""
    from ..checking.batch import collect
    from .files import refusal, same_file
    why = refusal(path)
    if why is None:
        checked = same_file(path, collect(list(paths))[0])
        if checked is not None:
            why = f"expected a file apart from the files checked, found the problem file {checked}"
    if why is not None:
        raise ProblemError([Diagnostic(path, 1, 1, OPTION, why)])


def write(path: str, run) -> None:
    """Write the run as JUnit XML (raises ProblemError when the file cannot be written)."""
    from .files import write_atomically
    from ..render import junit
    try:
        write_atomically(path, junit.render(run))
    except OSError as exc:
        raise ProblemError([Diagnostic(path, 1, 1, OPTION, "expected a file that can be written, found: "
                                                           f"{exc.strerror or exc}")])
