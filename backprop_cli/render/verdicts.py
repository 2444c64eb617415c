"""Check results laid out as tables (one per file, or per problem of a file of several) and the closing
count line.

A row shows the answer as written, the correct value to enough decimals to see how far it is from what
was written, the tolerance and the verdict. The reasons follow the table, each beside its answer's name
and wrapped to WIDTH, so that the table stays readable at 80 columns; values too wide for a line of
LINE characters move there too.
"""

from __future__ import annotations

import math
import textwrap

import numpy as np

from ..checking.batch import Run
from ..checking.verdicts import Verdict
from ..printable import printable
from ..read.answers import Answer, Unreadable
from .report import Report, Table, number, values

MARKS = {"correct": "✓ correct", "drift": "≈ rounding drift", "follows": "→ follows", "wrong": "✗ wrong",
         "unreadable": "✗ unreadable"}
NOT_CHECKED = {"skipped": "skipped (no expected: section)", "invalid": "invalid (see the errors above)"}
WIDTH = 80  # the details under a table are wrapped to this many characters
LINE = 100  # a table's lines stay within this many characters, unless an address alone is wider
LABEL = 20  # a longer answer name stands on a line of its own in the details
MOST_DIGITS = 12  # significant digits of a correct value, at most
MOVED = "(below)"


def written_text(answer: Answer) -> str:
    """The answer exactly as written: a number's text, or a vector or matrix of the texts."""
    return _nested(np.squeeze(answer.text))


def correct_text(answer: Answer, exact: np.ndarray, precision: int) -> str:
    """The correct value, each element to one more decimal than was written, and more until it differs
    from the written one; to ``precision`` digits where null was written or the shapes differ."""
    exact = np.asarray(exact, dtype=float)
    if exact.shape != answer.written.shape:
        return values(np.squeeze(exact), precision)
    shown = [_enough(*element, precision) for element in zip(exact.flat, answer.written.flat, answer.decimals.flat)]
    return _nested(np.squeeze(np.array(shown, dtype=str).reshape(exact.shape)))


def _enough(exact: float, written: float, decimals: int, precision: int) -> str:
    if not np.isfinite(exact) or np.isnan(written):
        return values(exact, precision)
    most = min(15, MOST_DIGITS - 1 - math.floor(math.log10(abs(exact)))) if exact else MOST_DIGITS
    for places in range(max(decimals + 1, 0), most + 1):
        if round(exact, places) != round(written, places):
            text = f"{exact:.{places}f}"
            return text.lstrip("-") if float(text) == 0 else text
    return number(exact, MOST_DIGITS)


def tolerance_text(answer: Answer, exact: np.ndarray) -> str:
    """How far from the correct value still counts as right (for an array, the largest), or '—'."""
    widest = answer.widest(exact)
    if widest is None:
        return "—"
    if widest < 1e-6:
        return f"{widest:.3g}".replace("e-0", "e-")
    return np.format_float_positional(widest, precision=3, fractional=False, trim="-")


def by_formula(verdict: Verdict) -> bool:
    """Whether the answer was judged as a formula (a problem worked in symbols)."""
    return getattr(verdict.answer, "formula", None) is not None or not np.asarray(verdict.exact).dtype.kind in "fiub"


def formula_text(value) -> str:
    from .symbolic import formula
    return formula(value)


def compared(verdict: Verdict, precision: int = 6) -> str:
    """``written 0.60, correct 0.598, tolerance ±0.005`` (for a formula: the two formulas)."""
    answer, exact = verdict.answer, verdict.exact
    if by_formula(verdict):
        return f"written {_written_formula(answer)}, correct {formula_text(exact)}"
    return (f"written {written_text(answer)}, correct {correct_text(answer, exact, precision)}, "
            f"tolerance ±{tolerance_text(answer, exact)}")


def _written_formula(answer) -> str:
    """A formula answer as written, or a number written for a formula."""
    return answer.text if isinstance(answer.text, str) else written_text(answer)


def _nested(texts: np.ndarray) -> str:
    if texts.ndim == 0:
        return str(texts)
    return "[" + ", ".join(_nested(row) for row in texts) + "]"


def _row(verdict: Verdict | Unreadable, precision: int) -> list[str]:
    """The answer, written, correct, ±, verdict, and the reason (which goes under the table)."""
    if isinstance(verdict, Unreadable):
        return [verdict.text, verdict.written or "—", "—", "—", MARKS["unreadable"], verdict.reason]
    answer, exact = verdict.answer, verdict.exact
    reason = verdict.reason
    if by_formula(verdict):
        return [answer.address.text, _written_formula(answer), formula_text(exact), "—", MARKS[verdict.status], reason]
    if verdict.hand is not None and verdict.status in ("drift", "follows"):
        reason += f" ({values(np.squeeze(verdict.hand), precision)})"
    return [answer.address.text, written_text(answer), correct_text(answer, exact, precision),
            tolerance_text(answer, exact), MARKS[verdict.status], reason]


def laid_out(title: str, columns: list[str], rows: list[list[str]], moving: tuple[int, ...] = (1, 2)) -> Table:
    """A table of rows whose last cell, the reason, is listed under the table beside the row's first
    cell (its name). The cells of the columns ``moving`` (the values) go there too, for the rows whose
    values would make a line longer than LINE, the longest first."""
    rows = [[printable(cell) for cell in row] for row in rows]  # measured as they will be shown
    inline = _inline(columns, rows, moving)
    shown, details = [], []
    for k, row in enumerate(rows):
        moved = [] if k in inline else [i for i in moving if row[i] != "—"]
        shown.append([MOVED if i in moved else cell for i, cell in enumerate(row[:-1])])
        parts = [f"{columns[i]} {row[i]}" for i in moved] + ([row[-1]] if row[-1] else [])
        if parts:
            details.append((row[0], parts))
    notes = _details(details)
    return Table(title, columns[:-1], shown, ["", "details", *notes] if notes else [], left=len(columns))


def _inline(columns: list[str], rows: list[list[str]], moving: tuple[int, ...]) -> set[int]:
    """The rows whose values fit on the table's lines, the shortest first."""
    others = [i for i in range(len(columns) - 1) if i not in moving]
    fixed = sum(max(len(row[i]) for row in [columns, *rows]) for i in others) + 2 * (len(columns) - 2)
    widths, inline = [len(columns[i]) for i in moving], set()
    for k in sorted(range(len(rows)), key=lambda k: sum(len(rows[k][i]) for i in moving)):
        widths = [max(width, len(rows[k][i])) for width, i in zip(widths, moving)]
        if fixed + sum(widths) > LINE:
            break
        inline.add(k)
    return inline


def _details(entries: list[tuple[str, list[str]]]) -> list[str]:
    """Each name, and beside it its parts one under another, wrapped to WIDTH."""
    label = min(LABEL, max((len(name) for name, _ in entries), default=0))
    indent = " " * (2 + label + 2)
    lines = []
    for name, parts in entries:
        first = f"  {name.ljust(label)}  "
        if len(name) > label:
            lines.append(f"  {name}")
            first = indent
        for part in parts:
            lines += textwrap.wrap(part, WIDTH, initial_indent=first, subsequent_indent=indent,
                                   break_on_hyphens=False)
            first = indent
    return lines


def reports(run: Run, precision: int = 6) -> list[Report]:
    """One report per checked file (per problem of a file of several), then those not checked and why."""
    built = []
    for outcome in run.outcomes:
        if outcome.checked is None:
            continue
        rows = [_row(v, precision) for v in outcome.checked.in_written_order()]
        table = laid_out("answers", ["answer", "written", "correct", "±", "verdict", "why"], rows)
        built.append(Report(outcome.heading, [], [table]))
    others = [f"{o.name}: {NOT_CHECKED[o.status]}" for o in run.outcomes if o.status in NOT_CHECKED]
    if others:
        built.append(Report("files not checked", others, []))
    return built


def page_reports(run: Run, precision: int = 6) -> list[Report]:
    """As ``reports``, for a page: the reason stays in its column, beside the verdict."""
    built = []
    for outcome in run.outcomes:
        if outcome.checked is not None:
            rows = [_row(v, precision) for v in outcome.checked.in_written_order()]
            columns = ["answer", "written", "correct", "±", "verdict", "why"]
            built.append(Report(outcome.heading, [], [Table("answers", columns, rows, left=len(columns))]))
    others = [f"{o.name}: {NOT_CHECKED[o.status]}" for o in run.outcomes if o.status in NOT_CHECKED]
    if others:
        built.append(Report("files not checked", others, []))
    return built


def verdict_class(row: list[str]) -> str:
    """The class of a page's row by its verdict (right, wrong, or nothing to mark)."""
    mark = row[4] if len(row) > 4 else ""
    return "wrong" if mark.startswith("✗") else "right" if mark.startswith(("✓", "≈", "→")) else ""


def closing_line(run: Run) -> str:
    """``N passed, M failed``, with unreadable answers, skipped and invalid files when there are any."""
    line = f"{run.passed} passed, {run.failed} failed"
    if run.unreadable:
        line += f" ({run.unreadable} unreadable)"
    for status in ("skipped", "invalid"):
        count = run.count(status)
        line += f", {count} {status}" if count else ""
    return line
