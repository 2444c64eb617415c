"""The worked solution of a computation graph: node by node forward, then backward in reverse order.

Backward, each name's gradient is the sum over the nodes that use it of the local derivative times the
upstream gradient: ``∂L/∂x = Σ_c ∂c/∂x · ∂L/∂c``. Each local derivative is written as a formula (the
rules of calculus applied to the node's formula, the other names held fixed) and worked out; its value
comes from the recorded formula's own gradient, so formula and value are computed independently.
"""

from __future__ import annotations

import numpy as np

from ..engine.graph import evaluate
from ..engine.tape import Interpreter, Tape
from ..solving.graph import _names
from ..solving.results import GraphResult
from .formulas import derivative, scalar_only, written
from .layered import loss_gradient, loss_sum
from .maths import Node, Num, Partial, Sym, Verbatim, add, mul, sub, substitute, total
from .solution import Section, Solution, Step


def explain(result: GraphResult, precision: int = 6) -> Solution:
    """Every node, the loss, every gradient and update of a graph, worked out."""
    return _Writer(result, precision).solution()


class _Writer:
    def __init__(self, result: GraphResult, precision: int):
        self.result, self.problem, self.precision = result, result.problem, precision
        self.values = {v.name: np.asarray(v.value, dtype=float) for v in (*result.inputs, *result.nodes)}
        self.values.update({p.name: np.asarray(p.value, dtype=float) for p in result.shared})
        self.grads = {v.name: np.asarray(v.grad, dtype=float) for v in (*result.inputs, *result.nodes)}
        self.grads.update({p.name: np.asarray(p.grad, dtype=float) for p in result.shared})
        self.specs = {spec.name: spec for spec in self.problem.nodes}
        self.consumers: dict[str, list[str]] = {}
        for spec in self.problem.nodes:
            for name in sorted(_names(spec.expr)):
                self.consumers.setdefault(name, []).append(spec.name)
        p = self.problem
        self.of = Sym(p.notation.loss) if p.loss is not None or p.upstream is not None else Sym(p.output)
        self._local: dict[str, dict[str, np.ndarray]] = {}

    def scalar(self, name: str) -> bool:
        return self.values[name].ndim == 0 or self.values[name].size == 1

    def number(self, name: str) -> Node:
        return Num(float(self.values[name].reshape(())))

    def numbers(self, node: Node) -> Node:
        """The formula with each scalar name's value put in."""
        return substitute(node, lambda s: self.number(s.base) if s.base in self.values and not s.layer
                          and not s.index and self.scalar(s.base) else None)

    def total_of(self, name: str) -> Partial:
        """∂L/∂name; without a loss, the total derivative of the output (its partial derivatives by
        the names of its formula are shown too)."""
        return Partial(self.of, Sym(name), whole=self.of.base == self.problem.output)

    def shown(self, value) -> Verbatim:
        from .text import value_text
        return Verbatim(value_text(value, self.precision))

    def solution(self) -> Solution:
        forward = Section("forward pass", [self.node_step(spec) for spec in self.problem.nodes])
        if self.problem.loss is not None:
            forward.steps.append(self.loss_step())
        backward = Section("backward pass", [self.output_step()])
        for spec in reversed(self.problem.nodes):
            if spec.name != self.problem.output:
                backward.steps += self.chain(spec.name)
        gradients = Section("gradients")
        for name in [*self.problem.params, *self.problem.inputs]:
            gradients.steps += self.chain(name)
        sections = [forward, backward, gradients]
        if self.result.trained:
            sections.append(self.updates())
        d = "d" if self.of.base == self.problem.output else "∂"
        lines = [f"{d}{self.of.base}/{d}x = Σ_c ∂c/∂x · {d}{self.of.base}/{d}c over the nodes c whose formulas use x"]
        return Solution(self.problem.title or self.problem.source, lines, sections, self.precision)

    def node_step(self, spec) -> Step:
        value = self.values[spec.name]
        uses = tuple(("node", name) for name in sorted(_names(spec.expr)) if name in self.specs)
        if scalar_only(spec.expr):
            general = written(spec.expr, Sym)
            substituted = self.numbers(general) if all(self.scalar(n) for n in _names(spec.expr)) else None
        else:
            general, substituted = Verbatim(spec.text), None
        return Step(("node", spec.name), Sym(spec.name), general, substituted, value, uses)

    def loss_step(self) -> Step:
        output, target = self.values[self.problem.output].ravel(), np.ravel(self.problem.target)
        symbols = [Sym(self.problem.output, index=str(k + 1)) if output.size > 1 else Sym(self.problem.output)
                   for k in range(output.size)]
        ys = [Sym("y", index=str(k + 1)) if output.size > 1 else Sym("y") for k in range(output.size)]
        general = loss_sum(self.problem.loss, symbols, ys)
        substituted = loss_sum(self.problem.loss, [Num(float(v)) for v in output], [Num(float(v)) for v in target])
        loss = self.result.loss
        if loss.penalty:
            general = add(general, Sym("λ‖p‖²"))
            substituted = add(substituted, Num(loss.penalty))
        return Step(("loss",), Sym(self.problem.notation.loss), general, substituted, loss.value,
                    (("node", self.problem.output),))

    def output_step(self) -> Step:
        """∂L/∂(output): from the loss, the upstream gradient given, or 1 for the output itself."""
        p, out = self.problem, self.problem.output
        target, value = self.total_of(out), self.grads[out]
        if out in self.consumers:  # used by other nodes too: the general chain, with the loss's own term
            return self.chain(out)[-1]
        if p.loss is not None and self.scalar(out):
            scale = p.loss.factor / (np.size(p.target) if p.loss.outputs == "mean" else 1)
            general = loss_gradient(p.loss.kind, scale, Sym(out), Sym("y"))
            substituted = loss_gradient(p.loss.kind, scale, self.number(out), Num(float(np.ravel(p.target)[0])))
            return Step(("grad", out), target, general, substituted, value, (("loss",),))
        note = "given" if p.upstream is not None else ("from the loss" if p.loss is not None else "")
        return Step(("grad", out), target, None, self.shown(value), value, (("loss",),) if p.loss else (), note)

    def local(self, consumer: str) -> dict[str, np.ndarray]:
        """What each name the consumer's formula uses receives from it: the local derivative (a scalar
        consumer) or the vector-Jacobian product with the consumer's gradient."""
        if consumer not in self._local:
            spec = self.specs[consumer]
            tape = Tape()
            env = {name: tape.leaf(self.values[name], trainable=True) for name in _names(spec.expr)}
            root = evaluate(tape, spec.expr, env)
            seed = 1.0 if self.scalar(consumer) else self.grads[consumer]
            grads = Interpreter(tape).backward(tape.values, root, seed)
            self._local[consumer] = {name: (np.zeros_like(self.values[name]) if grads[slot] is None
                                            else np.asarray(grads[slot], dtype=float)) for name, slot in env.items()}
        return self._local[consumer]

    def chain(self, name: str) -> list[Step]:
        """The local derivatives of the nodes that use ``name``, then ``∂L/∂name`` as their sum."""
        steps, terms, numbers, uses = [], [], [], []
        scalar = self.scalar(name)
        for consumer in self.consumers.get(name, []):
            local = self.local(consumer)[name]
            if scalar and self.scalar(consumer):
                expr = self.specs[consumer].expr
                general = derivative(expr, name, Sym)
                substituted = None
                if general is not None and all(self.scalar(n) for n in _names(expr)):
                    substituted = self.numbers(general)
                uses_here = tuple(("node", n) for n in sorted(_names(expr)) if n in self.specs)
                steps.append(Step(("local", consumer, name), Partial(Sym(consumer), Sym(name)), general,
                                  substituted, float(local.reshape(())), uses_here))
                terms.append(mul(self.total_of(consumer), Partial(Sym(consumer), Sym(name))))
                numbers.append(mul(Num(float(self.grads[consumer].reshape(()))), Num(float(local.reshape(())))))
                uses += [("grad", consumer), ("local", consumer, name)]
            else:
                contribution = local * self.grads[consumer] if self.scalar(consumer) else local
                terms.append(mul(self.total_of(consumer), Partial(Sym(consumer), Sym(name))))
                numbers.append(self.shown(contribution))
                uses.append(("grad", consumer))
        value = self.grads[name]
        l2 = self.problem.training.l2
        if name in self.problem.params and l2 is not None and l2.strength:
            terms.append(mul(Num(2 * l2.strength), Sym(name)))
            numbers.append(mul(Num(2 * l2.strength), self.number(name)) if scalar else
                           self.shown(2 * l2.strength * self.values[name]))
        if not terms:
            return steps
        all_numbers = all(not isinstance(n, Verbatim) for n in numbers)
        substituted = total(numbers) if all_numbers or len(numbers) > 1 else numbers[0]
        steps.append(Step(("grad", name), self.total_of(name), total(terms), substituted, value,
                          tuple(uses)))
        return steps

    def updates(self) -> Section:
        from .layered import update
        training = self.problem.training
        section = Section("updates")
        kept = self.result.moments.get(1, {})
        for p in self.result.shared:
            if p.frozen:
                section.notes.append(f"{p.name} is frozen: it stays as it is")
                continue
            if not self.scalar(p.name):
                section.steps.append(Step(("updated", p.name), Sym(p.name, prime=True),
                                          sub(Sym(p.name), mul(Sym("η"), Partial(self.of, Sym(p.name)))),
                                          None, p.updated, (("grad", p.name),)))
                continue
            state = {name: float(np.reshape(v, ())) for name, v in kept.get(p.name, {}).items()}
            section.steps += update(training, ("updated", p.name), Sym(p.name), Sym(p.name, prime=True), self.of,
                                    float(np.reshape(p.value, ())), float(np.reshape(p.grad, ())), state,
                                    float(np.reshape(p.updated, ())), (("grad", p.name),))
        return section
