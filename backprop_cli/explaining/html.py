"""A worked solution as one self-contained HTML page: the diagram (inline SVG), each step as MathML,
and the tables of ``backprop run``. No script, and nothing fetched from anywhere."""

from __future__ import annotations

from html import escape

from ..printable import printable
from ..render import html as page
from .maths import text as plain
from .mathml import math
from .text import WIDTH, parts

STYLE = """
.backprop .step { display: grid; grid-template-columns: max-content auto; column-gap: 0.4em;
                  align-items: baseline; justify-items: start; margin: 0.7rem 0; row-gap: 0.3rem; overflow-x: auto; }
.backprop .step math { font-size: 1.1em; } .backprop .step .lhs { justify-self: end; }
.backprop .step .note { grid-column: 2; color: #555; font-size: 0.85rem; }
"""


def _math(inner: str) -> str:
    return f'<math display="inline">{inner}</math>'


def step(step_, precision: int) -> str:
    """One step as a grid: the target, then '= part' on one row or one a row."""
    shown = parts(step_, precision)
    width = len(" = ".join(plain(p, precision) for p in shown))
    spelt = [math(p, precision) for p in shown]
    cells = [f'<span class="lhs">{_math(spelt[0])}</span>']
    if width <= WIDTH:
        cells.append(_math("<mo>=</mo>" + "<mo>=</mo>".join(spelt[1:])))
    else:
        cells += [("<span></span>" if i else "") + _math("<mo>=</mo>" + s) for i, s in enumerate(spelt[1:])]
    if step_.note:
        cells.append(f'<span class="note">({escape(printable(step_.note))})</span>')
    return '<div class="step">' + "".join(cells) + "</div>"


def render(solution, body_only: bool = False) -> str:
    """The solution as a page (``body_only``: the part inside ``<body>``, to paste into a page)."""
    return render_all([solution], solution.title, body_only)


def render_all(solutions: list, title: str, body_only: bool = False) -> str:
    """Several solutions (the problems of one file) as one page, their diagrams' ids kept apart."""
    if len(solutions) == 1:
        inner = _inner(solutions[0])
    else:
        inner = "".join(_inner(solution, f"d{k}", f"c{k}") for k, solution in enumerate(solutions))
    return page.fragment(inner, STYLE) if body_only else page.page(title, inner, STYLE)


def _inner(solution, diagram: str = "bp", curve: str = "curve") -> str:
    precision = solution.precision
    body = [f"<h1>{escape(printable(solution.title))}</h1>"]
    if solution.lines:
        body.append('<ul class="conventions">' + "".join(f"<li>{escape(printable(line))}</li>"
                                                         for line in solution.lines) + "</ul>")
    if solution.result is not None:
        from ..drawing import draw, training_curve
        figure = draw(solution.result, "svg", gradients=True, precision=4, prefix=diagram)
        body.append(f'<figure class="diagram">{figure}{training_curve(solution.result, curve)}</figure>')
    for section in solution.sections:
        body.append(f"<section>\n<h2>{escape(printable(section.title))}</h2>")
        body += [step(s, precision) for s in section.steps]
        body += [f'<p class="note">{escape(printable(note))}</p>' for note in section.notes]
        body.append("</section>")
    if solution.result is not None:
        from ..render import layout
        body.append(page.report(layout.build(solution.result, precision)))
    return "\n".join(body) + "\n"
