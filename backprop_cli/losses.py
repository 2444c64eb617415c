"""Loss kinds: their elementwise terms, the reductions a file states, and the formula as printed."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .graph import Node, apply, constant
from .problem import Loss

TERMS = {  # loss kind -> (elementwise op on the prediction, printed term)
    "squared_error": ("square_diff", "(ŷ_k − y_k)²"),
    "binary_cross_entropy": ("bce", "−[y_k ln ŷ_k + (1 − y_k) ln(1 − ŷ_k)]"),
    "categorical_cross_entropy": ("cce", "−y_k ln ŷ_k"),
}
FROM_LOGITS = {  # (loss kind, output activation) -> op taking the pre-activation, finite for any |z|
    ("binary_cross_entropy", "sigmoid"): "bce_logits",
    ("categorical_cross_entropy", "softmax"): "softmax_cce",
}


@dataclass(eq=False)
class LossNodes:
    """The loss as a node, and the loss of each sample (after the factor and output reduction)."""

    total: Node
    per_sample: Node


def build(loss: Loss, prediction: Node, targets: np.ndarray, from_logits: bool = False,
          rounder=None) -> LossNodes:
    """Elementwise term, then the reduction over outputs, over samples, and the factor."""
    op = TERMS[loss.kind][0]
    if from_logits:
        op = {"bce": "bce_logits", "cce": "softmax_cce"}[op]
    terms = apply(op, prediction, constant(targets), rounder=rounder)
    per_sample = apply(loss.outputs, terms, axis=1, rounder=rounder)
    if loss.factor != 1.0:
        per_sample = apply("mul", per_sample, constant(loss.factor), rounder=rounder)
    total = apply(loss.samples, per_sample, axis=0, rounder=rounder)
    return LossNodes(total, per_sample)


def penalty(squares: list[Node], strength: float, rounder=None) -> Node:
    """The L2 penalty: ``strength`` times the sum of the given sums of squares."""
    total = squares[0]
    for square in squares[1:]:
        total = apply("add", total, square)
    return apply("mul", total, constant(strength), rounder=rounder)


def sum_of_squares(node: Node, keep=None) -> Node:
    """Σ v² over a node's entries (only where ``keep`` is true, when given)."""
    square = apply("mul", node, node)
    if keep is not None:
        square = apply("mul", square, constant(np.asarray(keep, dtype=float)))
    return apply("sum", square)


def fraction(value: float) -> str:
    """A factor as a short fraction where it is one (0.5 -> '1/2'), else as a number."""
    from fractions import Fraction  # only when printing a factor: keeps start-up cheap

    exact = Fraction(value).limit_denominator(1000)
    if abs(float(exact) - value) <= 1e-12 * max(1.0, abs(value)):
        return str(exact.numerator) if exact.denominator == 1 else f"{exact.numerator}/{exact.denominator}"
    return f"{value:g}"


def formula(loss: Loss, outputs: int, samples: int, symbol: str = "L") -> str:
    """The loss written out with its factor and reductions, e.g. ``L = 1/2 Σ_k (ŷ_k − y_k)²``."""
    parts = []
    if loss.factor != 1.0:
        parts.append(fraction(loss.factor) + " ·")
    if samples > 1:
        parts.append("1/N Σ_n" if loss.samples == "mean" else "Σ_n")
    parts.append("1/K Σ_k" if loss.outputs == "mean" else "Σ_k")
    term = TERMS[loss.kind][1]
    if samples > 1:
        term = term.replace("_k", "_nk")
    sizes = [f"K = {outputs}"] + ([f"N = {samples}"] if samples > 1 else [])
    return f"{symbol} = {' '.join(parts)} {term}   ({', '.join(sizes)})"

