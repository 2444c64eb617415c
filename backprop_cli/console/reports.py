"""Report files a command writes beside its output (``--junit``, ``--csv``, ``--gradescope``): refused
up front when unsafe or when they would overwrite an input, then written atomically."""

from __future__ import annotations

from ..errors import Diagnostic, ProblemError


def refuse_target(option: str, path: str, inputs: list[str], inputs_are: str = "the files checked",
                  one_is: str = "the problem file") -> None:
    """Raise ProblemError when ``path`` is empty, not a regular file, or one of the ``inputs``."""
    from .files import refusal, same_file
    why = refusal(path)
    if why is None:
        clash = same_file(path, inputs)
        if clash is not None:
            why = f"expected a file apart from {inputs_are}, found {one_is} {clash}"
    if why is not None:
        raise ProblemError([Diagnostic(path, 1, 1, option, why)])


def write(option: str, path: str, text: str) -> None:
    """Write a report (raises ProblemError when the file cannot be written)."""
    from .files import write_atomically
    try:
        write_atomically(path, text)
    except OSError as exc:
        raise ProblemError([Diagnostic(path, 1, 1, option, "expected a file that can be written, found: "
                                                           f"{exc.strerror or exc}")])


def write_gradescope(path: str, grades) -> list[str]:
    """Gradescope's results.json: to ``path`` itself when it names a .json file (one submission, as an
    autograder grades it), else one ``<student>/results.json`` below the folder ``path``."""
    import os

    from ..render import gradescope
    graded = grades.graded
    if path.lower().endswith(".json"):
        if len(graded) != 1:
            raise ProblemError([Diagnostic(path, 1, 1, "--gradescope", "expected one graded submission for a "
                                                                       f"results.json file, found {len(graded)} "
                                                                       "(give a folder for a class)")])
        write("--gradescope", path, gradescope.render(graded[0]))
        return [path]
    written = []
    for sheet in graded:
        folder = os.path.join(path, _file_name(sheet.sheet.student))
        try:
            os.makedirs(folder, exist_ok=True)
        except OSError as exc:
            raise ProblemError([Diagnostic(folder, 1, 1, "--gradescope", "expected a folder that can be written, "
                                                                         f"found: {exc.strerror or exc}")])
        target = os.path.join(folder, "results.json")
        write("--gradescope", target, gradescope.render(sheet))
        written.append(target)
    return written


def _file_name(student: str) -> str:
    """A student id as a folder name: characters a file name cannot safely hold become '_'."""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in student).lstrip(".")
    return safe or "_"
