"""Reports: titled tables of already-formatted text, and the helpers every kind's layout shares."""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..engine.record import Fresh, Record


class Table(Record):
    """A titled table of already-formatted cells, with optional lines under it."""

    title: str
    columns: list[str]
    rows: list[list[str]]
    notes: list[str] = Fresh(list)
    left: int = 1  # how many leading columns are text (left-aligned); the rest are numbers


class Report(Record):
    """The title, the conventions in words, then the tables in reading order."""

    title: str
    lines: list[str]
    tables: list[Table]


def respelt(report: Report, spell: Callable[[str], str]) -> Report:
    """The same report with every piece of text passed through ``spell`` (ASCII for a narrow encoding)."""
    tables = [Table(spell(t.title), [spell(c) for c in t.columns], [[spell(c) for c in row] for row in t.rows],
                    [spell(n) for n in t.notes], t.left) for t in report.tables]
    return Report(spell(report.title), [spell(line) for line in report.lines], tables)


def number(value: float, precision: int) -> str:
    """A value rounded for display to ``precision`` significant digits."""
    if np.isnan(value):
        return "nan"
    if np.isinf(value):
        return "inf" if value > 0 else "-inf"
    text = f"{value:.{precision}g}"
    return "0" if text == "-0" else text


def values(array, precision: int, missing: str = "null", most: int | None = None) -> str:
    """A scalar, vector or matrix as it would be written; NaN shown as ``missing``. Past ``most``
    values, the shape and the first few values."""
    array = np.asarray(array, dtype=float)
    if most is not None and array.size > most:
        first = ", ".join(number(float(v), precision) for v in array.ravel()[:4])
        return f"{'×'.join(map(str, array.shape))} values: {first}, … (--format json has all)"
    if array.ndim == 0:
        return missing if np.isnan(array) else number(float(array), precision)
    return "[" + ", ".join(values(row, precision, missing) for row in array) + "]"


def index_label(position: tuple[int, ...], offset: tuple[int, ...]) -> str:
    """Matrix indices as on a sheet: 1-based, or 0 for a folded bias row; commas past 9."""
    indices = [str(p + o) for p, o in zip(position, offset)]
    return ("," if any(len(i) > 1 for i in indices) else "").join(indices)


def shared_table(result, fmt, title: str = "shared parameters") -> Table:
    """Named parameters: value, gradient summed over their uses, update, where they are used."""
    n = result.problem.notation
    rows = []
    for p in result.shared:
        row = [p.name, fmt(p.value), fmt(p.grad)]
        if result.trained:
            row.append(fmt(p.updated) + (" (frozen)" if p.frozen else ""))
        rows.append(row + [", ".join(p.uses) or "unused"])
    columns = ["name", "value", f"∂{n.loss}/∂name (sum over uses)"] + (["updated"] if result.trained else []) + ["used in"]
    return Table(title, columns, rows)


def history_table(result, fmt) -> Table:
    """The loss before each training step and after the last."""
    n = result.problem.notation
    rows = [[str(i + 1), fmt(v)] for i, v in enumerate(result.history)]
    rows.append(["after", fmt(result.final_loss)])
    return Table("training", ["step", f"{n.loss} before the step"], rows)
