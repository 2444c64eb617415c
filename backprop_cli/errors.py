"""The error family: diagnostics that point at a place in a problem file."""

from __future__ import annotations

from typing import Iterable, NamedTuple

from .printable import printable


class Diagnostic(NamedTuple):
    """One problem found in an input file, with its 1-based source position (sorts by position)."""

    file: str
    line: int
    column: int
    path: str
    message: str
    hint: str = ""

    def format(self) -> str:
        """Render as ``file:line:col: error: path: message (hint)``, always one printable line."""
        where = f"{printable(self.path)}: " if self.path else ""
        hint = f" ({printable(self.hint)})" if self.hint else ""
        return f"{printable(self.file)}:{self.line}:{self.column}: error: {where}{printable(self.message)}{hint}"


class BackpropError(Exception):
    """Base of every error the library raises on purpose."""


class ProblemError(BackpropError):
    """An input file is unreadable or invalid; carries every diagnostic found, sorted by position."""

    def __init__(self, diagnostics: Iterable[Diagnostic]):
        self.diagnostics = sorted(diagnostics)
        super().__init__("\n".join(d.format() for d in self.diagnostics))


MAX_CHOICES = 1_000  # names a "did you mean" compares with


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A 'did you mean' hint for a near-miss name, or an empty string."""
    import difflib  # only on the error path: keeps start-up cheap

    choices = choices if isinstance(choices, (list, tuple, dict, set, frozenset)) else list(choices)
    if len(choices) > MAX_CHOICES:  # comparing with every one of many names would cost too much
        return ""
    close = difflib.get_close_matches(str(word), sorted(choices), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else ""


def internal_error(exc: BaseException) -> str:
    """The one printable line for a bug of ours: its kind, its message, and a request to report it."""
    return printable(f"internal error: {type(exc).__name__}: {exc} (please report this with the file)")
