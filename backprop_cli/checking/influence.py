"""Which of a student's written values an answer is computed from, read off the recorded tape.

A value is computed from the values of its step's inputs; a gradient from the gradient of the step's
output and the values of the step's inputs and output. The nearest written values on every such path
are the ones a hand calculation carried into the answer: what lies behind them was replaced by what
the student wrote, so it cannot reach the answer.
"""

from __future__ import annotations

from ..read.answers import Answer
from .replays import GRADIENTS

Node = int  # 2 * slot for a slot's value, 2 * slot + 1 for its gradient
_PLACES = {"g_prime": "act", "residual": "act", "weighted": "pre"}  # kinds without a slot: whose place they take


class Influence:
    """The computation graph of one recorded problem, values and gradients alike."""

    def __init__(self, program, kind, problem):
        tape = program.tape
        self.kind, self.problem, self.tape = kind, problem, tape
        self._nodes: dict[int, Node | None] = {}  # by the id of an answer of this problem
        self.parents: list[list[Node]] = [[] for _ in range(2 * len(tape.values))]
        for step in tape.steps:
            self.parents[2 * step.out] += [2 * i for i in step.inputs]
        root = tape.slots[("objective",)]
        for k in tape.needed(root):
            step = tape.steps[k]
            operands = [2 * step.out + 1, 2 * step.out] + [2 * i for i in step.inputs]
            for slot in step.inputs:
                if tape.trainable[slot]:
                    self.parents[2 * slot + 1] += operands

    def node(self, answer: Answer) -> Node | None:
        """Where an answer's value sits (None where it has no place of its own, as the input)."""
        key = id(answer)
        if key not in self._nodes:
            self._nodes[key] = self._node(answer)
        return self._nodes[key]

    def _node(self, answer: Answer) -> Node | None:
        address = self.kind_address(answer)
        try:
            label, _ = self.kind.slot(address, self.problem)
            slot = self.tape.slots[label]
        except KeyError:
            if address.kind == "loss":
                return 2 * self.tape.slots[("objective",)]
            return None
        return 2 * slot + (address.kind in GRADIENTS)

    @staticmethod
    def kind_address(answer: Answer):
        """An updated parameter is computed from its gradient (and value): its place is the gradient's.
        Values no slot holds take the place of a slot: g'(z) and the residual that of the activation
        they are computed from, the weighted sum that of z (it is computed from what z is)."""
        address = answer.address
        if address.kind.endswith("_updated"):
            return address._replace(kind=address.kind.removesuffix("_updated") + "_grad")
        if address.kind in _PLACES:
            return address._replace(kind=_PLACES[address.kind])
        return address

    def sources(self, answer: Answer, earlier: list[Answer]) -> list[Answer]:
        """The earlier answers this one is computed from: the nearest written on every path to it
        (an answer written in part does not stop the search behind it)."""
        # Worked at other parameters, or given (the target): nothing of the first step carries into it.
        if answer.address.after or answer.address.kind == "target":
            return []
        start = self.node(answer)
        if start is None:
            return list(earlier)
        written: dict[Node, list[Answer]] = {}
        whole: set[Node] = set()
        for other in earlier:
            node = self.node(other)
            if node is None:
                continue
            written.setdefault(node, []).append(other)
            if other.address.index is None and self.kind.slot(other.address, self.problem)[1] is None:
                whole.add(node)
        # An updated value is computed from its parameter's gradient, which may itself be written; g'(z)
        # from a and z, the residual from ŷ.
        kind = answer.address.kind
        if kind.endswith("_updated") or kind == "residual":
            frontier = [start]
        elif kind == "g_prime":
            frontier = [start, 2 * self.tape.slots[("pre", answer.address.layer)]]
        else:
            frontier = list(self.parents[start])
        found: set[Node] = set()
        seen = set(frontier)
        while frontier:
            node = frontier.pop()
            if node in written:
                found.add(node)
                if node in whole:
                    continue
            for parent in self.parents[node]:
                if parent not in seen:
                    seen.add(parent)
                    frontier.append(parent)
        return [a for a in earlier if self.node(a) in found]
