"""Variant runs: one problem worked again the way a hand calculation may have gone.

Rounded at every step, worked on from the student's own written values, with an activation
derivative taken at the wrong argument, with deltas sent back through already-updated weights, with one
output's path, one term of a sum or one edge of a graph left out. Each run is ``solver.solve`` with a
``HandWork`` and is computed once per problem.
"""

from __future__ import annotations

from collections import Counter
from typing import Callable

import numpy as np

from .address import Address, shape_of
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
    if not result.problem.is_graph:
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
    if address.kind == "shared_grad" and not problem.is_graph:
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
