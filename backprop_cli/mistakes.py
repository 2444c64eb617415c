"""The usual mistakes of a hand calculation, each as a way to recompute an answer, and a diagnosis.

A mistake is either a change of the answer itself (sign, factor, transposition, log base, truncation,
learning rate, another element) or a change of how the whole problem is worked (derivative taken at
the wrong argument, deltas through already-updated weights, a path left out, rounding), which is a
variant run of the engine through ``solver.HandWork``.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Callable, Iterator

import numpy as np

from .address import Address, lookup, shape_of
from .expected import Answer
from .formula import Expr
from .graph import Node
from .ops import ACTIVATIONS
from .problem import Problem
from .solver import HandWork, Result, solve

MAX_VARIANT_VALUES = 200_000  # above this many values, no variant runs (time and memory)
MAX_EDGES = 40  # paths tried in one computation graph
MAX_TERMS = 64  # terms tried in one layered network
GRADIENTS = ("grad_act", "delta", "weights_grad", "bias_grad", "shared_grad", "node_grad", "input_grad")
LAYERED = ("grad_act", "delta", "weights_grad", "bias_grad", "shared_grad")  # worked differently layer by layer
CARRIED = ("pre", "act", "node", *GRADIENTS)


def can_carry(address: Address) -> bool:
    """Whether a wrong written value of this kind can be carried into what follows."""
    return address.kind in CARRIED


class Variants:
    """Runs of one problem worked differently, each computed once."""

    def __init__(self, problem: Problem, exact: Result):
        self.problem, self.exact = problem, exact
        self._cache: dict[object, Result] = {}
        self.large = _size_of(exact) > MAX_VARIANT_VALUES

    def _run(self, key: object, work: Callable[[], HandWork]) -> Result:
        if self.large:  # too big to work again and again: only the exact run is compared
            return self.exact
        if key not in self._cache:
            self._cache[key] = solve(self.problem, work())
        return self._cache[key]

    def rounded(self, digits: int | None) -> Result:
        """Every intermediate rounded to ``digits`` decimals, loss taken the long way (as by hand)."""
        if digits is None:
            return self.exact
        return self._run(("round", digits), lambda: HandWork(rounding=digits, exact_logits=False))

    def derivative_at(self, argument: str, digits: int | None = None) -> Result:
        """Activation derivatives evaluated at the activation ('act') or with z as the output ('pre')."""
        def rule(node, i):
            op = node.op
            if op.name not in ACTIVATIONS or op.name == "identity":
                return None
            original = op.vjp(i)
            if argument == "act":
                return lambda g, out, z, **kw: original(g, op.forward(out, **kw), out, **kw)
            return lambda g, out, z, **kw: original(g, z, z, **kw)
        return self._run(("derivative", argument, digits),
                         lambda: HandWork(rounding=digits, vjp_for=rule, exact_logits=False))

    def updated_weights(self, digits: int | None = None) -> Result:
        """Deltas sent back through the weights after their update."""
        def swap(compiled):
            for nodes, layer in zip(compiled.layers, self.exact.layers):
                nodes.weights_used.value = np.nan_to_num(layer.weights.updated)
        return self._run(("updated", digits), lambda: HandWork(rounding=digits, before_backward=swap))

    def without_output(self, unit: int, digits: int | None = None) -> Result:
        """Backward pass with the path through output ``unit`` left out."""
        compiled = []

        def drop(node):
            if compiled and node is compiled[0].layers[-1].pre:
                kept = np.array(node.grad, dtype=float, copy=True)
                kept[:, unit] = 0.0
                node.grad = kept
        return self._run(("without", unit, digits),
                         lambda: HandWork(rounding=digits, before_backward=compiled.append, on_grad=drop))

    def terms(self) -> list[tuple[int, tuple[int, int], str]]:
        """Every weighted term of every unit's sum in a layered network: (layer, entry, description)."""
        n, network = self.problem.notation, self.problem.network
        found = []
        for l, layer in enumerate(network.layers, start=1):
            entries = layer.weights
            offsets = (0, 1) if network.folded_bias and network.orientation == "in_out" else \
                (1, 0) if network.folded_bias else (1, 1)
            for position in np.ndindex(entries.values.shape):
                if entries.absent is not None and entries.absent[position]:
                    continue
                unit = position[0] if network.orientation == "out_in" else position[1]
                label = "".join(str(p + o) for p, o in zip(position, offsets))
                found.append((l, position, f"a term left out of the sum for {n.pre}^({l})_{unit + 1}: "
                                           f"the one with {n.weight}^({l})_{label}"))
        return found[:MAX_TERMS]

    def without_term(self, layer: int, position: tuple[int, int], digits: int | None = None) -> Result:
        """A layered network worked with one weighted term of one unit's sum left out, both ways."""
        def drop(kind, where, node):
            if kind == "weights" and where == layer:
                values = np.array(node.value, dtype=float, copy=True)
                values[position] = 0.0
                node.value = values
        return self._run(("term", layer, position, digits), lambda: HandWork(rounding=digits, on_value=drop))

    def graph_terms(self) -> list[tuple[str, int, str]]:
        """Every term of every named node that is a sum: (node, term position, description)."""
        found = []
        for spec in self.problem.nodes:
            terms = _terms(spec.expr)
            if len(terms) > 1:
                found += [(spec.name, i, f"a term left out of {spec.name} = {spec.text}: {term.source}")
                          for i, (term, _) in enumerate(terms)]
        return found[:MAX_TERMS]

    def without_graph_term(self, name: str, position: int) -> Result:
        """A computation graph worked with one term of one node's sum left out."""
        def rewrite(node_name, expr):
            if node_name != name:
                return expr
            kept = [(t, sign) for i, (t, sign) in enumerate(_terms(expr)) if i != position]
            result = kept[0][0] if kept[0][1] > 0 else Expr("op", "neg", [kept[0][0]])
            for term, sign in kept[1:]:
                result = Expr("op", "add" if sign > 0 else "sub", [result, term])
            return result
        return self._run(("graph-term", name, position), lambda: HandWork(formula_for=rewrite))

    def shared_edges(self) -> list[tuple[int, str]]:
        """Edges of a computation graph along which a value used more than once gets its gradient,
        as (position in the backward pass, description)."""
        if "edges" not in self._cache:
            seen: list[tuple[Node, Node]] = []
            solve(self.problem, HandWork(vjp_for=lambda node, i: seen.append((node, node.inputs[i]))))
            uses = Counter(id(parent) for _, parent in seen)
            self._cache["edges"] = [
                (k, f"the path from {parent.label or 'an intermediate value'} through "
                    f"{node.label or node.op.name} left out of the sum")
                for k, (node, parent) in enumerate(seen) if uses[id(parent)] > 1][:MAX_EDGES]
        return self._cache["edges"]

    def without_edge(self, position: int) -> Result:
        """The computation graph worked with the gradient along one edge dropped (edges are counted in
        the order the backward pass meets them, the same in every run of one problem)."""
        def work() -> HandWork:
            calls = 0

            def rule(node, i):
                nonlocal calls
                calls += 1
                if calls - 1 == position:
                    return lambda g, out, *values, **attrs: np.zeros(np.shape(values[i]))
                return None
            return HandWork(vjp_for=rule)
        return self._run(("edge", position), work)

    def carried(self, answers: list[Answer], digits: int | None = None) -> Result:
        """The problem worked on from the student's own written values (and rounded, with ``digits``)."""
        key = ("carried", tuple(id(a) for a in answers), digits)
        forward = [a for a in answers if a.address.kind in ("pre", "act", "node")]
        backward = [a for a in answers if a.address.kind in GRADIENTS]
        compiled = []

        def on_value(kind, where, node):
            for a in forward:
                if (a.address.kind, a.address.name if kind == "node" else a.address.layer) == (kind, where):
                    node.value = _substitute(node.value, a, self.problem, rows=kind != "node")

        def on_grad(node):
            for a in backward:
                if node is _grad_node(compiled[0], a.address, self.problem):
                    node.grad = _substitute(node.grad, a, self.problem, rows=a.address.kind in ("grad_act", "delta"))
        return self._run(key, lambda: HandWork(rounding=digits, on_value=on_value,
                                                before_backward=compiled.append, on_grad=on_grad))


def _size_of(result) -> int:
    """How many values one run holds."""
    if hasattr(result, "layers"):
        return sum(layer.pre.size + layer.weights.value.size for layer in result.layers)
    return sum(value.value.size for value in result.nodes)


def _terms(expr: Expr, sign: int = 1) -> list[tuple[Expr, int]]:
    """The terms of a formula's top-level sum, each with its sign."""
    if expr.kind == "op" and expr.value in ("add", "sub"):
        left, right = expr.args
        return _terms(left, sign) + _terms(right, sign if expr.value == "add" else -sign)
    return [(expr, sign)]


def _grad_node(compiled, address: Address, problem: Problem):
    if isinstance(compiled, dict):  # a computation graph: its named nodes
        return compiled[address.name]
    if address.kind == "shared_grad":
        return compiled.shared
    nodes = compiled.layers[address.layer - 1]
    return {"grad_act": nodes.act, "delta": nodes.pre, "weights_grad": nodes.weights,
            "bias_grad": nodes.bias}[address.kind]


def _substitute(values: np.ndarray, answer: Answer, problem: Problem, rows: bool) -> np.ndarray:
    """``values`` with the written answer put in its place (per-sample kinds are rows of samples)."""
    values = np.array(values, dtype=float, copy=True)
    written = answer.written
    address = answer.address
    if address.kind == "shared_grad" and isinstance(problem, Problem):
        values[[p.name for p in problem.shared].index(address.name)] = written
        return values
    if rows:
        full = np.full(shape_of(address.kind, address.layer, problem), np.nan)
        if address.index is None:
            full = written.reshape(full.shape)
        else:
            full[address.index] = written
        if full.ndim == 1:
            full = full[None, :]
        elif problem.samples_are == "columns":
            full = full.T
        return np.where(np.isnan(full), values, full)
    if address.index is None:
        return np.where(np.isnan(written), values, written)
    values[address.index] = written
    return values


LOOSE = 0.3  # a mistake still counts as the likely cause within 30% when nothing fits exactly
MARGIN = 0.5  # ... and when it is at least twice as close as the exact value


def diagnose(answer: Answer, variants: Variants, digits: list[int], carried: Result | None = None,
             acceptable: list[Result] = (), loose: bool = True) -> str | None:
    """The usual mistake that best reproduces the written answer, in words; None if none does.

    Each mistake is tried on the exact run, on runs rounded to ``digits`` decimals at every step, and
    on the run carried forward from the student's earlier values; then an arithmetic slip in one
    factor; then, loosely, the nearest mistake (other slips or rounding on top of it).
    """
    from .checker import matches
    bases = [(None, variants.exact, "")]
    bases += [(d, variants.rounded(d), f" (with every step rounded to {d} decimals)") for d in digits]
    if carried is not None:
        bases.append((None, carried, " (given your earlier values)"))
    nearest = None
    for rounding, base, note in bases:
        for reason, value, loosely in _candidates(answer, base, variants, rounding, variable=base is not carried):
            if value is None or not np.all(np.isfinite(np.nan_to_num(value, nan=0.0))):
                continue
            if matches(answer, value):
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
    from .checker import matches
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
        samples, outputs = problem.targets.shape if isinstance(problem, Problem) else (1, _size(problem.target))
        for count, what in ((samples, "samples"), (outputs, "outputs")):
            if count > 2:
                yield f"off by a factor {count}: sum and mean over the {what} confused", exact * count
                yield f"off by a factor 1/{count}: sum and mean over the {what} confused", exact / count
        if problem.loss is not None and problem.loss.kind != "squared_error":
            yield "log base 10 used instead of the natural log", exact / math.log(10)
    yield from _transposed(answer, exact, result)
    yield from _other_elements(answer, result, problem)
    if variable and not isinstance(problem, Problem) and kind not in ("input", "shared"):
        for name, position, reason in variants.graph_terms():
            yield reason, lookup(address, variants.without_graph_term(name, position))
    if kind in GRADIENTS and variable and not isinstance(problem, Problem):
        for position, reason in variants.shared_edges():
            yield reason, lookup(address, variants.without_edge(position))
    if variable and isinstance(problem, Problem) and kind not in ("input", "weights", "bias", "shared"):
        for layer, position, reason in variants.terms():
            yield reason, lookup(address, variants.without_term(layer, position, digits))
    if kind in LAYERED and variable and isinstance(problem, Problem):
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
    if not isinstance(problem, Problem) or address.kind.startswith("shared"):
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
