"""What checking gives: the verdict on each written answer, and the verdicts of one problem file."""

from __future__ import annotations

import numpy as np

from ..engine.record import Fresh, Record
from ..read.answers import Answer, Unreadable

PASSING = ("correct", "drift")


class Verdict(Record):
    """The verdict on one written answer."""

    answer: Answer
    exact: np.ndarray
    status: str  # correct | drift | follows | wrong
    reason: str = ""  # the diagnosis, or what the answer follows from, or the rounding used
    hand: np.ndarray | None = None  # the hand-rounded (drift) or carried-forward (follows) value
    mistake: str = ""  # the name of the mistake the reason names (``mistakes.MISTAKES``), "" if none

    @property
    def passed(self) -> bool:
        return self.status in PASSING


class FileCheck(Record):
    """All verdicts for one problem file, in the order the answers were written, and the answers that
    could not be read (each failed, with its reason)."""

    problem: object
    result: object
    verdicts: list[Verdict] = Fresh(list)
    unreadable: list[Unreadable] = Fresh(list)

    @property
    def passed(self) -> int:
        return sum(v.passed for v in self.verdicts)

    @property
    def failed(self) -> int:
        return len(self.verdicts) - self.passed + len(self.unreadable)

    def in_written_order(self) -> list[Verdict | Unreadable]:
        """Verdicts and unreadable answers, as they stand in the file."""
        return sorted([*self.verdicts, *self.unreadable], key=_line)


def _line(entry: Verdict | Unreadable) -> int:
    return entry.answer.line if isinstance(entry, Verdict) else entry.line
