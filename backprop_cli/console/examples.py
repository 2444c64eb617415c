"""The example problems installed with the package (the repository's problems/ folder): list and copy."""

from __future__ import annotations

import os

PACKAGE = "backprop_cli.examples"
SUFFIXES = (".yaml", ".csv")  # problems, answer sheets and rosters
ROSTER_COLUMNS = {"student", "name", "email", "section"}  # a table of only these is a roster, not answers
MODELINE = "# yaml-language-server:"  # an editor's schema comment, the first line of each example


def _root():
    from importlib.resources import files  # only for `backprop examples`

    return files(PACKAGE)


def names() -> list[str]:
    """Every example as a relative name such as ``mazur.yaml`` or ``seeds/exercise-7-1.yaml``, sorted."""
    found, folders = [], [("", _root())]
    while folders:
        prefix, folder = folders.pop()
        for entry in folder.iterdir():
            if entry.is_dir() and not entry.name.startswith(("_", ".")):
                folders.append((f"{prefix}{entry.name}/", entry))
            elif entry.name.endswith(SUFFIXES) and entry.is_file():
                found.append(prefix + entry.name)
    return sorted(found, key=lambda name: (name.count("/"), name))


def _open(name: str):
    return _root().joinpath(*name.split("/"))


def title(name: str) -> str:
    """The example's ``title:``, read from its top-level line without parsing the YAML (of a file of
    several problems, each one's, joined by '; '); for an answer sheet, whose it is."""
    with _open(name).open("r", encoding="utf-8") as handle:
        if name.endswith(".csv"):
            header = handle.readline().strip().split(",")
            count = sum(1 for line in handle if line.strip())
            if len(header) > 1 and all(column in ROSTER_COLUMNS for column in header):
                return f"a roster of {count} students"
            return f"answer sheets of {count} students (a table)"
        titles = []
        for line in handle:
            if line.startswith("title:"):
                titles.append(_scalar(line[len("title:"):]))
            elif line.startswith("student:") and not titles:
                return f"answer sheet of {_scalar(line[len('student:'):])}"
    return "; ".join(titles)


def _scalar(text: str) -> str:
    text = text.strip()
    if text[:1] in ("'", '"') and text[1:].find(text[0]) >= 0:
        return text[1:1 + text[1:].find(text[0])]
    return text.split(" #", 1)[0].strip()


def copy(chosen: list[str], folder: str, force: bool = False) -> list[str]:
    """Copy examples into ``folder`` under their own file names; the paths written, in order.

    Everything is checked before anything is written: an unknown name, two examples with one file name,
    a file already there (unless ``force``) or something that is not a file raise ProblemError.
    """
    from ..errors import Diagnostic, ProblemError, did_you_mean
    from .files import refusal, write_atomically

    known = names()
    problems, targets = [], {}
    for name in dict.fromkeys(chosen):
        if name not in known:
            problems.append(Diagnostic(name, 1, 1, "", "expected the name of an installed example "
                                       "(`backprop examples` lists them), found none by that name",
                                       did_you_mean(name, known)))
            continue
        target = os.path.join(folder, name.rsplit("/", 1)[-1])
        why = refusal(target)
        if target in targets:
            why = f"expected one example per file name, found {targets[target]} and {name}"
        elif why is None and os.path.lexists(target) and not force:
            why = "expected a file that does not exist yet, found one (--force overwrites it)"
        if why:
            problems.append(Diagnostic(target, 1, 1, "", why))
        targets.setdefault(target, name)
    if problems:
        raise ProblemError(problems)
    written = []
    for target, name in targets.items():
        try:
            os.makedirs(folder or ".", exist_ok=True)
            write_atomically(target, _copied(_open(name).read_text(encoding="utf-8")))
        except OSError as exc:
            raise ProblemError([Diagnostic(target, 1, 1, "", f"expected a file that can be written, found: "
                                                             f"{exc.strerror or exc}")])
        written.append(target)
    return written


def _copied(text: str) -> str:
    """An example as copied: without its first line's schema comment, a path into the repository that
    means nothing in the folder it is copied to (``backprop schema`` writes a schema to point at)."""
    first, newline, rest = text.partition("\n")
    return rest if newline and first.startswith(MODELINE) else text
