"""A computation recorded once, then replayed by interpreters.

Recording (``Tape.leaf``, ``Tape.apply``) computes every value as it goes, so shapes and errors are
known at once. An ``Interpreter`` replays the steps, with new leaf values (training) or, in a
subclass, with one part done differently (a hand calculation: rounded, a rule swapped, a written
value put in), and walks them backwards once. Gradients always accumulate, so a value used in
several places receives the sum of its uses.

Replayed exactly more than once (training), a tape is planned: its forward pass (``Replay``) and its
backward pass from the root (``Descent``) become lists of the ops' own functions, looked up once and
their attributes bound, called on the same values in the same order, so they give the same numbers
bit for bit. Training takes them once (``Interpreter.repeated``), and from one step to the next
works again only the steps that depend on leaves it was given new arrays for.
"""

from __future__ import annotations

from functools import partial
from operator import itemgetter
from typing import Any, Callable, Hashable, NamedTuple

import numpy as np

from .ops import OPS, Op

Array = np.ndarray


class Step(NamedTuple):
    """One recorded op: its inputs and output as slots of the tape."""

    op: Op
    inputs: tuple[int, ...]
    attrs: dict[str, Any]
    out: int


class Tape:
    """Slots (leaves, then each step's result) with the values recorded, and the steps in order."""

    def __init__(self) -> None:
        self.values: list[Array] = []
        self.trainable: list[bool] = []  # the slot depends on a parameter
        self.parameters: list[int] = []  # slots of the parameter leaves
        self.leaves: list[int] = []  # slots of every leaf
        self.steps: list[Step] = []
        self.slots: dict[Hashable, int] = {}  # label -> slot
        self.labels: dict[int, Hashable] = {}  # slot -> label
        self._needed: dict[int, list[int]] = {}
        self._asked: set[Hashable] = set()  # plans asked for (``replay``, ``descent``), until the tape grows
        self._plans: dict[Hashable, Any] = {}  # and those made, on their second asking

    def leaf(self, value: Any, trainable: bool = False, label: Hashable = None) -> int:
        """A constant (data, targets, masks), or a parameter whose gradient is wanted."""
        slot = len(self.values)
        self._grown()
        self.values.append(np.asarray(value, dtype=float))
        self.trainable.append(trainable)
        self.leaves.append(slot)
        if trainable:
            self.parameters.append(slot)
        if label is not None:
            self.label(slot, label)
        return slot

    def apply(self, op_name: str, *inputs: int, label: Hashable = None, **attrs: Any) -> int:
        """Compute an op on slots now and record it."""
        op = OPS[op_name]
        with np.errstate(all="ignore"):
            value = op.forward(*(self.values[i] for i in inputs), **attrs)
        slot = len(self.values)
        self._grown()
        self.values.append(np.asarray(value, dtype=float))
        self.trainable.append(any(self.trainable[i] for i in inputs))
        self.steps.append(Step(op, inputs, attrs, slot))
        if label is not None:
            self.label(slot, label)
        return slot

    def label(self, slot: int, label: Hashable) -> None:
        """Name a slot, so that results and replays can find it."""
        self.slots[label] = slot
        self.labels[slot] = label

    def needed(self, root: int) -> list[int]:
        """Indices of the steps the root depends on through a parameter, in recorded order."""
        if root not in self._needed:
            wanted = {root}
            found = []
            for k in range(len(self.steps) - 1, -1, -1):
                step = self.steps[k]
                if step.out in wanted and self.trainable[step.out]:
                    found.append(k)
                    wanted.update(i for i in step.inputs if self.trainable[i])
            self._needed[root] = found[::-1]
        return self._needed[root]

    def replay(self, now: bool = False) -> "Replay | None":
        """The forward pass planned for the exact interpreter, from the second time it is asked for
        on (``now``: at once); None the first time (a tape worked once is not worth planning)."""
        return self._plan("forward", now, Replay)

    def descent(self, root: int, wanted: frozenset[int] | None = None, now: bool = False) -> "Descent | None":
        """The backward pass from ``root`` planned for the exact interpreter, as ``replay``; with
        ``wanted``, only towards those leaves (the others' gradients are left out)."""
        return self._plan((root, wanted), now, Descent, root, wanted)

    def _plan(self, key: Hashable, now: bool, build: Callable, *args: Any):
        plan = self._plans.get(key)
        if plan is None:
            if key not in self._asked and not now:
                self._asked.add(key)
                return None
            plan = self._plans[key] = build(self, *args)
        return plan

    def _grown(self) -> None:
        if self._needed or self._asked:
            self._needed.clear()
            self._asked.clear()
            self._plans.clear()


Hook = Callable[..., Any]


class Interpreter:
    """Evaluates a tape exactly. Subclasses override the hooks to model another way of working it:

    ``value(slot, value)`` sees every leaf and result as it is set and may change it;
    ``rule(step, index)`` gives the VJP used for one input of a step;
    ``gradient(slot, grad)`` sees a slot's gradient once it is complete, before it flows on;
    ``contribution(grad)`` sees each term that is added into a gradient;
    ``update(value)`` sees each parameter value after a training step.

    Without a hook or a swapped rule, the tape's plans (``Replay``, ``Descent``) do the work:
    the same operations in the same order, without looking anything up again at each replay.
    """

    value: Hook | None = None
    gradient: Hook | None = None
    contribution: Hook | None = None
    update: Hook | None = None

    def __init__(self, tape: Tape):
        self.tape = tape

    def swaps_rules(self) -> bool:
        """Whether ``rule`` may give another VJP than the op's own (else the op's own is used directly)."""
        return type(self).rule is not Interpreter.rule

    def rule(self, step: Step, index: int):
        return step.op.vjp(index)

    def exact(self) -> bool:
        """Whether the tape is worked as recorded: no hook that sees values or gradients, no rule swapped."""
        return (self.value is None and self.gradient is None and self.contribution is None
                and not self.swaps_rules())

    def forward(self, leaves: dict[int, Array] | None = None) -> list[Array]:
        """Every slot's value, leaves taken from ``leaves`` where given, else as recorded."""
        replay = self.tape.replay() if self.exact() else None
        if replay is not None:
            with np.errstate(all="ignore"):
                return replay.forward(leaves)
        return self._forward(leaves)

    def run(self, root: int, leaves: dict[int, Array] | None = None,
            wanted: frozenset[int] | None = None) -> tuple[list[Array], list[Array | None]]:
        """A forward pass, then the backward pass from ``root``: (values, gradients). ``wanted``, the
        leaves whose gradients are needed, lets a planned pass leave the others out (None: every one)."""
        kind = type(self)
        if kind.forward is not Interpreter.forward or kind.backward is not Interpreter.backward:
            values = self.forward(leaves)
            return values, self.backward(values, root)
        exact = self.exact()
        replay = self.tape.replay() if exact else None
        descent = self.tape.descent(root, wanted) if exact else None
        with np.errstate(all="ignore"):  # once for the whole step
            values = self._forward(leaves) if replay is None else replay.forward(leaves)
            return values, self._backward(values, root) if descent is None else descent.backward(values)

    def repeated(self, root: int, wanted: frozenset[int] | None = None) -> Callable[[dict[int, Array]], Any]:
        """The pass training repeats at every step, ``leaves -> run(root, leaves, wanted)``, looked up
        once. For the exact interpreter it is the tape's plans themselves, made now, the forward pass
        made ``again`` (``Replay.forward``); call it inside ``np.errstate``. It serves while the tape
        does not grow and the interpreter's hooks stay as they are."""
        kind = type(self)
        if kind.run is not Interpreter.run:
            return lambda leaves: self.run(root, leaves)
        if kind.forward is not Interpreter.forward or kind.backward is not Interpreter.backward or not self.exact():
            return lambda leaves: self.run(root, leaves, wanted)
        replay, descent = self.tape.replay(now=True), self.tape.descent(root, wanted, now=True)
        forward, backward = replay.forward, descent.backward

        def step(leaves: dict[int, Array]) -> tuple[list[Array], list[Array | None]]:
            values = forward(leaves, True)
            return values, backward(values)
        return step

    def backward(self, values: list[Array], root: int, seed: Any = 1.0) -> list[Array | None]:
        """d(root)/d(slot) for every slot the root depends on through a parameter (None elsewhere)."""
        descent = self.tape.descent(root) if self.exact() else None
        if descent is not None:
            with np.errstate(all="ignore"):
                return descent.backward(values, seed)
        return self._backward(values, root, seed)

    def _forward(self, leaves: dict[int, Array] | None) -> list[Array]:
        tape = self.tape
        values = list(tape.values)
        if leaves:
            for slot, value in leaves.items():
                values[slot] = value
        hook = self.value
        if hook is not None:
            for slot in tape.leaves:
                values[slot] = hook(slot, values[slot])
        with np.errstate(all="ignore"):
            for op, inputs, attrs, out in tape.steps:
                result = op.forward(*[values[i] for i in inputs], **attrs)
                values[out] = result if hook is None else hook(out, np.asarray(result, dtype=float))
        return values

    def _backward(self, values: list[Array], root: int, seed: Any = 1.0) -> list[Array | None]:
        tape = self.tape
        trainable = tape.trainable
        grads: list[Array | None] = [None] * len(values)
        grads[root] = _seed(seed, np.shape(values[root]))
        on_grad, add = self.gradient, self.contribution
        custom_rules = self.swaps_rules()
        with np.errstate(all="ignore"):
            for k in reversed(tape.needed(root)):
                op, inputs, attrs, out = tape.steps[k]
                g = grads[out]
                if g is None:
                    continue
                if on_grad is not None:
                    g = grads[out] = on_grad(out, g)
                args = [values[i] for i in inputs]
                for index, slot in enumerate(inputs):
                    if not trainable[slot]:
                        continue
                    rule = self.rule(tape.steps[k], index) if custom_rules else op.vjp(index)
                    term = rule(g, values[out], *args, **attrs)
                    if add is not None:
                        term = add(term)
                    grads[slot] = term if grads[slot] is None else grads[slot] + term
            if on_grad is not None:
                for slot in tape.parameters:
                    if grads[slot] is not None:
                        grads[slot] = on_grad(slot, grads[slot])
        return grads


def _seed(seed: Any, shape: tuple[int, ...]) -> Array:
    """The gradient of the root with respect to itself: ``seed`` in every entry."""
    return np.broadcast_to(np.asarray(seed, dtype=float), shape).copy()


def _depends(tape: Tape, wanted: frozenset[int]) -> list[bool]:
    """For every slot, whether it depends on one of the ``wanted`` leaves."""
    live = [slot in wanted for slot in range(len(tape.values))]
    for step in tape.steps:
        live[step.out] = any(live[i] for i in step.inputs)
    return live


def _needed(tape: Tape, root: int, live: list[bool]) -> list[int]:
    """The steps the root depends on through a live slot, in recorded order."""
    wanted, found = {root}, []
    for k in range(len(tape.steps) - 1, -1, -1):
        step = tape.steps[k]
        if step.out in wanted and live[step.out]:
            found.append(k)
            wanted.update(i for i in step.inputs if live[i])
    return found[::-1]


def _bound(function: Callable, attrs: dict[str, Any]) -> Callable:
    return partial(function, **attrs) if attrs else function


def _reader(slots: tuple[int, ...]) -> Callable[[list], Any]:
    """Reads these slots of a list of values: a tuple of them, or the value itself for one slot."""
    return itemgetter(*slots) if slots else lambda values: ()


class Replay:
    """A tape's forward pass planned for the exact interpreter: each step's forward function, looked
    up once with its attributes bound, and the slots it reads and writes, in recorded order."""

    def __init__(self, tape: Tape):
        self.recorded = tape.values
        self.steps = [(_bound(op.forward, attrs), _reader(inputs), len(inputs) == 1, out)
                      for op, inputs, attrs, out in tape.steps]
        self._inputs = [inputs for _, inputs, _, _ in tape.steps]
        self._last: list[Array] | None = None  # the values of the last pass made ``again``
        self._given: set[int] = set()  # the leaves given to it
        self._after: dict[tuple[int, ...], list] = {}  # leaves changed since -> the steps that depend on them

    def forward(self, leaves: dict[int, Array] | None = None, again: bool = False) -> list[Array]:
        """Every slot's value, as ``Interpreter.forward`` gives it (call it inside ``np.errstate``).

        ``again`` (a training step after the last): a step whose inputs depend only on leaves given
        the very same arrays as at the last pass made ``again`` keeps the value it had then (frozen
        parameters, constant masks and data are not worked again). That value is the one the last
        pass returned: a caller changes neither the lists nor the arrays it is given."""
        last = self._last
        if again and last is not None and leaves is not None and leaves.keys() == self._given:
            values = list(last)
            changed = []
            for slot, value in leaves.items():
                if value is not values[slot]:
                    values[slot] = value
                    changed.append(slot)
            key = tuple(changed)
            steps = self._after.get(key)
            if steps is None:
                if len(self._after) >= 8:
                    self._after.clear()
                steps = self._after[key] = self._depending(key)
        else:
            values = list(self.recorded)
            if leaves:
                for slot, value in leaves.items():
                    values[slot] = value
            steps = self.steps
            if again:
                self._given = set(leaves or ())
        for function, read, single, out in steps:
            values[out] = function(read(values)) if single else function(*read(values))
        if again:
            self._last = values
        return values

    def _depending(self, changed: tuple[int, ...]) -> list:
        """The steps that depend on one of the ``changed`` slots, in recorded order."""
        live, found = set(changed), []
        for step, inputs in zip(self.steps, self._inputs):
            if not live.isdisjoint(inputs):
                live.add(step[3])
                found.append(step)
        return found


class Descent:
    """A tape's backward pass from one root planned for the exact interpreter: the steps the root
    depends on through a parameter, last first, each with the VJP of each trainable input resolved
    once and its attributes bound. A slot's first term is kept as it comes, each later one is added to
    the sum so far, as in ``Interpreter.backward``."""

    def __init__(self, tape: Tape, root: int, wanted: frozenset[int] | None = None):
        self.root = root
        self.steps = []
        live = tape.trainable if wanted is None else _depends(tape, wanted)
        reached: set[int] = set()  # slots that a term has reached already
        for k in reversed(tape.needed(root) if wanted is None else _needed(tape, root, live)):
            op, inputs, attrs, out = tape.steps[k]
            rules = []
            for index, slot in enumerate(inputs):
                if live[slot]:
                    rules.append((_bound(op.vjp(index), attrs), slot, slot in reached))
                    reached.add(slot)
            self.steps.append((out, _reader((out, *inputs)), rules))
        self._ones: tuple[tuple[int, ...] | None, Array | None] = (None, None)  # the seed 1, with its shape

    def backward(self, values: list[Array], seed: Any = 1.0) -> list[Array | None]:
        """Every slot's gradient, as ``Interpreter.backward`` gives it (call it inside ``np.errstate``)."""
        root = self.root
        grads: list[Array | None] = [None] * len(values)
        value = values[root]
        shape = value.shape if type(value) is np.ndarray or type(value) is np.float64 else np.shape(value)
        if type(seed) is float and seed == 1.0:  # the usual seed, made once for its shape, then copied
            known, ones = self._ones
            if known != shape:
                ones = _seed(seed, shape)
                self._ones = (shape, ones)
            grads[root] = ones.copy()
        else:
            grads[root] = _seed(seed, shape)
        for out, read, rules in self.steps:
            g = grads[out]
            if g is None:
                continue
            arguments = read(values)
            for rule, slot, adds in rules:
                term = rule(g, *arguments)
                if adds and grads[slot] is not None:
                    grads[slot] = grads[slot] + term
                else:
                    grads[slot] = term
        return grads
