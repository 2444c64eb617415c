"""The usual mistakes of a hand calculation, and the diagnosis of a wrong answer.

A mistake is either a change of the answer itself (sign, factor, transposition, log base, truncation,
learning rate, another element) or a change of how the whole problem was worked, which is a replay
(``replays.py``): derivative at the wrong argument, deltas through updated weights, a path or a term
left out, rounding, the student's own earlier values. The mistakes are one registry, ``MISTAKES``,
tried in order; each entry says which kinds of problem and which quantities it applies to.
"""

from __future__ import annotations

import math
from typing import Callable, Iterator, NamedTuple

import numpy as np

from ..read.addresses import Address
from ..read.answers import Answer
from ..solving.kinds import lookup
from .replays import GRADIENTS, LAYERED, Replays

MAX_MIXUPS = 1_000  # elements of an array tried as the one a student confused an entry with
MAX_ELEMENTS = 20  # wrong elements of one answer diagnosed one by one
LOOSE = 0.3  # a mistake still counts as the likely cause within 30% when nothing fits exactly
MARGIN = 0.5  # ... and when it is at least twice as close as the exact value

def diagnose(answer: Answer, replays: Replays, digits: list[int], carried: object = None,
             acceptable: list = (), loose: bool = True) -> str | None:
    """The usual mistake that best reproduces the written answer, in words; None if none does.

    Each mistake is tried on the exact run, on runs rounded to ``digits`` decimals at every step, and
    on the run carried forward from the student's earlier values; then an arithmetic slip in one
    factor; then, loosely, the nearest mistake (other slips or rounding on top of it).
    """
    bases = [(None, replays.exact, "")]
    bases += [(d, replays.rounded(d), f" (with every step rounded to {d} decimals)") for d in digits]
    if carried is not None:
        bases.append((None, carried, " (given your earlier values)"))
    nearest = None
    for rounding, base, note in bases:
        for reason, value, loosely in _candidates(answer, base, replays, rounding, variable=base is not carried):
            if not replays.spend_candidate():
                break
            if value is None or not np.all(np.isfinite(np.nan_to_num(value, nan=0.0))):
                continue
            if answer.matches(value):
                return reason + note
            distance = _relative_distance(answer.written, value)
            if loosely and (nearest is None or distance < nearest[0]):
                nearest = (distance, reason + note)
    slip = _slip(answer, replays)
    if slip:
        return slip
    partial = _by_element(answer, replays, digits, carried, list(acceptable))
    if partial:
        return partial
    exact = lookup(answer.address, replays.exact)
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


def _by_element(answer: Answer, replays: Replays, digits: list[int], carried: object,
                acceptable: list) -> str | None:
    """For a vector or matrix with some elements right: what went wrong in each of the others."""
    if answer.written.ndim == 0 or answer.written.size < 2 or answer.address.index is not None:
        return None
    exact = lookup(answer.address, replays.exact)
    ok = np.zeros(answer.written.shape, dtype=bool)
    for result in [replays.exact, *acceptable]:
        value = lookup(answer.address, result)
        ok |= np.abs(answer.written - value) <= answer.limits(value)
    ok |= np.isnan(exact) & np.isnan(answer.written)
    if ok.all() or not ok.any():
        return None
    parts = []
    wrong = list(zip(*np.nonzero(~ok)))
    for position in wrong[:MAX_ELEMENTS]:
        where = answer.address._replace(index=tuple(position))
        element = Answer(where, answer.written[position], answer.decimals[position], answer.tolerance,
                         answer.line, answer.column)
        reason = diagnose(element, replays, digits, carried, acceptable, loose=False) or "wrong (an arithmetic slip?)"
        label = ",".join(str(p + 1) for p in position)
        parts.append(f"element ({label}): {reason}")
    if len(wrong) > MAX_ELEMENTS:
        parts.append(f"{len(wrong) - MAX_ELEMENTS} more elements wrong")
    return "; ".join(parts) + "; the others right"


def _candidates(answer: Answer, base, replays: Replays, digits: int | None,
                variable: bool = True) -> Iterator[tuple[str, np.ndarray, bool]]:
    """(reason, value, may match loosely) for every mistake, each also truncated instead of rounded.

    Mix-ups with other elements and truncation must match exactly: near misses prove nothing.
    """
    places = answer.decimals
    for reason, value in _mistakes(answer, base, replays, digits, variable):
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


class Case(NamedTuple):
    """What a mistake is tried on: the answer, a run to take values from, and how that run was worked."""

    answer: Answer
    result: object  # the run (exact, rounded or carried forward) the mistake is applied to
    replays: Replays
    digits: int | None  # rounding of that run
    variable: bool  # whether replays of the whole problem may be tried on top of it

    @property
    def exact(self) -> np.ndarray:
        return lookup(self.answer.address, self.result)


Candidates = Callable[[Case], Iterator[tuple[str, np.ndarray | None]]]


class Mistake(NamedTuple):
    """One usual mistake: where it can happen and the values it gives (with the words for each)."""

    name: str
    kinds: frozenset[str]  # problem kinds it applies to
    quantities: Callable[[str], bool]  # the address kinds (pre, delta, weights_updated, ...) it applies to
    candidates: Candidates


BOTH = frozenset({"layered", "graph"})
ANY = lambda kind: True  # noqa: E731


def _sign(case: Case):
    yield "sign flipped", -case.exact


def _ascent(case: Case):
    before, grad = _parameter(case.answer.address, case.result)
    rate = case.replays.problem.training.learning_rate
    yield "gradient ascent: the update added the gradient (+ instead of −)", before + rate * grad
    yield from _other_rate(case.answer, before, grad, rate)


def _loss_factors(case: Case):
    exact, problem = case.exact, case.replays.problem
    yield "off by a factor 2 (the loss's 1/2 dropped, or the 2 from the square forgotten)", 2 * exact
    yield "off by a factor 1/2 (a 1/2 in the loss that is not there)", exact / 2
    samples, outputs = case.replays.kind.counts(problem)
    for count, what in ((samples, "samples"), (outputs, "outputs")):
        if count > 2:
            yield f"off by a factor {count}: sum and mean over the {what} confused", exact * count
            yield f"off by a factor 1/{count}: sum and mean over the {what} confused", exact / count
    if problem.loss is not None and problem.loss.kind != "squared_error":
        yield "log base 10 used instead of the natural log", exact / math.log(10)


def _graph_terms(case: Case):
    if case.variable:
        for name, position, reason in case.replays.graph_terms():
            yield reason, lookup(case.answer.address, case.replays.without_graph_term(name, position))


def _graph_edges(case: Case):
    if case.variable:
        for edge, reason in case.replays.shared_edges():
            yield reason, lookup(case.answer.address, case.replays.without_edge(edge))


def _layer_terms(case: Case):
    if case.variable:
        for layer, position, reason in case.replays.terms():
            yield reason, lookup(case.answer.address, case.replays.without_term(layer, position, case.digits))


def _derivative(case: Case):
    if case.variable:
        address, replays = case.answer.address, case.replays
        yield ("derivative taken at the activation a instead of the pre-activation z",
               lookup(address, replays.derivative_at("act", case.digits)))
        yield ("derivative written in terms of a but evaluated at z",
               lookup(address, replays.derivative_at("pre", case.digits)))


def _stale_weights(case: Case):
    if case.variable and case.replays.problem.training.learning_rate:
        yield ("hidden-layer deltas computed with the already-updated weights",
               lookup(case.answer.address, case.replays.updated_weights(case.digits)))


def _output_left_out(case: Case):
    outputs = case.replays.problem.network.layers[-1].units
    if case.variable and outputs > 1:
        for unit in range(outputs):
            yield (f"the path through output {unit + 1} left out of the sum",
                   lookup(case.answer.address, case.replays.without_output(unit, case.digits)))


def _transposed_case(case: Case):
    yield from _transposed(case.answer, case.exact, case.result)


def _mistakes(answer: Answer, result, replays: Replays, digits: int | None,
              variable: bool) -> Iterator[tuple[str, np.ndarray | None]]:
    """(reason, value the mistake gives) for every mistake that applies, most specific first."""
    case = Case(answer, result, replays, digits, variable)
    yield "", case.exact
    problem_kind, quantity = replays.problem.kind, answer.address.kind
    for mistake in MISTAKES:
        if problem_kind in mistake.kinds and mistake.quantities(quantity):
            yield from mistake.candidates(case)


def _parameter(address: Address, result) -> tuple[np.ndarray, np.ndarray]:
    """A parameter's value before the update and its gradient, at the address's element."""
    if address.kind == "shared_updated":
        shared = result.named[address.name]
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


def _transposed(answer: Answer, exact: np.ndarray, result):
    address = answer.address
    if address.index is None and exact.ndim == 2 and exact.shape[0] == exact.shape[1]:
        yield "transposed", exact.T
    elif address.index is not None and len(address.index) == 2:
        whole = lookup(address._replace(index=None), result)
        i, j = address.index
        if j < whole.shape[0] and i < whole.shape[1] and i != j:
            yield f"transposed: the value at ({j + 1}, {i + 1}) (row and column swapped)", whole[j, i]


def _other_elements(case: Case):
    """The same quantity at another element (an index mix-up)."""
    address = case.answer.address
    if address.index is None:
        return
    whole = lookup(address._replace(index=None), case.result)
    if whole.size > MAX_MIXUPS:
        return
    for position in np.ndindex(whole.shape):
        if position != address.index:
            where = ",".join(str(p + 1) for p in position)
            yield f"index mix-up: the value of element ({where})", whole[position]


def _other_layers(case: Case):
    """The same quantity in another layer (a layer mix-up)."""
    address, result = case.answer.address, case.result
    whole = lookup(address._replace(index=None), result)
    for layer in range(1, len(case.replays.problem.network.layers) + 1):
        if layer == address.layer:
            continue
        try:
            other = lookup(address._replace(layer=layer, index=None), result)
        except (IndexError, AttributeError, TypeError):
            continue
        if address.index is None and other.shape == whole.shape:
            yield f"layer mix-up: the value of layer {layer}", other
        elif address.index is not None and all(i < n for i, n in zip(address.index, other.shape)) \
                and other.ndim == len(address.index):
            yield f"layer mix-up: the value of layer {layer}", other[address.index]


def _slip(answer: Answer, replays: Replays) -> str | None:
    """An arithmetic slip in one factor of a chain-rule product, named when the other factors hold."""
    address, result, problem = answer.address, replays.exact, replays.problem
    if address.index is None or address.kind not in ("delta", "weights_grad") or len(problem.inputs) != 1:
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


def _chain(address: Address, result, problem) -> list[tuple[str, float]]:
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


_LOSS_SCALED = set(GRADIENTS) | {"loss"}

# Most specific first: the first mistake that reproduces the written value is the one named.
MISTAKES: tuple[Mistake, ...] = (
    Mistake("sign", BOTH, ANY, _sign),
    Mistake("update", BOTH, lambda kind: kind.endswith("_updated"), _ascent),
    Mistake("loss factor", BOTH, _LOSS_SCALED.__contains__, _loss_factors),
    Mistake("transposed", BOTH, ANY, _transposed_case),
    Mistake("other element", BOTH, lambda kind: kind != "loss", _other_elements),
    Mistake("other layer", frozenset({"layered"}), lambda kind: kind != "loss" and not kind.startswith("shared"),
            _other_layers),
    Mistake("graph term left out", frozenset({"graph"}), lambda kind: kind not in ("input", "shared"), _graph_terms),
    Mistake("graph path left out", frozenset({"graph"}), set(GRADIENTS).__contains__, _graph_edges),
    Mistake("term left out", frozenset({"layered"}),
            lambda kind: kind not in ("input", "weights", "bias", "shared"), _layer_terms),
    Mistake("derivative argument", frozenset({"layered"}), set(LAYERED).__contains__, _derivative),
    Mistake("stale weights", frozenset({"layered"}), set(LAYERED).__contains__, _stale_weights),
    Mistake("output path left out", frozenset({"layered"}), set(LAYERED).__contains__, _output_left_out),
)
