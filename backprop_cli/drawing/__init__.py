"""Diagrams of a worked problem: a layered network or a computation graph, as SVG or Graphviz DOT.

``draw(result)`` is the whole API: the HTML export embeds its SVG inline (``prefix`` keeps the ids of
several drawings on one page apart).
"""

from __future__ import annotations

FORMATS = ("svg", "dot")  # text formats draw() makes; png is made from dot by Graphviz (see png.py)


def describe(result, gradients: bool = False, precision: int = 4):
    """The format-free description of a result's diagram (a ``scene.Scene``)."""
    from . import graph, network
    builders = {"layered": network.build, "graph": graph.build}
    return builders[result.problem.kind](result, gradients, precision)


def draw(result, fmt: str = "svg", gradients: bool = False, precision: int = 4, prefix: str = "bp") -> str:
    """A worked result drawn as SVG (our own layout) or DOT text; gradients on request."""
    if fmt not in FORMATS:
        raise ValueError(f"expected a format among {', '.join(FORMATS)}, found {fmt!r}")
    drawn = describe(result, gradients, precision)
    if fmt == "dot":
        from . import dot
        return dot.render(drawn)
    from . import svg
    return svg.render(drawn, prefix)


def training_curve(result, prefix: str = "curve") -> str:
    """The loss before each training step and after the last, as an SVG chart; empty for one step."""
    if not result.trained or len(result.history) < 2 or result.final_loss is None:
        return ""
    from .curve import loss_curve
    return loss_curve([*result.history, result.final_loss], result.problem.notation.loss, prefix)
