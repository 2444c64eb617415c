"""Worked solutions: every quantity with its formula, the numbers put in, and the result.

``explain(result)`` writes the whole first step; given addresses (the ``check`` syntax), only the steps
that compute them and what they depend on.
"""

from __future__ import annotations

from importlib import import_module

from .solution import Section, Solution, Step

__all__ = ["explain", "Solution", "Section", "Step"]

WRITERS = {"layered": "layered", "graph": "graph"}  # kind of problem -> module with explain()


def explain(result, quantities=(), precision: int = 6) -> Solution:
    """The worked solution of a result, cut down to the quantities given (addresses such as
    ``dL/dw^(2)_11``), titled with the problem's place when its file holds several; raises AddressError
    for an address that names nothing to work out."""
    module = import_module(f"{__package__}.{WRITERS[result.problem.kind]}")
    solution = module.explain(result, precision)._replace(result=result)
    if result.problem.part[1] > 1:
        from ..read.files import heading
        solution = solution._replace(title=heading(result.problem))
    if not quantities:
        return solution
    from .select import keys
    wanted = set()
    for text in quantities:
        wanted |= keys(text, result.problem, solution)
    return solution.only(wanted)
