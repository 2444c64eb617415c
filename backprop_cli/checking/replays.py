"""Replays: one problem worked again the way a hand calculation may have gone.

Every replay is the recorded computation run by a ``HandInterpreter``: rounded at every step, worked
on from the student's own written values, with an activation derivative taken at the wrong argument,
with deltas sent back through already-updated weights, with one output's path, one term of a sum or
one edge of a graph left out. Each replay of a problem is computed once.
"""

from __future__ import annotations

from collections import Counter
from typing import Callable, Hashable

import numpy as np

from ..engine import cost
from ..engine.formula import Expr
from ..engine.ops import ACTIVATIONS
from ..engine.tape import Interpreter, Step, Tape
from ..read.addresses import Address
from ..read.answers import Answer
from ..solving.kinds import kind_of

MAX_REPLAY_VALUES = 200_000  # above this many values, no replays (time and memory)
MAX_REPLAY_SECONDS = 3.0  # estimated time all replays of one file may take
MAX_CANDIDATES = 40_000  # values of mistakes compared with written answers in one file
MAX_EDGES = 40  # paths tried in one computation graph
MAX_TERMS = 64  # terms tried in one layered network
GRADIENTS = ("grad_act", "delta", "weights_grad", "bias_grad", "shared_grad", "node_grad", "input_grad")
LAYERED = ("grad_act", "delta", "weights_grad", "bias_grad", "shared_grad")  # worked differently layer by layer
CARRIED = ("pre", "act", "node", *GRADIENTS)

Edit = Callable[[np.ndarray], np.ndarray]
Rule = Callable[[Step, int], Callable | None]


def can_carry(address: Address) -> bool:
    """Whether a wrong written value of this kind can be carried into what follows."""
    return address.kind in CARRIED


class HandInterpreter(Interpreter):
    """The recorded computation worked as a hand calculation may have gone.

    ``digits`` rounds every computed value, every term of a gradient and every update; ``values``
    and ``grads`` change the value or gradient of a labelled slot; ``rules`` may swap a step's
    gradient rule; ``backward_values`` are values the backward pass uses instead of the forward ones.
    """

    def __init__(self, program, digits: int | None = None, values: dict[Hashable, Edit] | None = None,
                 grads: dict[Hashable, Edit] | None = None, rules: Rule | None = None,
                 backward_values: dict[Hashable, np.ndarray] | None = None):
        tape: Tape = program.tape
        super().__init__(tape)
        self.rounded = set() if digits is None else {s.out for s in tape.steps if not s.op.moves}
        self.digits = digits
        self.edits = {tape.slots[label]: edit for label, edit in (values or {}).items() if label in tape.slots}
        self.grad_edits = {tape.slots[label]: edit for label, edit in (grads or {}).items() if label in tape.slots}
        self.rules = rules
        self.backward_values = {tape.slots[label]: v for label, v in (backward_values or {}).items()}
        if digits is not None:
            self.contribution = self.round
            self.update = self.round
        if self.grad_edits:
            self.gradient = self._edit_gradient

    def round(self, values: np.ndarray) -> np.ndarray:
        return np.round(values, self.digits)

    def value(self, slot: int, value: np.ndarray) -> np.ndarray:
        if slot in self.rounded:
            value = np.round(value, self.digits)
        edit = self.edits.get(slot)
        return value if edit is None else edit(value)

    def _edit_gradient(self, slot: int, grad: np.ndarray) -> np.ndarray:
        edit = self.grad_edits.get(slot)
        return grad if edit is None else edit(grad)

    def rule(self, step: Step, index: int):
        swapped = self.rules(step, index) if self.rules is not None else None
        return swapped or step.op.vjp(index)

    def run(self, root: int, leaves=None):
        values = self.forward(leaves)
        backward = list(values)
        for slot, value in self.backward_values.items():
            backward[slot] = value
        return values, self.backward(backward, root)


class Replays:
    """Replays of one problem for one set of answers, each computed once.

    ``shared`` keeps the replays that do not depend on the answers (rounded, a rule swapped, a term
    left out) for other sets of answers of the same problem, as the sheets of a class. Each set of
    answers is charged for every replay it uses, computed or kept, so that what a set is told does not
    depend on which sets came before it.
    """

    def __init__(self, problem, exact, shared: dict | None = None):
        self.problem, self.exact = problem, exact
        self.kind = kind_of(problem)
        self._cache: dict[object, object] = {}
        self._shared = self._cache if shared is None else shared
        self.large = self.kind.size(exact) > MAX_REPLAY_VALUES
        self.exhausted = False  # some replay was skipped: the time allowed for them was spent
        if self.large:
            self._seconds_each = 0.0
        else:
            if "seconds each" not in self._shared:
                self._shared["seconds each"] = cost.tape_seconds(self.kind.compile(problem).tape, 2)
            self._seconds_each = self._shared["seconds each"]
        self._charged: set = set()
        self._seconds = 0.0
        self._candidates = 0

    def _run(self, key: tuple, by_hand: bool = False, rewrite=None, **how):
        """The first step worked by a HandInterpreter configured by ``how``."""
        if self.large:  # too big to work again and again: only the exact run is compared
            return self.exact
        if key not in self._charged:
            if self._seconds + self._seconds_each > MAX_REPLAY_SECONDS:
                self.exhausted = True
                return self.exact
            self._seconds += self._seconds_each
            self._charged.add(key)
        cache = self._cache if key[0] == "carried" else self._shared
        if key not in cache:
            cache[key] = self.kind.replay(self.problem, lambda program: HandInterpreter(program, **how),
                                          by_hand=by_hand, rewrite=rewrite)
        return cache[key]

    def spend_candidate(self) -> bool:
        """Count one mistake's value compared with an answer; False once the file's allowance is spent."""
        self._candidates += 1
        if self._candidates > MAX_CANDIDATES:
            self.exhausted = True
            return False
        return True

    def rounded(self, digits: int | None):
        """Every intermediate rounded to ``digits`` decimals, loss taken the long way (as by hand)."""
        if digits is None:
            return self.exact
        return self._run(("round", digits), by_hand=True, digits=digits)

    def derivative_at(self, argument: str, digits: int | None = None):
        """Activation derivatives evaluated at the activation ('act') or with z as the output ('pre')."""
        def rule(step: Step, index: int):
            op = step.op
            if op.name not in ACTIVATIONS or op.name == "identity":
                return None
            original = op.vjp(index)
            if argument == "act":
                return lambda g, out, z, **kw: original(g, op.forward(out, **kw), out, **kw)
            return lambda g, out, z, **kw: original(g, z, z, **kw)
        return self._run(("derivative", argument, digits), by_hand=True, digits=digits, rules=rule)

    def updated_weights(self, digits: int | None = None):
        """Deltas sent back through the weights after their update."""
        swapped = {("weights", layer.index): np.nan_to_num(layer.weights.updated) for layer in self.exact.layers}
        return self._run(("updated", digits), digits=digits, backward_values=swapped)

    def without_output(self, unit: int, digits: int | None = None):
        """Backward pass with the path through output ``unit`` left out."""
        def drop(grad):
            kept = np.array(grad, dtype=float, copy=True)
            kept[:, unit] = 0.0
            return kept
        last = len(self.problem.network.layers)
        return self._run(("without", unit, digits), digits=digits, grads={("pre", last): drop})

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
                if len(found) == MAX_TERMS:
                    return found
        return found

    def without_term(self, layer: int, position: tuple[int, int], digits: int | None = None):
        """A layered network worked with one weighted term of one unit's sum left out, both ways."""
        def drop(values):
            values = np.array(values, dtype=float, copy=True)
            values[position] = 0.0
            return values
        return self._run(("term", layer, position, digits), digits=digits, values={("weights", layer): drop})

    def graph_terms(self) -> list[tuple[str, int, str]]:
        """Every term of every named node that is a sum: (node, term position, description)."""
        found = []
        for spec in self.problem.nodes:
            terms = _terms(spec.expr)
            if len(terms) > 1:
                found += [(spec.name, i, f"a term left out of {spec.name} = {spec.text}: {term.source}")
                          for i, (term, _) in enumerate(terms)]
            if len(found) >= MAX_TERMS:
                return found[:MAX_TERMS]
        return found

    def without_graph_term(self, name: str, position: int):
        """A computation graph worked with one term of one node's sum left out."""
        def rewrite(node_name, expr):
            if node_name != name:
                return expr
            kept = [(t, sign) for i, (t, sign) in enumerate(_terms(expr)) if i != position]
            result = kept[0][0] if kept[0][1] > 0 else Expr("op", "neg", [kept[0][0]])
            for term, sign in kept[1:]:
                result = Expr("op", "add" if sign > 0 else "sub", [result, term])
            return result
        return self._run(("graph-term", name, position), rewrite=rewrite)

    def shared_edges(self) -> list[tuple[tuple[int, int], str]]:
        """Edges of a computation graph along which a value used more than once gets its gradient,
        as ((step's output slot, input), description), in the order the backward pass meets them."""
        if "edges" not in self._shared:
            tape = self.kind.compile(self.problem).tape
            root = tape.slots[("objective",)]
            edges = [(tape.steps[k], i) for k in reversed(tape.needed(root))
                     for i, slot in enumerate(tape.steps[k].inputs) if tape.trainable[slot]]
            uses = Counter(step.inputs[i] for step, i in edges)

            def name(slot: int) -> str:
                label = tape.labels.get(slot)
                return label[1] if label else ""
            self._shared["edges"] = [
                ((step.out, i), f"the path from {name(step.inputs[i]) or 'an intermediate value'} through "
                                f"{name(step.out) or step.op.name} left out of the sum")
                for step, i in edges if uses[step.inputs[i]] > 1][:MAX_EDGES]
        return self._shared["edges"]

    def without_edge(self, edge: tuple[int, int]):
        """The computation graph worked with the gradient along one edge, (step, input), dropped."""
        out, index = edge

        def dropped(step: Step, i: int):
            if step.out == out and i == index:
                return lambda g, result, *values, **attrs: np.zeros(np.shape(values[index]))
            return None
        return self._run(("edge", edge), rules=dropped)

    def carried(self, answers: list[Answer], digits: int | None = None):
        """The problem worked on from the student's own written values (and rounded, with ``digits``)."""
        key = ("carried", tuple(id(a) for a in answers), digits)
        if key in self._cache or self.large:
            return self._run(key)
        values, grads = {}, {}
        for answer in answers:
            address = answer.address
            label, entry = self.kind.slot(address, self.problem)
            edits = grads if address.kind in GRADIENTS else values
            rows = address.kind in ("pre", "act", "grad_act", "delta")
            edits[label] = _chain(edits.get(label), _put(answer, self.problem, entry, rows))
        return self._run(key, digits=digits, values=values, grads=grads)


def _terms(expr: Expr, sign: int = 1) -> list[tuple[Expr, int]]:
    """The terms of a formula's top-level sum, each with its sign."""
    if expr.kind == "op" and expr.value in ("add", "sub"):
        left, right = expr.args
        return _terms(left, sign) + _terms(right, sign if expr.value == "add" else -sign)
    return [(expr, sign)]


def _chain(first: Edit | None, then: Edit) -> Edit:
    return then if first is None else (lambda values: then(first(values)))


def _put(answer: Answer, problem, entry: int | None, rows: bool) -> Edit:
    """An edit that puts the written answer in its place: at ``entry`` of the slot when given, else
    where the address points (per-sample kinds are rows of samples)."""
    written, address = answer.written, answer.address

    def edit(values: np.ndarray) -> np.ndarray:
        values = np.array(values, dtype=float, copy=True)
        if entry is not None:
            values[entry] = written
            return values
        if rows:
            full = np.full(address.shape, np.nan)
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
    return edit
