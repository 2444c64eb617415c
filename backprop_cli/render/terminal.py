"""Tables drawn with rich, for a colour terminal."""

from __future__ import annotations

from typing import TextIO

from .report import Report


def render(report: Report, stream: TextIO) -> None:
    """Print the report to a terminal stream with rich tables (cells are never read as markup)."""
    from rich.console import Console
    from rich.table import Table

    console = Console(file=stream, highlight=False, markup=False, force_terminal=True)
    console.print(report.title, style="bold")
    for line in report.lines:
        console.print(line, style="dim")
    for table in report.tables:
        console.print()
        grid = Table(title=table.title, title_justify="left", title_style="bold cyan")
        for i, column in enumerate(table.columns):
            grid.add_column(column, justify="left" if i < table.left else "right")
        for row in table.rows:
            grid.add_row(*row)
        console.print(grid)
        for note in table.notes:
            console.print(note, style="dim")
