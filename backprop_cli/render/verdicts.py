"""Check results laid out as tables (one per file) and the closing count line."""

from __future__ import annotations

import numpy as np

from ..checking.batch import Run
from ..checking.verdicts import Verdict
from ..read.answers import Unreadable
from .report import Report, Table, values

MARKS = {"correct": "✓ correct", "drift": "≈ rounding drift", "follows": "→ follows", "wrong": "✗ wrong",
         "unreadable": "✗ unreadable"}
NOT_CHECKED = {"skipped": "skipped (no expected: section)", "invalid": "invalid (see the errors above)"}


def _row(verdict: Verdict | Unreadable, precision: int) -> list[str]:
    if isinstance(verdict, Unreadable):
        return [verdict.text, verdict.written or "—", "—", MARKS["unreadable"], verdict.reason]
    answer = verdict.answer
    reason = verdict.reason
    if verdict.hand is not None and verdict.status in ("drift", "follows"):
        reason += f" ({values(np.squeeze(verdict.hand), precision)})"
    return [answer.address.text, values(answer.written.squeeze(), precision), values(verdict.exact.squeeze(), precision),
            MARKS[verdict.status], reason]


def reports(run: Run, precision: int = 6) -> list[Report]:
    """One report per checked file, then the files that were not checked and why."""
    built = []
    for outcome in run.outcomes:
        if outcome.checked is None:
            continue
        rows = [_row(v, precision) for v in outcome.checked.in_written_order()]
        table = Table("answers", ["answer", "written", "correct", "verdict", "why"], rows, left=5)
        built.append(Report(outcome.path, [], [table]))
    others = [f"{o.path}: {NOT_CHECKED[o.status]}" for o in run.outcomes if o.status in NOT_CHECKED]
    if others:
        built.append(Report("files not checked", others, []))
    return built


def closing_line(run: Run) -> str:
    """``N passed, M failed``, with unreadable answers, skipped and invalid files when there are any."""
    line = f"{run.passed} passed, {run.failed} failed"
    if run.unreadable:
        line += f" ({run.unreadable} unreadable)"
    for status in ("skipped", "invalid"):
        count = run.count(status)
        line += f", {count} {status}" if count else ""
    return line
