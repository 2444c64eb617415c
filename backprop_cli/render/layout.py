"""A result laid out as tables by the layout of its kind of problem."""

from __future__ import annotations

from importlib import import_module

from .report import Report

LAYOUTS = {"layered": "layered", "graph": "graph"}  # kind of problem -> module with build()


def build(result, precision: int = 6) -> Report:
    """The tables of any result, in the file's notation, titled with the problem's place when its file
    holds several problems (``hw.yaml, problem 2 of 3: Title``)."""
    layout = "symbolic" if getattr(result, "symbolic", False) else LAYOUTS[result.problem.kind]
    module = import_module(f"{__package__}.{layout}")
    built = module.build(result, precision)
    if result.problem.part[1] == 1:
        return built
    from ..read.files import heading
    return built._replace(title=heading(result.problem))
