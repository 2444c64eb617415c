"""Replays: one problem worked again the way a hand calculation may have gone.

Every replay is the recorded computation run by a ``HandInterpreter``. A ``Way`` says how the
student worked: from their own earlier written values, rounded (every step to one number of
decimals, or each kind of quantity to the decimals they kept for it). A change on top of it is one
mistake made in one place: a derivative rule swapped in one layer, deltas sent back through already
updated weights, one term of a sum left out, one edge of a graph dropped. Each replay is computed once.
"""

from __future__ import annotations

from collections import Counter
from typing import Callable, Hashable, NamedTuple

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
MAX_DECIMALS = 8  # a student who kept more decimals than this is treated as exact
GRADIENTS = ("grad_act", "delta", "weights_grad", "bias_grad", "shared_grad", "node_grad", "input_grad")
LAYERED = ("grad_act", "delta", "weights_grad", "bias_grad", "shared_grad")  # worked differently layer by layer
CARRIED = ("pre", "act", "node", *GRADIENTS)
# What the value and the gradient of each labelled slot are called in addresses.
SLOT_KINDS = {"pre": ("pre", "delta"), "act": ("act", "grad_act"), "W": (None, "weights_grad"),
              "b": (None, "bias_grad"), "shared": (None, "shared_grad"), "objective": ("loss", None),
              "node": ("node", "node_grad"), "input": (None, "input_grad"), "param": (None, "shared_grad")}
UPDATED = ("weights_updated", "bias_updated", "shared_updated")
STEP_WORDS = {"mul": "a product", "add": "a sum", "sub": "a difference", "div": "a quotient", "neg": "a negation",
              "matmul": "a matrix product", "pow": "a power", "square": "a square"}  # unnamed steps of a graph

Edit = Callable[[np.ndarray], np.ndarray]
Rule = Callable[[Step, int], Callable | None]
Digits = int | tuple[tuple[str, int], ...] | None  # every step, or (kind, decimals) per kind, or exact


def can_carry(address: Address) -> bool:
    """Whether a wrong written value of this kind can be carried into what follows (in the first step)."""
    return address.kind in CARRIED and not address.after


class Way(NamedTuple):
    """How a hand calculation was worked, mistakes aside: from which earlier written answers, and rounded
    how (None: exact; an int: every step to that many decimals; (kind, decimals) pairs: each kind of
    quantity to the decimals the student kept for it)."""

    answers: tuple[Answer, ...] = ()
    digits: Digits = None

    @property
    def key(self) -> tuple:
        return tuple(id(a) for a in self.answers), self.digits

    def words(self) -> str:
        """How the way is said after a reason."""
        parts = []
        if self.answers:
            parts.append("given your earlier values")
        if isinstance(self.digits, int):
            parts.append(f"with every step rounded to {self.digits} decimals")
        elif self.digits:
            parts.append("rounded as you rounded")
        return f" ({', '.join(parts)})" if parts else ""


def kept_decimals(answers) -> tuple[tuple[str, int], ...]:
    """For each kind of quantity written, the most decimals written for it (the precision kept)."""
    kept: dict[str, int] = {}
    for answer in answers:
        written = np.atleast_1d(answer.written)
        places = np.atleast_1d(answer.decimals)[~np.isnan(written) & (written != 0)]  # "0.0" tells nothing
        if places.size:
            kept[answer.address.kind] = max(kept.get(answer.address.kind, 0), int(places.max()))
    return tuple(sorted((kind, min(places, MAX_DECIMALS)) for kind, places in kept.items()))


class HandInterpreter(Interpreter):
    """The recorded computation worked as a hand calculation may have gone.

    ``rounding`` maps slots to the decimals their values (``values``) and gradients (``grads``) are
    rounded to, and gives the decimals of every term of a gradient (``terms``) and of every update;
    ``values`` and ``grads`` change the value or gradient of a labelled slot; ``rules`` may swap a
    step's gradient rule; ``backward_values`` are values the backward pass uses instead of the forward ones;
    ``forward_values``, a forward pass worked already the same way, is used instead of working it again.
    """

    def __init__(self, program, rounding: "Rounding | None" = None, values: dict[Hashable, Edit] | None = None,
                 grads: dict[Hashable, Edit] | None = None, rules: Rule | None = None,
                 backward_values: dict[Hashable, np.ndarray] | None = None, forward_values: list | None = None):
        tape: Tape = program.tape
        super().__init__(tape)
        rounding = rounding or Rounding()
        self.value_places, self.grad_places = rounding.values, rounding.grads
        self.edits = {tape.slots[label]: edit for label, edit in (values or {}).items() if label in tape.slots}
        self.grad_edits = {tape.slots[label]: edit for label, edit in (grads or {}).items() if label in tape.slots}
        self.rules = rules
        self.backward_values = {tape.slots[label]: v for label, v in (backward_values or {}).items()}
        self.values = forward_values  # the forward pass, when it is known already
        if rounding.terms is not None:
            self.contribution = lambda values: np.round(values, rounding.terms)
        if rounding.updates is not None:
            self.update = lambda values: np.round(values, rounding.updates)
        if self.grad_edits or self.grad_places:
            self.gradient = self._edit_gradient

    def value(self, slot: int, value: np.ndarray) -> np.ndarray:
        return _as_worked(value, self.value_places.get(slot), self.edits.get(slot))

    def _edit_gradient(self, slot: int, grad: np.ndarray) -> np.ndarray:
        return _as_worked(grad, self.grad_places.get(slot), self.grad_edits.get(slot))

    def swaps_rules(self) -> bool:
        return self.rules is not None

    def rule(self, step: Step, index: int):
        swapped = self.rules(step, index) if self.rules is not None else None
        return swapped or step.op.vjp(index)

    def run(self, root: int, leaves=None):
        values = self.values = self.values if self.values is not None and not leaves else self.forward(leaves)
        backward = list(values)
        for slot, value in self.backward_values.items():
            backward[slot] = value
        return values, self.backward(backward, root)


def wrong_derivative(op, form: str) -> Callable:
    """An activation's VJP worked the wrong way ``form`` (see ``Replays._derivative``)."""
    original = op.vjp(0)
    if form == "dropped":
        return lambda g, out, z, **kw: g
    if form == "activation":
        return lambda g, out, z, **kw: g * out
    if form == "at_act":
        return lambda g, out, z, **kw: original(g, op.forward(out, **kw), out, **kw)
    return lambda g, out, z, **kw: original(g, z, z, **kw)


def _as_worked(value: np.ndarray, places: int | None, edit: Edit | None) -> np.ndarray:
    """A value rounded to ``places`` (if given), then changed by ``edit`` (if given)."""
    if places is not None:
        value = np.round(value, places)
    return value if edit is None else edit(value)


class Rounding(NamedTuple):
    """Decimals a replay rounds to: per slot for values and gradients, for terms and for updates."""

    values: dict[int, int] = {}
    grads: dict[int, int] = {}
    terms: int | None = None
    updates: int | None = None

    @classmethod
    def of(cls, tape: Tape, digits: Digits) -> "Rounding | None":
        if digits is None:
            return None
        if isinstance(digits, int):  # every computed value, every term of a gradient, every update
            return cls({s.out: digits for s in tape.steps if not s.op.moves}, {}, digits, digits)
        kept = dict(digits)
        values, grads = {}, {}
        for label, slot in tape.slots.items():
            value_kind, grad_kind = SLOT_KINDS.get(label[0], (None, None))
            if value_kind in kept:
                values[slot] = kept[value_kind]
            if grad_kind in kept:
                grads[slot] = kept[grad_kind]
        updates = [kept[kind] for kind in UPDATED if kind in kept]
        return cls(values, grads, None, max(updates) if updates else None)


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
        self._charged: set = set()
        self._seconds = 0.0
        self._candidates = 0

    def program(self, by_hand: bool = False):
        """The problem recorded once (``by_hand``: the loss taken from the output activation)."""
        key = ("program", by_hand)
        if key not in self._shared:
            self._shared[key] = self.kind.parts().record(self.problem, by_hand=by_hand)
        return self._shared[key]

    def run(self, way: Way = Way(), change: tuple = ()):
        """The first step worked the given way, with one mistake (``change``) made on top of it."""
        if not way.answers and way.digits is None and not change:
            return self.exact
        key = (way.key, change)
        if self.large:  # too big to work again and again: only the exact run is compared
            return self.exact
        if key not in self._charged:
            if "seconds each" not in self._shared:
                self._shared["seconds each"] = cost.tape_seconds(self.program(False).tape, 2)
            if self._seconds + self._shared["seconds each"] > MAX_REPLAY_SECONDS:
                self.exhausted = True
                return self.exact
            self._seconds += self._shared["seconds each"]
            self._charged.add(key)
        cache = self._cache if way.answers else self._shared
        if key not in cache:
            cache[key] = self._replay(way, change)
        return cache[key]

    def _replay(self, way: Way, change: tuple):
        how = self._change(way, change) if change else {}
        problem = how.pop("problem", self.problem)
        rewrite = how.pop("rewrite", None)
        by_hand = way.digits is not None or bool(way.answers) or "rules" in how  # worked as on a sheet
        program = self.program(by_hand) if problem is self.problem and rewrite is None else None
        # A change of the backward pass only starts from the forward values of the way it is made on.
        same_forward = program is not None and "values" not in how
        forward_key = ("forward", way.key, by_hand)
        cache = self._cache if way.answers else self._shared
        values, grads = dict(how.pop("values", {})), dict(how.pop("grads", {}))
        for answer in way.answers:
            address = answer.address
            label, entry = self.kind.slot(address, self.problem)
            edits = grads if address.kind in GRADIENTS else values
            rows = address.kind in ("pre", "act", "grad_act", "delta")
            edits[label] = _then(edits.get(label), _put(answer, self.problem, entry, rows))

        made = []

        def interpreter(recorded):
            worker = HandInterpreter(recorded, Rounding.of(recorded.tape, way.digits), values=values, grads=grads,
                                     forward_values=cache.get(forward_key) if same_forward else None, **how)
            made.append(worker)
            return worker
        result = self.kind.replay(problem, interpreter, by_hand=by_hand, rewrite=rewrite, program=program)
        if same_forward:
            cache[forward_key] = made[0].values
        return result

    def spend_candidate(self) -> bool:
        """Count one mistake's value compared with an answer; False once the file's allowance is spent."""
        self._candidates += 1
        if self._candidates > MAX_CANDIDATES:
            self.exhausted = True
            return False
        return True

    # -- the changes: one mistake in one place ------------------------------------------------------------

    def _change(self, way: Way, change: tuple) -> dict:
        """What the interpreter does differently for one mistake (see the methods that name them)."""
        what, *where = change
        if what == "stale":
            return self._stale(way, *where)
        return getattr(self, "_" + what.replace(" ", "_"))(*where)

    def _derivative(self, form: str, site: int | tuple | None) -> dict:
        """Activation derivatives worked the wrong way in one layer (``site`` its number), at one
        activation of a graph (``("slot", s)``, the slot of its result), or everywhere (None):
        ``dropped`` (g' left out), ``activation`` (g(z) used for g'(z)), ``at_act`` (g' taken at a),
        ``in_a_at_z`` (a formula in a, such as a(1 - a), fed z)."""
        if isinstance(site, int):
            pre = self.program(True).tape.slots[("pre", site)]
            here = lambda step: step.inputs[0] == pre  # noqa: E731
        elif site is not None:
            here = lambda step: step.out == site[1]  # noqa: E731
        else:
            here = lambda step: True  # noqa: E731

        def rule(step: Step, index: int):
            op = step.op
            if op.name not in ACTIVATIONS or op.name == "identity" or not here(step):
                return None
            return wrong_derivative(op, form)
        return {"rules": rule}

    def _stale(self, way: Way, layer: int) -> dict:
        """Deltas sent back through the weights of ``layer`` after their update (as updated that way)."""
        updated = np.nan_to_num(self.run(way).layers[layer - 1].weights.updated)
        return {"backward_values": {("weights", layer): updated}}

    def _path(self, layer: int, unit: int) -> dict:
        """The backward pass with the path through one unit of ``layer`` left out of the sums below it."""
        def drop(grad):
            kept = np.array(grad, dtype=float, copy=True)
            kept[:, unit] = 0.0
            return kept
        return {"grads": {("pre", layer): drop}}

    def _linear(self, layer: int) -> dict:
        """Layer ``layer`` worked without its activation (a = z), forward and backward."""
        network = self.problem.network
        layers = list(network.layers)
        identity = type(layers[layer - 1].activations[0])("identity", ())
        layers[layer - 1] = layers[layer - 1]._replace(activations=(identity,))
        return {"problem": self.problem._replace(network=network._replace(layers=tuple(layers)))}

    def _optimizer(self, *changes: tuple[str, object]) -> dict:
        """The first step taken with the optimizer's settings changed (name and value pairs)."""
        training = self.problem.training
        optimizer = training.optimizer._replace(**dict(changes))
        return {"problem": self.problem._replace(training=training._replace(optimizer=optimizer))}

    def _input_pre(self, layer: int) -> dict:
        """Weight gradients of ``layer`` taken with the previous layer's z instead of its a."""
        previous = self.exact.layers[layer - 2]
        return {"backward_values": {("act", layer - 1): previous.pre}}

    def _term(self, layer: int, position: tuple[int, int]) -> dict:
        """One weighted term of one unit's sum left out, forward and backward."""
        def drop(values):
            values = np.array(values, dtype=float, copy=True)
            values[position] = 0.0
            return values
        return {"values": {("weights", layer): drop}}

    def _graph_term(self, name: str, position: int) -> dict:
        """One term of one node's sum left out."""
        def rewrite(node_name, expr):
            if node_name != name:
                return expr
            kept = [(t, sign) for i, (t, sign) in enumerate(_terms(expr)) if i != position]
            result = kept[0][0] if kept[0][1] > 0 else Expr("op", "neg", [kept[0][0]])
            for term, sign in kept[1:]:
                result = Expr("op", "add" if sign > 0 else "sub", [result, term])
            return result
        return {"rewrite": rewrite}

    def _edge(self, out: int, index: int) -> dict:
        """The gradient along one edge of the graph, (step's output slot, input), dropped."""
        def dropped(step: Step, i: int):
            if step.out == out and i == index:
                return lambda g, result, *values, **attrs: np.zeros(np.shape(values[index]))
            return None
        return {"rules": dropped}

    # -- where the changes can be made ----------------------------------------------------------------------

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

    def shared_edges(self) -> list[tuple[tuple[int, int], str]]:
        """Edges of a computation graph along which a value used more than once gets its gradient,
        as ((step's output slot, input), description), in the order the backward pass meets them."""
        if "edges" not in self._shared:
            tape = self.program(False).tape
            root = tape.slots[("objective",)]
            edges = [(tape.steps[k], i) for k in reversed(tape.needed(root))
                     for i, slot in enumerate(tape.steps[k].inputs) if tape.trainable[slot]]
            uses = Counter(step.inputs[i] for step, i in edges)

            def name(slot: int) -> str:
                label = tape.labels.get(slot)
                return label[1] if label else ""
            self._shared["edges"] = [
                ((step.out, i), f"the path from {name(step.inputs[i]) or 'an intermediate value'} through "
                                f"{name(step.out) or STEP_WORDS.get(step.op.name, 'a ' + step.op.name)} "
                                "left out of the sum")
                for step, i in edges if uses[step.inputs[i]] > 1][:MAX_EDGES]
        return self._shared["edges"]


def _terms(expr: Expr, sign: int = 1) -> list[tuple[Expr, int]]:
    """The terms of a formula's top-level sum, each with its sign."""
    if expr.kind == "op" and expr.value in ("add", "sub"):
        left, right = expr.args
        return _terms(left, sign) + _terms(right, sign if expr.value == "add" else -sign)
    return [(expr, sign)]


def _then(first: Edit | None, then: Edit) -> Edit:
    return then if first is None else (lambda values: then(first(values)))


def _put(answer: Answer, problem, entry: int | None, rows: bool) -> Edit:
    """An edit that puts the written answer in its place: at ``entry`` of the slot when given, else
    where the address points (per-sample kinds are rows of samples)."""
    written, address = answer.written, answer.address
    if address.negated:  # a δ written in the −∂L/∂z convention goes in as ∂L/∂z
        written = -written

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
