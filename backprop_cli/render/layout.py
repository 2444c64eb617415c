"""A result laid out as tables by the layout of its kind of problem."""

from __future__ import annotations

from importlib import import_module

from .report import Report

LAYOUTS = {"layered": "layered", "graph": "graph"}  # kind of problem -> module with build()


def build(result, precision: int = 6) -> Report:
    """The tables of any result, in the file's notation."""
    module = import_module(f"{__package__}.{LAYOUTS[result.problem.kind]}")
    return module.build(result, precision)
