"""Check results laid out as tables (one per file) and the closing count line."""

from __future__ import annotations

import numpy as np

from ..checking.batch import Run
from ..checking.verdicts import Verdict
from .report import Report, Table, values

MARKS = {"correct": "✓ correct", "drift": "≈ rounding drift", "follows": "→ follows", "wrong": "✗ wrong"}


def _row(verdict: Verdict, precision: int) -> list[str]:
    answer = verdict.answer
    reason = verdict.reason
    if verdict.hand is not None and verdict.status in ("drift", "follows"):
        reason += f" ({values(np.squeeze(verdict.hand), precision)})"
    return [answer.address.text, values(answer.written.squeeze(), precision), values(verdict.exact.squeeze(), precision),
            MARKS[verdict.status], reason]


def reports(run: Run, precision: int = 6) -> list[Report]:
    """One report per checked file (skipped and invalid files are counted, not tabled)."""
    built = []
    for outcome in run.outcomes:
        if outcome.checked is None:
            continue
        rows = [_row(v, precision) for v in outcome.checked.verdicts]
        table = Table("answers", ["answer", "written", "correct", "verdict", "why"], rows, left=5)
        built.append(Report(outcome.path, [], [table]))
    return built


def closing_line(run: Run) -> str:
    """``N passed, M failed`` with the skipped files counted when there are any."""
    line = f"{run.passed} passed, {run.failed} failed"
    skipped = run.count("skipped")
    return line + (f", {skipped} skipped" if skipped else "")
