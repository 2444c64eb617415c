"""Loss kinds: their elementwise terms, the reductions a file states, and the formula as printed."""

from __future__ import annotations

import numpy as np

from .model import Loss
from .ops import loss_rows
from .record import Record
from .tape import Tape

TERMS = {  # loss kind -> (elementwise op on the prediction, printed term)
    "squared_error": ("square_diff", "(ŷ_k − y_k)²"),
    "binary_cross_entropy": ("bce", "−[y_k ln ŷ_k + (1 − y_k) ln(1 − ŷ_k)]"),
    "categorical_cross_entropy": ("cce", "−y_k ln ŷ_k"),
}
FROM_LOGITS = {  # (loss kind, output activation) -> op taking the pre-activation, finite for any |z|
    ("binary_cross_entropy", "sigmoid"): "bce_logits",
    ("categorical_cross_entropy", "softmax"): "softmax_cce",
}


class LossSlots(Record):
    """The loss, and the loss of each sample (after the factor and output reduction), as slots; a loss
    recorded as one step has none for each sample's (``per_sample`` works them out)."""

    total: int
    per_sample: int | None


def record(tape: Tape, loss: Loss, prediction: int, targets: np.ndarray, from_logits: bool = False,
           compact: bool = False) -> LossSlots:
    """Elementwise term, then the reduction over outputs, the factor, and the reduction over samples;
    ``compact``, all of them as one step (the ``loss`` op: the same numbers in one step, for a tape
    replayed many times; a hand calculation or a formula wants each of them apart)."""
    op = TERMS[loss.kind][0]
    if from_logits:
        op = {"bce": "bce_logits", "cce": "softmax_cce"}[op]
    target = tape.leaf(targets, label=("target",))
    if compact:
        total = tape.apply("loss", prediction, target, term=op, outputs=loss.outputs, samples=loss.samples,
                           factor=loss.factor, label=("loss",))
        return LossSlots(total, None)
    terms = tape.apply(op, prediction, target)
    per_sample = tape.apply(loss.outputs, terms, axis=1)
    if loss.factor != 1.0:
        per_sample = tape.apply("mul", per_sample, tape.leaf(loss.factor))
    total = tape.apply(loss.samples, per_sample, axis=0, label=("loss",))
    tape.label(per_sample, ("loss per sample",))
    return LossSlots(total, per_sample)


def per_sample(tape: Tape, slots: LossSlots, values: list) -> np.ndarray:
    """Each sample's loss in the ``values`` of a pass: its slot's value, or, for a loss recorded as one
    step, worked out from that step's inputs as the steps it stands for work it (the same numbers)."""
    if slots.per_sample is not None:
        return values[slots.per_sample]
    step = next(step for step in reversed(tape.steps) if step.out == slots.total)
    attrs = {name: value for name, value in step.attrs.items() if name != "samples"}
    return loss_rows(*(values[i] for i in step.inputs), **attrs)


def penalty(tape: Tape, squares: list[int], strength: float) -> int:
    """The L2 penalty: ``strength`` times the sum of the given sums of squares."""
    total = squares[0]
    for square in squares[1:]:
        total = tape.apply("add", total, square)
    return tape.apply("mul", total, tape.leaf(strength), label=("penalty",))


def sum_of_squares(tape: Tape, slot: int, keep=None) -> int:
    """Σ v² over a slot's entries (only where ``keep`` is true, when given)."""
    square = tape.apply("mul", slot, slot)
    if keep is not None:
        square = tape.apply("mask", square, keep=np.asarray(keep, dtype=float))
    return tape.apply("sum", square)


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

