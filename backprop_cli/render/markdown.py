"""Reports as GitHub-flavoured Markdown: each table as a pipe table, every cell escaped."""

from __future__ import annotations

import re

from ..printable import printable
from .report import Report, Table

_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|!])")


def text(value: str) -> str:
    """Text from a file or the tool, with the characters Markdown would read as markup escaped."""
    return _SPECIAL.sub(r"\\\1", printable(value))


def table(table_: Table) -> str:
    head = "| " + " | ".join(text(c) for c in table_.columns) + " |"
    rule = "|" + "|".join("---" if i < table_.left else "---:" for i in range(len(table_.columns))) + "|"
    cell_text = (lambda cell: cell.replace("|", "\\|")) if table_.markup else text
    rows = ["| " + " | ".join(cell_text(cell) for cell in row) + " |" for row in table_.rows]
    notes = [f"\n{text(n)}" for n in table_.notes]
    return "\n".join([f"### {text(table_.title)}", "", head, rule, *rows, *notes])


def report(report_: Report) -> str:
    lines = "\n".join(f"- {text(line)}" for line in report_.lines)
    parts = [f"## {text(report_.title)}", lines, *[table(t) for t in report_.tables]]
    return "\n\n".join(part for part in parts if part) + "\n"


def render(reports: list[Report]) -> str:
    return "\n".join(report(r) for r in reports)
