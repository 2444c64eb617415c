"""A computation recorded once, then replayed by interpreters.

Recording (``Tape.leaf``, ``Tape.apply``) computes every value as it goes, so shapes and errors are
known at once. An ``Interpreter`` replays the steps, with new leaf values (training) or, in a
subclass, with one part done differently (a hand calculation: rounded, a rule swapped, a written
value put in), and walks them backwards once. Gradients always accumulate, so a value used in
several places receives the sum of its uses.
"""

from __future__ import annotations

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

    def leaf(self, value: Any, trainable: bool = False, label: Hashable = None) -> int:
        """A constant (data, targets, masks), or a parameter whose gradient is wanted."""
        slot = len(self.values)
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


Hook = Callable[..., Any]


class Interpreter:
    """Evaluates a tape exactly. Subclasses override the hooks to model another way of working it:

    ``value(slot, value)`` sees every leaf and result as it is set and may change it;
    ``rule(step, index)`` gives the VJP used for one input of a step;
    ``gradient(slot, grad)`` sees a slot's gradient once it is complete, before it flows on;
    ``contribution(grad)`` sees each term that is added into a gradient;
    ``update(value)`` sees each parameter value after a training step.
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

    def forward(self, leaves: dict[int, Array] | None = None) -> list[Array]:
        """Every slot's value, leaves taken from ``leaves`` where given, else as recorded."""
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

    def run(self, root: int, leaves: dict[int, Array] | None = None) -> tuple[list[Array], list[Array | None]]:
        """A forward pass, then the backward pass from ``root``: (values, gradients)."""
        values = self.forward(leaves)
        return values, self.backward(values, root)

    def backward(self, values: list[Array], root: int, seed: Any = 1.0) -> list[Array | None]:
        """d(root)/d(slot) for every slot the root depends on through a parameter (None elsewhere)."""
        tape = self.tape
        trainable = tape.trainable
        grads: list[Array | None] = [None] * len(values)
        grads[root] = np.broadcast_to(np.asarray(seed, dtype=float), np.shape(values[root])).copy()
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
