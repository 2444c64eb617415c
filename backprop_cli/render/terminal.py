"""Tables drawn with rich, for a colour terminal."""

from __future__ import annotations

from typing import TextIO

from ..printable import printable
from .report import Report


def render(report: Report, stream: TextIO) -> None:
    """Print the report to a terminal stream with rich tables; text is never read as markup and every
    piece of it is printable."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    def text(value: str, style: str = "") -> Text:
        return Text(printable(value), style=style)

    class Quiet(Console):
        def on_broken_pipe(self) -> None:  # rich would exit with 1 itself; the caller decides
            raise BrokenPipeError

    console = Quiet(file=stream, highlight=False, markup=False, emoji=False, force_terminal=True)
    console.print(text(report.title, "bold"))
    for line in report.lines:
        console.print(text(line, "dim"))
    for table in report.tables:
        console.print()
        grid = Table(title=text(table.title, "bold cyan"), title_justify="left", title_style="bold cyan")
        for i, column in enumerate(table.columns):
            grid.add_column(text(column), justify="left" if i < table.left else "right")
        for row in table.rows:
            grid.add_row(*(text(cell) for cell in row))
        console.print(grid)
        for note in table.notes:
            console.print(text(note, "dim"))
