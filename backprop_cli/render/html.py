"""Reports as HTML: the tables of ``run`` and ``check`` for a page, every cell escaped."""

from __future__ import annotations

from html import escape

from ..printable import printable
from .report import Report, Table

STYLE = """
.backprop { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem;
            color: #1a1a1a; line-height: 1.4; }
.backprop h1 { font-size: 1.5rem; } .backprop h2 { font-size: 1.2rem; margin-top: 2rem; }
.backprop h3 { font-size: 1rem; }
.backprop table { border-collapse: collapse; margin: 0.5rem 0; font-variant-numeric: tabular-nums; }
.backprop th, .backprop td { padding: 0.15rem 0.6rem; border-bottom: 1px solid #ddd; vertical-align: top; }
.backprop th { text-align: left; border-bottom: 2px solid #999; }
.backprop td.number { text-align: right; }
.backprop td math { font-size: 1.15em; }
.backprop p.note, .backprop ul.conventions { color: #555; font-size: 0.9rem; }
.backprop .wrong { background: #fde8e8; } .backprop .right { background: #e8f6ea; }
.backprop figure.diagram { margin: 1rem 0; overflow-x: auto; }
.backprop figure.diagram svg { max-width: 100%; height: auto; }
"""


def _text(value: str) -> str:
    return escape(printable(value))


def table(table_: Table, row_class=None) -> str:
    """One table: its title, the columns, the rows (numbers right-aligned) and its notes."""
    head = "".join(f"<th>{_text(c)}</th>" for c in table_.columns)
    rows = []
    for row in table_.rows:
        cells = "".join(f'<td class="{"text" if i < table_.left else "number"}">'
                        f'{cell if table_.markup else _text(cell)}</td>' for i, cell in enumerate(row))
        marked = row_class(row) if row_class else ""
        rows.append(f'<tr class="{marked}">{cells}</tr>' if marked else f"<tr>{cells}</tr>")
    notes = "".join(f'<p class="note">{_text(n)}</p>' for n in table_.notes)
    return (f"<h3>{_text(table_.title)}</h3>\n<table><thead><tr>{head}</tr></thead>\n<tbody>\n"
            + "\n".join(rows) + f"\n</tbody></table>\n{notes}")


def report(report_: Report, row_class=None, figure: str = "") -> str:
    """A report as a section: its title, the conventions, a figure (SVG markup) if given, each table."""
    lines = "".join(f"<li>{_text(line)}</li>" for line in report_.lines)
    conventions = f'<ul class="conventions">{lines}</ul>\n' if lines else ""
    if figure:
        conventions += f'<figure class="diagram">{figure}</figure>\n'
    return (f"<section>\n<h2>{_text(report_.title)}</h2>\n{conventions}"
            + "\n".join(table(t, row_class) for t in report_.tables) + "</section>\n")


def fragment(body: str, style: str = "") -> str:
    """Content to put inside a page of one's own (or a notebook's output): its style applies only
    inside its own ``div.backprop``."""
    return f"<style>{STYLE}{style}</style>\n<div class=\"backprop\">\n{body}</div>\n"


def page(title: str, body: str, style: str = "") -> str:
    """A complete self-contained page: no script, no stylesheet or font fetched from anywhere."""
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{_text(title)}</title>\n"
            f"</head>\n<body>\n{fragment(body, style)}</body>\n</html>\n")


def render(reports: list[Report], title: str, row_class=None) -> str:
    """Reports as one page."""
    return page(title, "".join(report(r, row_class) for r in reports))
