"""A scene as standalone SVG, drawn by our own layout: no program needed, and fit to embed in a page.

Only presentation attributes are used (no <style> element, whose rules would leak into a page the SVG is
embedded in), and every id starts with a prefix, so that several drawings can share one page.
"""

from __future__ import annotations

from .layout import FONT, HEADING_FONT, LABEL_FONT, LINE, TITLE_FONT, Box, Line, lay_out
from .scene import Scene

FONTS = "DejaVu Sans, Verdana, Helvetica, Arial, sans-serif"
# (fill, stroke) of each kind of node
COLOURS = {"input": ("#e8f1fb", "#4a78b0"), "bias": ("#f1f1f1", "#8c8c8c"), "unit": ("#fff8e1", "#b8952e"),
           "output": ("#fdeceb", "#c0504d"), "parameter": ("#e8f6eb", "#4d9a5c"), "formula": ("#fff8e1", "#b8952e"),
           "loss": ("#f3eafb", "#8a5ab5"), "more": ("#ffffff", "#9a9a9a")}
INK, GRADIENT, EDGE = "#1d1d1d", "#b3261e", "#6b6b6b"
ESCAPES = {ord("&"): "&amp;", ord("<"): "&lt;", ord(">"): "&gt;", ord('"'): "&quot;", ord("'"): "&#39;"}


def escape(text: str) -> str:
    """Text for XML content or a quoted attribute."""
    return text.translate(ESCAPES)


def _n(value: float) -> str:
    """A coordinate with one decimal, without a trailing '.0': the same drawing gives the same bytes."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def render(scene: Scene, prefix: str = "bp") -> str:
    """The SVG document of a scene; ``prefix`` starts every id in it."""
    page = lay_out(scene)
    arrow = f"{escape(prefix)}-arrow"
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="backprop-diagram" width="{_n(page.width)}" '
           f'height="{_n(page.height)}" viewBox="0 0 {_n(page.width)} {_n(page.height)}" role="img" '
           f'aria-label="{escape(scene.title)}" font-family="{FONTS}" font-size="{FONT}" fill="{INK}">',
           f"<title>{escape(scene.title)}</title>",
           f'<defs><marker id="{arrow}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
           f'orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="{EDGE}"/></marker></defs>',
           f'<rect width="{_n(page.width)}" height="{_n(page.height)}" fill="#ffffff"/>',
           f'<text class="title" x="{_n(20)}" y="{_n(page.title_y)}" font-size="{TITLE_FONT}" '
           f'font-weight="bold">{escape(scene.title)}</text>']
    out += [f'<text class="heading" x="{_n(x)}" y="{_n(y)}" font-size="{HEADING_FONT}" text-anchor="middle" '
            f'fill="#555555">{escape(heading)}</text>' for x, y, heading in page.headings]
    out.append('<g class="edges">')
    out += [_edge(line, arrow) for line in page.lines]
    out.append('</g>\n<g class="nodes">')
    for column in scene.columns:
        out += [_node(node, page.boxes[node.id], prefix) for node in column.nodes]
    out.append('</g>\n<g class="edge-labels">')
    out += [_label(line) for line in page.lines if line.label is not None]
    out.append("</g>")
    out += [f'<text class="note" x="20" y="{_n(page.notes_y + i * LINE * FONT)}" fill="#444444">{escape(note)}</text>'
            for i, note in enumerate(scene.notes)]
    out.append("</svg>\n")
    return "\n".join(out)


def _lines(lines: list[str], x: float, top: float, size: float, backward: int, bold_first: bool) -> str:
    """Lines of text centred on x, the first baseline under ``top``; gradient lines in their colour."""
    spans = []
    for i, line in enumerate(lines):
        attrs = f' x="{_n(x)}" y="{_n(top + (i + 0.8) * LINE * size)}"'
        if bold_first and i == 0:
            attrs += ' font-weight="bold"'
        if i >= len(lines) - backward:
            attrs += f' fill="{GRADIENT}"'
        spans.append(f"<tspan{attrs}>{escape(line)}</tspan>")
    return "".join(spans)


def _node(node, box: Box, prefix: str) -> str:
    fill, stroke = COLOURS[node.kind]
    dash = ' stroke-dasharray="4 3"' if node.kind in ("more", "bias") else ""
    width = "2" if node.kind in ("output", "loss") else "1.2"
    text = _lines(node.lines, box.cx, box.y + 6, FONT, node.backward, node.kind != "more")
    return (f'<g class="node {node.kind}" id="{escape(prefix)}-{escape(node.id)}" data-id="{escape(node.id)}">'
            f'<rect x="{_n(box.x)}" y="{_n(box.y)}" width="{_n(box.w)}" height="{_n(box.h)}" rx="6" '
            f'fill="{fill}" stroke="{stroke}" stroke-width="{width}"{dash}/>'
            f'<text text-anchor="middle">{text}</text></g>')


def _path(points: list) -> str:
    """Straight between neighbouring columns; else level through each column passed and a smooth S
    between columns."""
    (x0, y0), rest = points[0], points[1:]
    if len(rest) == 1:
        return f"M{_n(x0)},{_n(y0)} L{_n(rest[0][0])},{_n(rest[0][1])}"
    d = [f"M{_n(x0)},{_n(y0)}"]
    for i, (x1, y1) in enumerate(rest):
        if i % 2:  # across a column, level
            d.append(f"L{_n(x1)},{_n(y1)}")
        else:
            middle = (x0 + x1) / 2
            d.append(f"C{_n(middle)},{_n(y0)} {_n(middle)},{_n(y1)} {_n(x1)},{_n(y1)}")
        x0, y0 = x1, y1
    return " ".join(d)


def _edge(line: Line, arrow: str) -> str:
    dash = ' stroke-dasharray="5 3"' if line.edge.kind in ("bias", "loss") else ""
    return (f'<path class="edge {line.edge.kind}" data-source="{escape(line.edge.source)}" '
            f'data-target="{escape(line.edge.target)}" d="{_path(line.points)}" '
            f'fill="none" stroke="{EDGE}" stroke-width="1.2"{dash} marker-end="url(#{arrow})"/>')


def _label(line: Line) -> str:
    box = line.label
    text = _lines(line.edge.lines, box.cx, box.y, LABEL_FONT, line.edge.backward, False)
    return (f'<rect x="{_n(box.x)}" y="{_n(box.y)}" width="{_n(box.w)}" height="{_n(box.h)}" rx="3" '
            f'fill="#ffffff" fill-opacity="0.85"/><text class="edge-label" '
            f'data-source="{escape(line.edge.source)}" data-target="{escape(line.edge.target)}" '
            f'font-size="{LABEL_FONT}" text-anchor="middle">{text}</text>')
