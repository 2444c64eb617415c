"""The usual mistakes of a hand calculation, and the diagnosis of a wrong answer.

A mistake is either a change of the answer itself (sign, factor, transposition, a digit, truncation,
learning rate, another element or quantity) or a change of how the problem was worked in one place,
which is a replay (``replays.py``): a derivative rule in one layer, deltas through updated weights,
a path or a term left out. Replays start from the student's own earlier written values and are tried
only where the mistake can show in the answer. The mistakes are one registry, ``MISTAKES``, tried in
order; a mistake is named only when it reproduces the written value within the answer's tolerance.
"""

from __future__ import annotations

import math
from typing import Callable, Iterator, NamedTuple

import numpy as np

from ..read.addresses import unit_activations
from ..read.answers import Answer
from ..solving.kinds import laid_out, lookup
from ..engine.network import activation_derivative
from ..engine.ops import ACTIVATIONS
from .replays import GRADIENTS, LAYERED, UPDATED, Replays, Way, wrong_derivative

MAX_MIXUPS = 1_000  # elements of an array tried as the one a student confused an entry with
MAX_ELEMENTS = 20  # wrong elements of one answer diagnosed one by one
MIN_DIGITS = 3  # significant digits a number needs before one wrong digit is called a slip
CLOSEST = 0.5  # the nearest mistake is mentioned (never named) when it is within 50% of the value written
BACKWARD = ("delta", "weights_grad", "bias_grad", "shared_grad", *UPDATED)  # what a delta's mistake reaches
# The derivative mistakes, and the activations where each one changes something.
DERIVATIVES = {
    "derivative dropped": ("dropped", "the activation's derivative g'(z) left out", None),
    "activation for derivative": ("activation", "g(z) used for g'(z) (the activation for its derivative)", None),
    "derivative at activation": ("at_act", "derivative taken at the activation a instead of the pre-activation z",
                                 {"sigmoid", "tanh", "softplus", "elu"}),
    "derivative in a at z": ("in_a_at_z", "derivative written in terms of a but evaluated at z", {"sigmoid", "tanh"}),
}


class Finding(NamedTuple):
    """What a diagnosis found: the mistake's name ("" when none reproduces the value) and the words."""

    mistake: str
    reason: str


class Case(NamedTuple):
    """What a mistake is tried on: the answer, the way the student worked, and that way's run."""

    answer: Answer
    way: Way
    result: object
    replays: Replays
    written: frozenset  # (label, is gradient) of the slots the student wrote in full before this answer

    @property
    def value(self) -> np.ndarray:
        return lookup(self.answer.address, self.result)

    def with_change(self, change: tuple) -> np.ndarray:
        """The answer's value when the student worked this way with one mistake made."""
        return lookup(self.answer.address, self.replays.run(self.way, change))

    def open(self, label: tuple, gradient: bool) -> bool:
        """Whether a mistake made in this slot can still show here: the student did not write it in full
        (their written value is what they carried on with), or it is this very answer's slot."""
        if (label, gradient) not in self.written:
            return True
        try:
            own, _ = self.replays.kind.slot(self.answer.address, self.replays.problem)
        except KeyError:  # parameters and updates have no slot of their own among the written ones
            return False
        return own == label and (self.answer.address.kind in GRADIENTS) == gradient


Candidates = Callable[[Case], Iterator[tuple[str, np.ndarray | None]]]


class Mistake(NamedTuple):
    """One usual mistake: where it can happen and the values it gives (with the words for each)."""

    name: str
    kinds: frozenset[str]  # problem kinds it applies to
    quantities: Callable[[str], bool]  # the address kinds (pre, delta, weights_updated, ...) it applies to
    candidates: Candidates
    exact_only: bool = False  # a near miss proves nothing (mix-ups with many values)


def diagnose(answer: Answer, replays: Replays, ways: list[Way], written: frozenset,
             acceptable: list = ()) -> Finding:
    """The usual mistake that reproduces the written answer, tried on each way the student may have
    worked; failing that, what is wrong element by element; failing that, not explained, with the
    nearest mistake and what the student's own earlier values give."""
    nearest = None
    for way in ways:
        case = Case(answer, way, replays.run(way), replays, written)
        note = _note(case)
        for mistake, reason, value in _tried(case):
            if not replays.spend_candidate():
                break
            if answer.matches(value):
                return Finding(mistake.name, reason + note)
            if not mistake.exact_only and value.shape == answer.written.shape:
                distance = _relative_distance(answer.written, value)
                if nearest is None or distance < nearest[0]:
                    nearest = (distance, reason + note)
    partial = _by_element(answer, replays, ways, written, list(acceptable))
    if partial:
        return partial
    words = "not explained by a usual mistake"
    own = next((way for way in ways if way.answers and way.digits is None), Way())
    value = lookup(answer.address, replays.run(own))
    near = value.shape == answer.written.shape and _relative_distance(answer.written, value) <= CLOSEST
    exact = lookup(answer.address, replays.exact)
    if own.answers and value.shape == exact.shape and np.isfinite(value).all() \
            and not np.allclose(value, exact, rtol=1e-9):
        words += f"; your earlier values give {_shown(value)} here" + (" (a slip in this step?)" if near else "")
    elif near:
        words += " (an arithmetic slip?)"
    if nearest is not None and nearest[0] <= CLOSEST:
        words += f"; closest: {nearest[1]}, {100 * nearest[0]:.2g}% away"
    return Finding("", words)


def _note(case: Case) -> str:
    """How the student worked, said after a reason only where it changes this answer's value."""
    value, exact = case.value, lookup(case.answer.address, case.replays.exact)
    if value.shape != exact.shape:
        return case.way.words()
    limits = case.answer.limits(exact) if case.answer.written.shape == exact.shape else 1e-9 * np.abs(exact)
    if np.all(np.nan_to_num(np.abs(value - exact)) <= limits):
        return ""
    return case.way.words()


def _tried(case: Case) -> Iterator[tuple[Mistake, str, np.ndarray]]:
    """(mistake, reason, value) for every mistake that applies, most specific first; each value also
    truncated instead of rounded, to the decimals written (a truncation must match exactly)."""
    problem_kind, quantity = case.replays.problem.kind, case.answer.address.kind
    places = case.answer.decimals
    for mistake in MISTAKES:
        if problem_kind not in mistake.kinds or not mistake.quantities(quantity):
            continue
        for reason, value in mistake.candidates(case):
            if value is None:
                continue
            value = np.asarray(value, dtype=float)
            if not np.all(np.isfinite(np.nan_to_num(value, nan=0.0))):
                continue
            truncated = None
            if places.ndim == 0 or places.shape == value.shape:
                with np.errstate(all="ignore"):
                    truncated = np.trunc(value * 10.0 ** places) / 10.0 ** places
            if mistake.name == "truncated":
                if truncated is not None:
                    yield mistake, reason, truncated
                continue
            yield mistake, reason, value
            if truncated is not None and mistake.name not in ("digits transposed", "digit slip"):
                yield mistake._replace(exact_only=True), f"{reason}, then truncated", truncated


def _relative_distance(written: np.ndarray, value: np.ndarray) -> float:
    written, value = np.asarray(written, float), np.asarray(value, float)
    present = ~np.isnan(written) & ~np.isnan(value)
    if not present.any():
        return math.inf
    scale = np.maximum(np.abs(value[present]), 1e-12)
    return float(np.max(np.abs(written[present] - value[present]) / scale))


def _shown(value: np.ndarray) -> str:
    value = np.asarray(value, dtype=float)
    if value.ndim == 0:
        return f"{float(value):.6g}"
    return "[" + ", ".join(_shown(v) for v in value) + "]"


def _by_element(answer: Answer, replays: Replays, ways: list[Way], written: frozenset,
                acceptable: list) -> Finding | None:
    """For a vector or matrix with some elements right: what went wrong in each of the others."""
    if answer.written.ndim == 0 or answer.written.size < 2 or answer.address.index is not None:
        return None
    exact = lookup(answer.address, replays.exact)
    if exact.shape != answer.written.shape:
        return None
    ok = np.zeros(answer.written.shape, dtype=bool)
    for result in [replays.exact, *acceptable]:
        value = lookup(answer.address, result)
        ok |= np.abs(answer.written - value) <= answer.limits(value)
    ok |= np.isnan(exact) & np.isnan(answer.written)
    if ok.all() or not ok.any():
        return None
    parts, names = [], set()
    wrong = list(zip(*np.nonzero(~ok)))
    for position in wrong[:MAX_ELEMENTS]:
        where = answer.address._replace(index=tuple(position))
        element = Answer(where, answer.written[position], answer.decimals[position], answer.tolerance,
                         answer.line, answer.column)
        finding = diagnose(element, replays, ways, written, acceptable)
        names.add(finding.mistake)
        label = ",".join(str(p + 1) for p in position)
        parts.append(f"element ({label}): {finding.reason}")
    if len(wrong) > MAX_ELEMENTS:
        parts.append(f"{len(wrong) - MAX_ELEMENTS} more elements wrong")
    return Finding(names.pop() if len(names) == 1 else "", "; ".join(parts) + "; the others right")


# -- mistakes of the value itself --------------------------------------------------------------------------

def _sign(case: Case):
    yield _sign_words(case), -case.value


def _sign_words(case: Case) -> str:
    """Sign flipped; for a δ, the words say which convention the values follow (some books define
    δ = −∂L/∂z, and a residual taken as t − ŷ gives the same signs)."""
    n = case.replays.problem.notation
    if case.answer.address.kind != "delta" or not case.answer.address.text.startswith((n.delta, "δ", "delta")):
        return "sign flipped"
    if n.delta_sign > 0:
        return (f"sign flipped: your values follow the {n.delta} = −∂{n.loss}/∂{n.pre} convention (write "
                f"conventions: {{delta: -d{n.loss}/d{n.pre}}} if the sheet's is), or a residual taken as t − ŷ")
    return (f"sign flipped: your values follow the {n.delta} = ∂{n.loss}/∂{n.pre} convention, and this file's "
            f"{n.delta} is −∂{n.loss}/∂{n.pre}")


def _loss_factors(case: Case):
    value, problem = case.value, case.replays.problem
    if problem.loss is None:  # a graph given the gradient that flows back: no loss to misread
        return
    yield "off by a factor 2 (the loss's 1/2 dropped, or the 2 from the square forgotten)", 2 * value
    yield "off by a factor 1/2 (a 1/2 in the loss that is not there)", value / 2
    samples, outputs = case.replays.kind.counts(problem)
    for count, what in ((samples, "samples"), (outputs, "outputs")):
        if count > 2:
            yield f"off by a factor {count}: sum and mean over the {what} confused", value * count
            yield f"off by a factor 1/{count}: sum and mean over the {what} confused", value / count
    if problem.loss is not None and problem.loss.kind != "squared_error":
        yield "log base 10 used instead of the natural log", value / math.log(10)


def _transposed(case: Case):
    answer, value = case.answer, case.value
    address = answer.address
    if address.index is None and value.ndim == 2 and answer.written.shape == value.T.shape \
            and value.shape[0] * value.shape[1] > 1:
        yield "transposed", value.T
    elif address.index is not None and len(address.index) == 2:
        whole = lookup(address._replace(index=None), case.result)
        i, j = address.index
        if j < whole.shape[0] and i < whole.shape[1] and i != j:
            yield f"transposed: the value at ({j + 1}, {i + 1}) (row and column swapped)", whole[j, i]


def _digits(case: Case):
    """Two adjacent digits swapped, or one digit wrong, in numbers copied from the right values: yields
    (kind, value, words) when every element written differently is that kind of slip."""
    answer, value = case.answer, case.value
    if value.shape != answer.written.shape or np.isnan(answer.written).any() or not np.isfinite(value).all():
        return
    kinds, pairs = set(), []
    for written, right, places in zip(answer.written.ravel(), value.ravel(), np.ravel(answer.decimals)):
        places = int(places)
        if places < 0:
            return
        right_text, written_text = f"{right:.{places}f}", f"{written:.{places}f}"
        if right_text == written_text:
            continue
        kind = _digit_kind(right_text, written_text, places)
        if kind is None:
            return
        kinds.add(kind)
        pairs.append(f"{written_text} written for {right_text}")
    if len(kinds) == 1:
        kind = kinds.pop()
        yield kind, answer.written, f"{'digits transposed' if kind == 'digits transposed' else 'one digit wrong'}: " \
                                    + ", ".join(dict.fromkeys(pairs))


def _digit_kind(right: str, written: str, places: int) -> str | None:
    """'digits transposed', 'digit slip', or None when the two texts differ otherwise (or the number has
    too few digits for a slip to be told from another number)."""
    if len(right) != len(written) or len(right.lstrip("-0.").replace(".", "")) < MIN_DIGITS:
        return None
    differ = [i for i, (r, w) in enumerate(zip(right, written)) if r != w]
    if len(differ) == 2 and differ[1] == differ[0] + 1 and right[differ[0]] == written[differ[1]] \
            and right[differ[1]] == written[differ[0]] and "." not in (right[differ[0]], right[differ[1]]):
        return "digits transposed"
    if len(differ) == 1 and right[differ[0]].isdigit() and written[differ[0]].isdigit() \
            and abs(float(written) - float(right)) > 1.5 * 10.0 ** -places:  # not a last-digit rounding
        return "digit slip"
    return None


def _digit_slips(name: str):
    def candidates(case: Case):
        for kind, value, words in _digits(case):
            if kind == name:
                yield words, value
    return candidates


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


# Another quantity of the same layer and element written for this one.
_MIXED = {"pre": ("act", "the activation a written for the pre-activation z"),
          "act": ("pre", "the pre-activation z written for the activation a (activation not applied)"),
          "grad_act": ("delta", "dL/dz written for dL/da"),
          "weighted": ("pre", "z written for the weighted sum without the bias (the bias added)"),
          "weights_updated": ("weights", "the weights before the update written (no update)")}


def _quantity_mix_up(case: Case):
    other, words = _MIXED[case.answer.address.kind]
    address = case.answer.address._replace(kind=other)
    yield words, lookup(address, case.result)


def _parameter(case: Case) -> tuple[np.ndarray, np.ndarray]:
    """A parameter's value before the update, at the answer's element, and the direction of its first
    step: what the update takes off per unit of learning rate (the gradient, for gradient descent;
    every optimizer's first step is a multiple of the learning rate)."""
    address = case.answer.address
    rate = case.replays.problem.training.learning_rate
    before = lookup(address._replace(kind=address.kind.removesuffix("_updated")), case.result)
    return before, (before - case.value) / rate


def _ascent(case: Case):
    if case.replays.problem.training.learning_rate:
        before, direction = _parameter(case)
        rate = case.replays.problem.training.learning_rate
        yield "gradient ascent: the update added the gradient (+ instead of −)", before + rate * direction


def _other_rate(case: Case):
    """The update with another learning rate, one someone would write (one significant digit)."""
    rate = case.replays.problem.training.learning_rate
    if not rate:
        return
    before, direction = _parameter(case)
    with np.errstate(all="ignore"):
        implied = (before - case.answer.written) / direction
    implied = implied[np.isfinite(implied) & (np.abs(direction) > 1e-12)]
    rates = [1.0, 10 * rate, rate / 10, 2 * rate, rate / 2]
    if implied.size and implied.mean() > 0:
        rates.append(float(f"{implied.mean():.1g}"))
    for other in dict.fromkeys(float(f"{r:.6g}") for r in rates):
        if not math.isclose(other, rate):
            words = "the learning rate left out (η = 1)" if other == 1 else f"learning rate {other:g}"
            yield f"{words} used instead of {rate:g}", before - other * direction


def _bias_kept(case: Case):
    """The bias not updated: its value before the update, or (folded into the weights) that row."""
    address = case.answer.address
    if address.kind == "bias_updated":
        yield "the bias not updated (its gradient forgotten)", lookup(address._replace(kind="bias"), case.result)
        return
    network = case.replays.problem.network
    if not network.folded_bias or address.index is not None:
        return
    before = lookup(address._replace(kind="weights"), case.result)
    kept = case.value.copy()
    if network.orientation == "in_out":
        kept[0, :] = before[0, :]
    else:
        kept[:, 0] = before[:, 0]
    yield "the bias weights not updated (their gradient forgotten)", kept


# -- mistakes made in one place, replayed from the student's own values ----------------------------------

def _layers_reaching(case: Case) -> list[int]:
    """Layers whose delta flows into the answer: its own layer and the ones after it, nearest first."""
    address, count = case.answer.address, len(case.replays.problem.network.layers)
    if address.kind.startswith("shared"):
        return list(range(count, 0, -1))
    first = address.layer + 1 if address.kind == "grad_act" else address.layer
    return list(range(first, count + 1))


def _derivative(name: str):
    form, words, applies = DERIVATIVES[name]

    def candidates(case: Case):
        if case.replays.problem.kind == "graph":
            yield from _graph_derivatives(case, form, words, applies)
            return
        if case.answer.address.kind == "g_prime":
            yield from _own_derivative(case, form, words, applies)
            return
        layers = case.replays.problem.network.layers
        reached = []
        for layer in _layers_reaching(case):
            names = {a.name for a in layers[layer - 1].activations}
            if names <= {"identity"} or (applies is not None and not names & applies):
                continue
            reached.append(layer)
            if case.open(("pre", layer), True):
                yield f"{words}, in layer {layer}", case.with_change(("derivative", form, layer))
        if len(reached) > 1:
            yield f"{words}, in every layer", case.with_change(("derivative", form, None))
    return candidates


def _own_derivative(case: Case, form: str, words: str, applies: set | None):
    """g'(z) written itself, worked the wrong way (no replay: it is computed from z and a alone)."""
    address = case.answer.address
    layer = case.result.layers[address.layer - 1]
    names = {a.name for a in unit_activations(address, case.replays.problem)}
    if form == "dropped" or names <= {"identity"} or (applies is not None and not names & applies):
        return

    def rule(op):
        return wrong_derivative(op, form) if op.name != "identity" and (applies is None or op.name in applies) \
            else op.vjp(0)
    rows = activation_derivative(layer.activations, layer.pre, layer.act, rule)
    yield words, laid_out(rows, address, case.replays.problem)


def _graph_derivatives(case: Case, form: str, words: str, applies: set | None):
    """The derivative mistake made at one activation of a computation graph."""
    tape = case.replays.program().tape
    for step in tape.steps:
        name = step.op.name
        if name not in ACTIVATIONS or name == "identity" or (applies is not None and name not in applies) \
                or not tape.trainable[step.out]:
            continue
        label = tape.labels.get(step.out)
        where = f"node {label[1]}" if label and label[0] == "node" else f"a {name}"
        yield f"{words}, at {where}", case.with_change(("derivative", form, ("slot", step.out)))


def _after(case: Case) -> range:
    """Layers after the answer's, whose weights carry deltas back to it."""
    address, count = case.answer.address, len(case.replays.problem.network.layers)
    return range(2 if address.kind.startswith("shared") else address.layer + 1, count + 1)


def _stale_weights(case: Case):
    if not case.replays.problem.training.learning_rate:
        return
    for layer in _after(case):
        if case.open(("act", layer - 1), True):
            yield (f"deltas sent back through the already-updated weights of layer {layer}",
                   case.with_change(("stale", layer)))


def _paths_left_out(name: str):
    def candidates(case: Case):
        layers = case.replays.problem.network.layers
        count = len(layers)
        for layer in _after(case):
            if (layer == count) != (name == "output path left out") or not case.open(("act", layer - 1), True):
                continue
            for unit in range(layers[layer - 1].units if layers[layer - 1].units > 1 else 0):
                where = f"output {unit + 1}" if layer == count else f"unit {unit + 1} of layer {layer}"
                yield f"the path through {where} left out of the sum", case.with_change(("path", layer, unit))
    return candidates


def _forward_layers(case: Case) -> range:
    """Layers a forward mistake can be made in and still reach the answer."""
    address, count = case.answer.address, len(case.replays.problem.network.layers)
    if address.kind in ("pre", "act", "weighted", "g_prime"):
        return range(1, address.layer + 1)
    return range(1, count + 1)


def _not_applied(case: Case):
    address = case.answer.address
    for layer in _forward_layers(case):
        if address.kind in ("pre", "weighted", "g_prime") and layer == address.layer:
            continue
        activations = case.replays.problem.network.layers[layer - 1].activations
        if {a.name for a in activations} != {"identity"} and case.open(("act", layer), False):
            yield (f"the activation of layer {layer} not applied (a = z)", case.with_change(("linear", layer)))


def _input_pre(case: Case):
    layer = case.answer.address.layer
    if layer >= 2:
        yield (f"the weight gradient taken with z^({layer - 1}) instead of a^({layer - 1})",
               case.with_change(("input pre", layer)))


def _layer_terms(case: Case):
    address = case.answer.address
    reach = set(_forward_layers(case))
    for layer, position, reason in case.replays.terms():
        if address.kind in ("pre", "weighted") and layer == address.layer:  # the sum itself: no replay needed
            yield reason, _sum_without(case, layer, position)
        elif layer in reach and case.open(("pre", layer), False) and case.open(("act", layer), False):
            yield reason, case.with_change(("term", layer, position))


def _sum_without(case: Case, layer: int, position: tuple[int, int]) -> np.ndarray | None:
    """The answer's sums (z, or z without the bias) with one weighted term of one unit's sum taken out."""
    problem, result = case.replays.problem, case.result
    network = problem.network
    inputs = problem.inputs if layer == 1 else result.layers[layer - 2].act
    if network.folded_bias:
        inputs = np.concatenate([np.ones((len(inputs), 1)), inputs], axis=1)
    unit, source = position if network.orientation == "out_in" else position[::-1]
    weighted = case.answer.address.kind == "weighted"
    if weighted and network.folded_bias and source == 0:  # the bias is no term of the sum without it
        return None
    weight = result.layers[layer - 1].weights.value[position]
    rows = np.array(result.layers[layer - 1].weighted if weighted else result.layers[layer - 1].pre, dtype=float,
                    copy=True)
    rows[:, unit] -= np.nan_to_num(weight) * inputs[:, source]
    return laid_out(rows, case.answer.address, problem)


def _graph_terms(case: Case):
    for name, position, reason in case.replays.graph_terms():
        if case.open(("node", name), False):
            yield reason, case.with_change(("graph term", name, position))


def _graph_edges(case: Case):
    for (out, index), reason in case.replays.shared_edges():
        yield reason, case.with_change(("edge", out, index))


def _optimizer_slips(name: str):
    """The first step of the file's optimizer with one setting as a sheet may have got it wrong."""
    def candidates(case: Case):
        opt = case.replays.problem.training.optimizer
        adam = opt.name in ("adam", "adamw")
        if name == "eps inside" and adam:
            where = "outside" if opt.eps_inside else "inside"
            yield f"ε put {where} the square root", (("eps_inside", not opt.eps_inside),)
        elif name == "no bias correction" and adam:
            words = "Adam's bias correction left out (m and v used for m̂ and v̂)" if opt.bias_correction \
                else "a bias correction applied that the file does not ask for"
            yield words, (("bias_correction", not opt.bias_correction),)
        elif name == "betas swapped" and adam and opt.betas[0] != opt.betas[1]:
            yield "β1 and β2 swapped", (("betas", opt.betas[::-1]),)
        elif name == "timestep off by one" and opt.name in ("adam", "adamw") and opt.bias_correction:
            yield "the bias correction taken with t = 2 at the first step (the step count off by one)", \
                (("first_step", opt.first_step + 1),)
        elif name == "momentum form" and opt.name == "sgd" and opt.momentum:
            other = "classical" if opt.form == "pytorch" else "pytorch"
            words = "v ← μ v − η g, p ← p + v" if other == "classical" else "v ← μ v + g, p ← p − η v"
            yield f"momentum kept the other way ({words})", (("form", other), ("dampening", 0.0))
        elif name == "decay coupling" and opt.name in ("adam", "adamw") and opt.decay:
            other, words = ("adam", "added to the gradient (coupled)") if opt.name == "adamw" else \
                ("adamw", "taken off the weights apart from the gradient (decoupled)")
            yield f"the weight decay {words}", (("name", other), ("weight_decay", opt.decay))

    def replayed(case: Case):
        if case.answer.address.step != 1:  # a replay is of the first step only
            return
        for words, changes in candidates(case):
            yield words, case.with_change(("optimizer", *changes))
    return replayed


def _truncated(case: Case):
    yield "truncated instead of rounded", case.value


BOTH = frozenset({"layered", "graph"})
LAYERED_ONLY = frozenset({"layered"})
ANY = lambda kind: True  # noqa: E731
_GRADIENT_LIKE = set(LAYERED) | set(UPDATED)
_LOSS_SCALED = set(GRADIENTS) | {"loss"}
_DOWNSTREAM = set(BACKWARD) | {"node_grad", "input_grad", "g_prime"}  # what a derivative's mistake reaches
_OPTIMIZED = {*UPDATED, "weights_state", "bias_state", "shared_state"}  # what an optimizer's slip reaches
_GIVEN = ("input", "target", "weights", "bias", "shared")  # what no forward mistake changes

# Most specific first: the first mistake that reproduces the written value is the one named.
MISTAKES: tuple[Mistake, ...] = (
    Mistake("truncated", BOTH, ANY, _truncated, True),
    Mistake("sign", BOTH, ANY, _sign),
    Mistake("digits transposed", BOTH, ANY, _digit_slips("digits transposed"), True),
    Mistake("digit slip", BOTH, ANY, _digit_slips("digit slip"), True),
    Mistake("transposed", BOTH, ANY, _transposed),
    Mistake("bias not updated", LAYERED_ONLY, {"bias_updated", "weights_updated"}.__contains__, _bias_kept),
    Mistake("ascent", BOTH, lambda kind: kind.endswith("_updated"), _ascent),
    Mistake("learning rate", BOTH, lambda kind: kind.endswith("_updated"), _other_rate),
    Mistake("quantity mix-up", LAYERED_ONLY, _MIXED.__contains__, _quantity_mix_up, True),
    Mistake("loss factor", BOTH, _LOSS_SCALED.__contains__, _loss_factors),
    Mistake("derivative dropped", BOTH, _DOWNSTREAM.__contains__, _derivative("derivative dropped")),
    Mistake("activation for derivative", BOTH, _DOWNSTREAM.__contains__, _derivative("activation for derivative")),
    Mistake("derivative at activation", BOTH, _DOWNSTREAM.__contains__, _derivative("derivative at activation")),
    Mistake("derivative in a at z", BOTH, _DOWNSTREAM.__contains__, _derivative("derivative in a at z")),
    Mistake("stale weights", LAYERED_ONLY, _GRADIENT_LIKE.__contains__, _stale_weights),
    Mistake("output path left out", LAYERED_ONLY, _GRADIENT_LIKE.__contains__, _paths_left_out("output path left out")),
    Mistake("path left out", LAYERED_ONLY, _GRADIENT_LIKE.__contains__, _paths_left_out("path left out")),
    Mistake("activation not applied", LAYERED_ONLY, lambda kind: kind not in _GIVEN, _not_applied),
    Mistake("z for a in gradient", LAYERED_ONLY, {"weights_grad", "weights_updated"}.__contains__, _input_pre),
    *(Mistake(name, BOTH, _OPTIMIZED.__contains__, _optimizer_slips(name))
      for name in ("eps inside", "no bias correction", "betas swapped", "timestep off by one", "momentum form",
                   "decay coupling")),
    Mistake("other element", BOTH, lambda kind: kind != "loss", _other_elements, True),
    Mistake("other layer", LAYERED_ONLY, lambda kind: kind not in ("loss", "residual", "target")
            and not kind.startswith("shared"), _other_layers, True),
    Mistake("term left out", LAYERED_ONLY, lambda kind: kind not in _GIVEN, _layer_terms, True),
    Mistake("graph term left out", frozenset({"graph"}), lambda kind: kind not in ("input", "shared"),
            _graph_terms, True),
    Mistake("path left out", frozenset({"graph"}), set(GRADIENTS).__contains__, _graph_edges),
)
