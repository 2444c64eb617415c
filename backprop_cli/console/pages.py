"""``run`` and ``check`` as pages to hand out: Markdown, or one self-contained HTML file."""

from __future__ import annotations


def worked_page(results: list, output_format: str, precision: int) -> str:
    """The tables of each worked problem (and, in HTML, its diagram) as one page."""
    reports = [_tables(result, precision, output_format) for result in results]
    if output_format == "markdown":
        from ..render import markdown
        return markdown.render(reports)
    body = _worked_body(results, reports, precision)
    title = reports[0].title if len(reports) == 1 else "worked problems"
    from ..render import html
    return html.page(title, body)


def _tables(result, precision: int, page: str):
    """The tables of a result; a problem worked in formulas shows them as math on the page."""
    if getattr(result, "symbolic", False):
        from ..render import symbolic
        return symbolic.build(result, precision, page)
    from ..render import layout
    return layout.build(result, precision)


def _worked_body(results: list, reports: list, precision: int) -> str:
    from ..drawing import draw, training_curve
    from ..render import html
    body = []
    for k, (result, built) in enumerate(zip(results, reports)):
        if getattr(result, "symbolic", False):  # formulas: no values to draw
            body.append(html.report(built))
            continue
        figure = draw(result, "svg", gradients=True, precision=min(precision, 4), prefix=f"d{k}")
        body.append(html.report(built, figure=figure + training_curve(result, f"c{k}")))
    return "".join(body)


def result_html(result) -> str:
    """One result as an HTML fragment for a notebook: the diagram and the tables."""
    from ..render import html
    return html.fragment(_worked_body([result], [_tables(result, 6, "html")], 6))


def result_markdown(result) -> str:
    return worked_page([result], "markdown", 6)


def checked_page(run, output_format: str, precision: int) -> str:
    """The verdicts of each checked file, wrong answers marked and each reason beside its answer."""
    from ..render import verdicts
    reports = verdicts.page_reports(run, precision)
    closing = verdicts.closing_line(run)
    if output_format == "markdown":
        from ..render import markdown
        return markdown.render(reports) + f"\n{markdown.text(closing)}\n"
    from html import escape

    from ..render import html
    body = "".join(html.report(r, verdicts.verdict_class) for r in reports) + f"<p>{escape(closing)}</p>\n"
    return html.page("checked answers", body)
