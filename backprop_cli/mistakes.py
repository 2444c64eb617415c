"""The usual mistakes of a hand calculation, and the diagnosis of a wrong answer.

A mistake is either a change of the answer itself (sign, factor, transposition, log base, truncation,
learning rate, another element) or a change of how the whole problem was worked, which is a variant
run (``variants.py``): derivative at the wrong argument, deltas through updated weights, a path or a
term left out, rounding, the student's own earlier values.
"""

from __future__ import annotations

import math
from typing import Iterator

import numpy as np

from .address import Address, lookup
from .expected import Answer
from .problem import Problem
from .solver import Result
from .variants import GRADIENTS, LAYERED, Variants

LOOSE = 0.3  # a mistake still counts as the likely cause within 30% when nothing fits exactly
MARGIN = 0.5  # ... and when it is at least twice as close as the exact value

def diagnose(answer: Answer, variants: Variants, digits: list[int], carried: Result | None = None,
             acceptable: list[Result] = (), loose: bool = True) -> str | None:
    """The usual mistake that best reproduces the written answer, in words; None if none does.

    Each mistake is tried on the exact run, on runs rounded to ``digits`` decimals at every step, and
    on the run carried forward from the student's earlier values; then an arithmetic slip in one
    factor; then, loosely, the nearest mistake (other slips or rounding on top of it).
    """
    bases = [(None, variants.exact, "")]
    bases += [(d, variants.rounded(d), f" (with every step rounded to {d} decimals)") for d in digits]
    if carried is not None:
        bases.append((None, carried, " (given your earlier values)"))
    nearest = None
    for rounding, base, note in bases:
        for reason, value, loosely in _candidates(answer, base, variants, rounding, variable=base is not carried):
            if value is None or not np.all(np.isfinite(np.nan_to_num(value, nan=0.0))):
                continue
            if answer.matches(value):
                return reason + note
            distance = _relative_distance(answer.written, value)
            if loosely and (nearest is None or distance < nearest[0]):
                nearest = (distance, reason + note)
    slip = _slip(answer, variants)
    if slip:
        return slip
    partial = _by_element(answer, variants, digits, carried, list(acceptable))
    if partial:
        return partial
    exact = lookup(answer.address, variants.exact)
    if loose and nearest and nearest[0] <= MARGIN * _relative_distance(answer.written, exact) and nearest[0] <= LOOSE:
        return f"most likely {nearest[1]}; the value written is {nearest[0]:.1%} from it (rounding or a slip on top)"
    return None



def _relative_distance(written: np.ndarray, value: np.ndarray) -> float:
    written, value = np.asarray(written, float), np.asarray(value, float)
    present = ~np.isnan(written) & ~np.isnan(value)
    if not present.any():
        return math.inf
    scale = np.maximum(np.abs(value[present]), 1e-12)
    return float(np.max(np.abs(written[present] - value[present]) / scale))


def _by_element(answer: Answer, variants: Variants, digits: list[int], carried: Result | None,
                acceptable: list[Result]) -> str | None:
    """For a vector or matrix with some elements right: what went wrong in each of the others."""
    if answer.written.ndim == 0 or answer.written.size < 2 or answer.address.index is not None:
        return None
    exact = lookup(answer.address, variants.exact)
    ok = np.zeros(answer.written.shape, dtype=bool)
    for result in [variants.exact, *acceptable]:
        value = lookup(answer.address, result)
        ok |= np.abs(answer.written - value) <= answer.limits(value)
    ok |= np.isnan(exact) & np.isnan(answer.written)
    if ok.all() or not ok.any():
        return None
    parts = []
    for position in zip(*np.nonzero(~ok)):
        where = Address(answer.address.text, answer.address.kind, answer.address.layer, tuple(position),
                        answer.address.name)
        element = Answer(where, answer.written[position], answer.decimals[position], answer.tolerance,
                         answer.line, answer.column)
        reason = diagnose(element, variants, digits, carried, acceptable, loose=False) or "wrong (an arithmetic slip?)"
        label = ",".join(str(p + 1) for p in position)
        parts.append(f"element ({label}): {reason}")
    return "; ".join(parts) + "; the others right"


def _candidates(answer: Answer, base: Result, variants: Variants, digits: int | None,
                variable: bool = True) -> Iterator[tuple[str, np.ndarray, bool]]:
    """(reason, value, may match loosely) for every mistake, each also truncated instead of rounded.

    Mix-ups with other elements and truncation must match exactly: near misses prove nothing.
    """
    places = answer.decimals
    for reason, value in _mistakes(answer, base, variants, digits, variable):
        if value is None:
            continue
        value = np.asarray(value, dtype=float)
        with np.errstate(all="ignore"):
            truncated = np.trunc(value * 10.0 ** places) / 10.0 ** places
        if not reason:  # the value itself: only its truncation is a mistake
            yield "truncated instead of rounded", truncated, False
            continue
        yield reason, value, "mix-up" not in reason and "term left out" not in reason
        yield f"{reason}, then truncated", truncated, False


def _mistakes(answer: Answer, result: Result, variants: Variants, digits: int | None,
              variable: bool) -> Iterator[tuple[str, np.ndarray | None]]:
    """(reason, value the mistake gives), most specific first."""
    address, problem = answer.address, variants.problem
    exact = lookup(address, result)
    kind = address.kind
    yield "", exact
    yield "sign flipped", -exact
    loss_scaled = kind == "loss" or kind in GRADIENTS
    if kind.endswith("_updated"):
        before, grad = _parameter(address, result)
        rate = problem.training.learning_rate
        yield "gradient ascent: the update added the gradient (+ instead of −)", before + rate * grad
        yield from _other_rate(answer, before, grad, rate)
    if loss_scaled:
        yield "off by a factor 2 (the loss's 1/2 dropped, or the 2 from the square forgotten)", 2 * exact
        yield "off by a factor 1/2 (a 1/2 in the loss that is not there)", exact / 2
        samples, outputs = problem.targets.shape if not problem.is_graph else (1, _size(problem.target))
        for count, what in ((samples, "samples"), (outputs, "outputs")):
            if count > 2:
                yield f"off by a factor {count}: sum and mean over the {what} confused", exact * count
                yield f"off by a factor 1/{count}: sum and mean over the {what} confused", exact / count
        if problem.loss is not None and problem.loss.kind != "squared_error":
            yield "log base 10 used instead of the natural log", exact / math.log(10)
    yield from _transposed(answer, exact, result)
    yield from _other_elements(answer, result, problem)
    if variable and problem.is_graph and kind not in ("input", "shared"):
        for name, position, reason in variants.graph_terms():
            yield reason, lookup(address, variants.without_graph_term(name, position))
    if kind in GRADIENTS and variable and problem.is_graph:
        for position, reason in variants.shared_edges():
            yield reason, lookup(address, variants.without_edge(position))
    if variable and not problem.is_graph and kind not in ("input", "weights", "bias", "shared"):
        for layer, position, reason in variants.terms():
            yield reason, lookup(address, variants.without_term(layer, position, digits))
    if kind in LAYERED and variable and not problem.is_graph:
        yield ("derivative taken at the activation a instead of the pre-activation z",
               lookup(address, variants.derivative_at("act", digits)))
        yield ("derivative written in terms of a but evaluated at z",
               lookup(address, variants.derivative_at("pre", digits)))
        if problem.training.learning_rate:
            yield ("hidden-layer deltas computed with the already-updated weights",
                   lookup(address, variants.updated_weights(digits)))
        outputs = problem.network.layers[-1].units
        if outputs > 1:
            for unit in range(outputs):
                yield (f"the path through output {unit + 1} left out of the sum",
                       lookup(address, variants.without_output(unit, digits)))


def _size(values) -> int:
    return 1 if values is None else int(np.size(values))


def _parameter(address: Address, result: Result) -> tuple[np.ndarray, np.ndarray]:
    """A parameter's value before the update and its gradient, at the address's element."""
    if address.kind == "shared_updated":
        shared = next(p for p in result.shared if p.name == address.name)
        before, grad = np.asarray(shared.value), np.asarray(shared.grad)
    else:
        layer = result.layers[address.layer - 1]
        param = layer.weights if address.kind.startswith("weights") else layer.bias
        before, grad = param.value, param.grad
    if address.index is not None:
        before, grad = before[address.index], grad[address.index]
    return np.asarray(before), np.asarray(grad)


def _other_rate(answer: Answer, before: np.ndarray, grad: np.ndarray, rate: float):
    """An update that fits another learning rate, rounded to two significant digits."""
    with np.errstate(all="ignore"):
        implied = (before - answer.written) / grad
    implied = implied[np.isfinite(implied) & (np.abs(grad) > 1e-12)]
    if implied.size and implied.mean() > 0:
        guess = float(f"{implied.mean():.2g}")
        if not math.isclose(guess, rate):
            yield f"learning rate {guess:g} used instead of {rate:g}", before - guess * grad


def _transposed(answer: Answer, exact: np.ndarray, result: Result):
    address = answer.address
    if address.index is None and exact.ndim == 2 and exact.shape[0] == exact.shape[1]:
        yield "transposed", exact.T
    elif address.index is not None and len(address.index) == 2:
        whole = lookup(Address(address.text, address.kind, address.layer, None, address.name), result)
        i, j = address.index
        if j < whole.shape[0] and i < whole.shape[1] and i != j:
            yield f"transposed: the value at ({j + 1}, {i + 1}) (row and column swapped)", whole[j, i]


def _other_elements(answer: Answer, result: Result, problem: Problem):
    """The same quantity at another element, or in another layer (an index mix-up)."""
    address = answer.address
    if address.kind == "loss" or (address.kind.startswith("shared") and address.index is None):
        return
    whole = lookup(Address(address.text, address.kind, address.layer, None, address.name), result)
    if address.index is not None:
        for position in np.ndindex(whole.shape):
            if position != address.index:
                where = ",".join(str(p + 1) for p in position)
                yield f"index mix-up: the value of element ({where})", whole[position]
    if problem.is_graph or address.kind.startswith("shared"):
        return
    layers = len(problem.network.layers)
    for layer in range(1, layers + 1):
        if layer == address.layer:
            continue
        try:
            other = lookup(Address(address.text, address.kind, layer, None), result)
        except (IndexError, AttributeError, TypeError):
            continue
        if address.index is None and other.shape == whole.shape:
            yield f"layer mix-up: the value of layer {layer}", other
        elif address.index is not None and all(i < n for i, n in zip(address.index, other.shape)) \
                and other.ndim == len(address.index):
            yield f"layer mix-up: the value of layer {layer}", other[address.index]


def _slip(answer: Answer, variants: Variants) -> str | None:
    """An arithmetic slip in one factor of a chain-rule product, named when the other factors hold."""
    address, result, problem = answer.address, variants.exact, variants.problem
    if address.index is None or len(problem.inputs) != 1 or address.kind not in ("delta", "weights_grad"):
        return None
    factors = _chain(address, result, problem)
    if not factors:
        return None
    written = float(answer.written)
    best = None
    for i, (name, value) in enumerate(factors):
        others = math.prod(v for k, (_, v) in enumerate(factors) if k != i)
        if others == 0 or value == 0:
            continue
        implied = written / others
        change = abs(implied - value) / abs(value)
        if change < 0.5 and (best is None or change < best[0]):
            best = (change, name, implied, value)
    if best is None:
        return None
    _, name, implied, value = best
    return (f"arithmetic slip in one factor: with {name} = {implied:.4g} (correct: {value:.4g}) "
            "and the other factors right, the product is the value written")


def _chain(address: Address, result: Result, problem: Problem) -> list[tuple[str, float]]:
    """The factors of dL/dz_j = dL/da_j · g'(z_j), times the input a_k for a weight gradient."""
    n = problem.notation
    network = problem.network
    layer = result.layers[address.layer - 1]
    if address.kind == "delta":
        j = address.index[-1] if len(address.index) == 1 else None
        inputs = None
    else:
        row, col = address.index
        j, k = (row, col) if network.orientation == "out_in" else (col, row)
        previous = problem.inputs[0] if address.layer == 1 else result.layers[address.layer - 2].act[0]
        if network.folded_bias:
            previous = np.concatenate([[1.0], previous])
        inputs = (f"{n.act}^({address.layer - 1})_{k + (0 if network.folded_bias else 1)}", float(previous[k]))
    if j is None:
        return []
    upstream = float(layer.grad_act[0, j])
    delta = float(layer.delta[0, j])
    if upstream == 0:
        return []
    factors = [(f"∂{n.loss}/∂{n.act}^({address.layer})_{j + 1}", upstream),
               (f"g'({n.pre}^({address.layer})_{j + 1})", delta / upstream)]
    return factors + ([inputs] if inputs else [])
