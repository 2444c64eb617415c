"""Plain-text tables, for pipes, files and NO_COLOR terminals."""

from __future__ import annotations

from ..printable import printable
from .report import Report, Table


def render_table(table: Table) -> str:
    """One table as aligned columns: text left-aligned, numbers right-aligned; every cell printable."""
    columns = [printable(c) for c in table.columns]
    rows = [[printable(cell) for cell in row] for row in table.rows]
    widths = [len(c) for c in columns]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row)]

    def line(cells: list[str]) -> str:
        parts = [cell.ljust(w) if i < table.left else cell.rjust(w) for i, (cell, w) in enumerate(zip(cells, widths))]
        return "  ".join(parts).rstrip()

    out = [printable(table.title), line(columns), "  ".join("-" * w for w in widths)]
    out += [line(row) for row in rows]
    out += [printable(note) for note in table.notes]
    return "\n".join(out)


def render(report: Report) -> str:
    """The whole report as plain text, ending with a newline."""
    blocks = ["\n".join(printable(line) for line in [report.title, *report.lines])]
    blocks += [render_table(t) for t in report.tables]
    return "\n\n".join(blocks) + "\n"
