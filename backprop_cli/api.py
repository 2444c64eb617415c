"""The public library API: load a problem, solve it, check its answers."""

from __future__ import annotations

from .errors import ProblemError
from .read.files import load, load_all, loads, loads_all
from .solving.kinds import solve
from .solving.results import GraphResult, Result

__all__ = ["load", "loads", "load_all", "loads_all", "solve", "check", "explain", "Result", "GraphResult", "ProblemError"]


def _show_in_notebooks() -> None:
    """Let results display themselves in a notebook (the renderers are imported when first used)."""
    from .solving import results

    def page(kind: str):
        def show(result):
            from .console import pages
            return getattr(pages, f"result_{kind}")(result)
        return show
    results.SHOWN.setdefault("html", page("html"))
    results.SHOWN.setdefault("markdown", page("markdown"))


_show_in_notebooks()


def explain(result, quantities=(), precision: int = 6):
    """The worked solution of a result: every quantity (or those addressed and what they need) with its
    formula, the numbers put in and the value; it displays itself in a notebook, and ``backprop_cli.
    explaining.{text,markdown,latex,html}.render`` write it out."""
    from .explaining import explain as write
    return write(result, quantities, precision)


def check(problem, rounding: int | None = None):
    """Judge every expected answer of a problem: a FileCheck with one verdict per answer."""
    from .checking.verdicts import check as judge  # only checking pays for the mistake registry
    return judge(problem, rounding)
