"""The error family: diagnostics that point at a place in a problem file."""

from __future__ import annotations

from typing import Iterable, NamedTuple


class Diagnostic(NamedTuple):
    """One problem found in an input file, with its 1-based source position (sorts by position)."""

    file: str
    line: int
    column: int
    path: str
    message: str
    hint: str = ""

    def format(self) -> str:
        """Render as ``file:line:col: error: path: message (hint)``."""
        where = f"{self.path}: " if self.path else ""
        hint = f" ({self.hint})" if self.hint else ""
        return f"{self.file}:{self.line}:{self.column}: error: {where}{self.message}{hint}"


class BackpropError(Exception):
    """Base of every error the library raises on purpose."""


class ProblemError(BackpropError):
    """An input file is unreadable or invalid; carries every diagnostic found, sorted by position."""

    def __init__(self, diagnostics: Iterable[Diagnostic]):
        self.diagnostics = sorted(diagnostics)
        super().__init__("\n".join(d.format() for d in self.diagnostics))


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A 'did you mean' hint for a near-miss name, or an empty string."""
    import difflib  # only on the error path: keeps start-up cheap

    close = difflib.get_close_matches(str(word), sorted(choices), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else ""
