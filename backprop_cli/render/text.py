"""Plain-text tables, for pipes, files and NO_COLOR terminals."""

from __future__ import annotations

from .report import Report, Table


def render_table(table: Table) -> str:
    """One table as aligned columns: text left-aligned, numbers right-aligned."""
    widths = [len(c) for c in table.columns]
    for row in table.rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row)]

    def line(cells: list[str]) -> str:
        parts = [cell.ljust(w) if i < table.left else cell.rjust(w) for i, (cell, w) in enumerate(zip(cells, widths))]
        return "  ".join(parts).rstrip()

    out = [table.title, line(table.columns), "  ".join("-" * w for w in widths)]
    out += [line(row) for row in table.rows]
    out += table.notes
    return "\n".join(out)


def render(report: Report) -> str:
    """The whole report as plain text, ending with a newline."""
    blocks = ["\n".join([report.title, *report.lines])]
    blocks += [render_table(t) for t in report.tables]
    return "\n\n".join(blocks) + "\n"
