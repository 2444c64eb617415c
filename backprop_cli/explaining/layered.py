"""The worked solution of a layered network, unit by unit, in the file's notation and index convention.

Forward: each ``z`` as the weighted sum written out, each ``a`` as the activation of it. The loss with its
factor and reductions. Backward: ``∂L/∂a`` (from the loss at the output, as the sum over the next layer
before it), ``g'(z)``, and ``δ``. Then each gradient as the sum over samples of ``δ · a``, each shared
parameter as the sum of its uses, and each update ``p' = p − η ∂L/∂p``.
"""

from __future__ import annotations

import numpy as np

from ..engine.losses import fraction
from ..engine.model import Problem
from ..engine.network import bias_part, output_from_logits
from ..engine.ops import OPS
from ..render.report import index_label
from ..solving.results import Result
from .maths import Call, Node, Num, Op, Partial, Sym, add, call, div, mul, neg, power, sub, total
from .solution import Section, Solution, Step
from .updates import update_steps

MAX_SAMPLES = 4  # samples worked out in full; the sums over samples still count every one
MAX_UNITS = 16  # units of a layer worked out in full


def explain(result: Result, precision: int = 6) -> Solution:
    """Every quantity of the first step with its formula, the numbers put in, and its value."""
    return _Writer(result).solution(precision)


class _Writer:
    """Writes the steps of one result; the symbols follow the file's notation and conventions."""

    def __init__(self, result: Result):
        self.result = result
        self.problem: Problem = result.problem
        self.n = self.problem.notation
        self.sign = self.n.delta_sign
        self.samples = len(result.layers[0].pre)
        self.count = len(self.problem.network.layers)
        self.logits = output_from_logits(self.problem)
        self.sheet_names = {(a.kind, a.layer, a.index): name for name, a in self.problem.names.items()
                            if a.index is not None and not a.after}

    # symbols -------------------------------------------------------------------------------------

    def unit(self, s: int, j: int, offset: int = 1) -> str:
        """A unit's index, with the sample's in the file's layout when there are several samples."""
        if self.samples == 1:
            return str(j + offset)
        pair = (s + 1, j + offset) if self.problem.samples_are == "rows" else (j + offset, s + 1)
        return f"{pair[0]},{pair[1]}"

    def act(self, l: int, s: int, j: int) -> Sym:
        """The activation of unit j of layer l (l = 0: the input, in the sheet's input symbol)."""
        n = self.n
        if l == 0 and n.input != n.act:
            return Sym(n.input, "", self.unit(s, j))
        return Sym(n.act, str(l), self.unit(s, j))

    def pre(self, l: int, s: int, j: int) -> Sym:
        return Sym(self.n.pre, str(l), self.unit(s, j))

    def delta(self, l: int, s: int, j: int) -> Sym:
        return Sym(self.n.delta, str(l), self.unit(s, j))

    def target(self, s: int, k: int) -> Sym:
        return Sym("y", "", self.unit(s, k))

    def entry(self, l: int, which: str, position: tuple[int, ...], prime: bool = False) -> Sym:
        """A weight or bias entry by its place (or the sheet's own name for it)."""
        named = self.sheet_names.get((which, l, position))
        if named is not None:
            return Sym(named, prime=prime)
        spec = self.problem.network.layers[l - 1]
        if which == "bias":
            return Sym(self.n.bias if spec.bias_sign > 0 else self.n.threshold, str(l), str(position[0] + 1), prime)
        return Sym(self.n.weight, str(l), index_label(position, self.offsets()), prime)

    def used(self, l: int, which: str, position: tuple[int, ...]) -> Sym:
        """An entry as the forward pass uses it: the shared parameter's name where it is one."""
        spec = self.problem.network.layers[l - 1]
        entries = spec.weights if which == "weights" else spec.bias
        name = entries.shared.get(position)
        return Sym(name) if name else self.entry(l, which, position)

    def offsets(self) -> tuple[int, int]:
        network = self.problem.network
        if not network.folded_bias:
            return (1, 1)
        return (0, 1) if network.orientation == "in_out" else (1, 0)

    def loss(self) -> Sym:
        return Sym(self.n.loss)

    # structure -----------------------------------------------------------------------------------

    def links(self, l: int, j: int):
        """(input unit k or None for a folded bias, position in the weight matrix) of each existing
        connection into unit j of layer l, in the order of the inputs."""
        network = self.problem.network
        weights = network.layers[l - 1].weights
        folded = 1 if network.folded_bias else 0
        inputs = weights.values.shape[1 if network.orientation == "out_in" else 0]
        for i in range(inputs):
            position = (j, i) if network.orientation == "out_in" else (i, j)
            if weights.absent is not None and weights.absent[position]:
                continue
            yield (None if i < folded else i - folded), position

    def shown_samples(self) -> range:
        return range(min(self.samples, MAX_SAMPLES))

    def shown_units(self, units: int) -> range:
        return range(min(units, MAX_UNITS))

    # sections ------------------------------------------------------------------------------------

    def solution(self, precision: int) -> Solution:
        from ..render.layered import convention_lines
        sections = []
        for s in self.shown_samples():
            sections.append(Section(self.titled("forward pass", s), self.forward(s)))
        sections.append(Section("loss", self.loss_steps()))
        for s in self.shown_samples():
            sections.append(Section(self.titled("backward pass", s), self.backward(s)))
        sections.append(Section("gradients", self.gradients()))
        if self.result.trained:
            sections.append(self.updates())
        if self.samples > MAX_SAMPLES:
            sections[0].notes.append(f"the passes of samples {MAX_SAMPLES + 1} to {self.samples} are worked "
                                     "out the same way; the sums over samples count every one")
        widest = max(layer.units for layer in self.problem.network.layers)
        if widest > MAX_UNITS:
            sections[0].notes.append(f"the first {MAX_UNITS} units of each layer are worked out; the others "
                                     "follow the same formulas (backprop run lists every value)")
        title = self.problem.title or self.problem.source
        return Solution(title, convention_lines(self.problem, self.n, self.result.batch), sections, precision)

    def titled(self, title: str, s: int) -> str:
        return title if self.samples == 1 else f"{title}, sample {s + 1}"

    # forward -------------------------------------------------------------------------------------

    def forward(self, s: int) -> list[Step]:
        steps = []
        for l in range(1, self.count + 1):
            layer = self.result.layers[l - 1]
            for j in self.shown_units(layer.units):
                steps.append(self.weighted_sum(l, s, j))
            for j in self.shown_units(layer.units):
                steps.append(self.activation(l, s, j))
        return steps

    def weighted_sum(self, l: int, s: int, j: int) -> Step:
        layer = self.result.layers[l - 1]
        before = self.result.layers[l - 2].act if l > 1 else self.problem.inputs
        terms, numbers, uses = [], [], []
        for k, position in self.links(l, j):
            w = float(layer.weights.value[position])
            if k is None:  # the folded bias: times the constant input 1
                terms.append(mul(self.used(l, "weights", position), self.act(l - 1, s, -1)))
                numbers.append(mul(Num(w), Num(1.0)))
                continue
            terms.append(mul(self.used(l, "weights", position), self.act(l - 1, s, k)))
            numbers.append(mul(Num(w), Num(float(before[s, k]))))
            if l > 1:
                uses.append(("act", l - 1, s, (k,)))
        general, substituted = total(terms), total(numbers)
        if layer.bias is not None:
            b = float(layer.bias.value[j])
            bias = self.used(l, "bias", (j,))
            if layer.bias_sign > 0:
                general, substituted = add(*_terms(general), bias), add(*_terms(substituted), Num(b))
            else:
                general, substituted = sub(general, bias), sub(substituted, Num(b))
        return Step(("pre", l, s, (j,)), self.pre(l, s, j), general, substituted, float(layer.pre[s, j]),
                    tuple(uses))

    def activation_name(self, l: int, j: int):
        activations = self.result.layers[l - 1].activations
        return activations[j] if len(activations) > 1 else activations[0]

    def activation(self, l: int, s: int, j: int) -> Step:
        layer = self.result.layers[l - 1]
        activation = self.activation_name(l, j)
        attrs = dict(activation.attrs)
        z, zs = float(layer.pre[s, j]), self.pre(l, s, j)
        name, note = activation.name, ""
        uses = (("pre", l, s, (j,)),)
        if name == "softmax":
            units = range(layer.units)
            general = div(call("exp", zs), total([call("exp", self.pre(l, s, k)) for k in units]))
            substituted = div(call("exp", Num(z)), total([call("exp", Num(float(layer.pre[s, k]))) for k in units]))
            uses = tuple(("pre", l, s, (k,)) for k in units)
        else:
            general, substituted, note = _activation(name, attrs, zs, Num(z), z)
        return Step(("act", l, s, (j,)), self.act(l, s, j), general, substituted, float(layer.act[s, j]), uses, note)

    # loss ----------------------------------------------------------------------------------------

    def loss_steps(self) -> list[Step]:
        result, loss = self.result, self.problem.loss
        output = result.layers[-1].act
        targets = self.problem.targets
        steps = []
        penalised = bool(result.loss.penalty)
        for s in range(min(self.samples, MAX_SAMPLES)):
            outputs = range(output.shape[1])
            general = loss_sum(loss, [self.act(self.count, s, k) for k in outputs],
                                [self.target(s, k) for k in outputs])
            substituted = loss_sum(loss, [Num(float(output[s, k])) for k in outputs],
                                    [Num(float(targets[s, k])) for k in outputs])
            if self.samples > 1:
                target = Sym(self.n.loss, "", str(s + 1))
            else:
                target = Sym(self.n.loss, "", "data") if penalised else self.loss()
            uses = tuple(("act", self.count, s, (k,)) for k in outputs)
            steps.append(Step(("loss sample", s), target, general, substituted, float(result.loss.per_sample[s]),
                              uses))
        data = result.loss.data
        if self.samples > 1:
            terms = [Sym(self.n.loss, "", str(s + 1)) for s in range(self.samples)]
            numbers = [Num(float(v)) for v in result.loss.per_sample]
            general, substituted = total(terms), total(numbers)
            if loss.samples == "mean":
                general = mul(div(Num(1.0), Num(float(self.samples))), general)
                substituted = mul(div(Num(1.0), Num(float(self.samples))), substituted)
            target = Sym(self.n.loss, "", "data") if penalised else self.loss()
            steps.append(Step(("loss data",), target, general, substituted, data,
                              tuple(("loss sample", s) for s in range(min(self.samples, MAX_SAMPLES)))))
        if penalised:
            steps += self.penalty_steps()
        steps[-1] = steps[-1]._replace(key=("loss",))
        return steps

    def penalty_steps(self) -> list[Step]:
        """The loss with the L2 penalty: λ times the sum of the penalised parameters' squares."""
        l2 = self.problem.training.l2
        symbols, numbers = [], []
        penalised = set()
        for l, spec in enumerate(self.problem.network.layers, start=1):
            folded = None if l2.include_bias else bias_part(spec.weights, self.problem.network)
            for which, entries in (("weights", spec.weights), ("bias", spec.bias if l2.include_bias else None)):
                if entries is None:
                    continue
                mask = entries.own_mask
                for position in np.ndindex(entries.values.shape):
                    if which == "weights" and folded is not None and folded[position]:
                        continue
                    if position in entries.shared:
                        penalised.add(entries.shared[position])
                    if mask is not None and not mask[position]:
                        continue
                    symbols.append(power(self.entry(l, which, position), Num(2.0)))
                    numbers.append(power(Num(float(entries.values[position])), Num(2.0)))
        for p in self.problem.shared:
            if p.name in penalised:
                symbols.append(power(Sym(p.name), Num(2.0)))
                numbers.append(power(Num(p.value), Num(2.0)))
        squares = Sym("‖w‖²")
        data_uses = (("loss data",),) if self.samples > 1 else (("loss sample", 0),)
        return [Step(("penalty sum",), squares, total(symbols), total(numbers),
                     self.result.loss.penalty / l2.strength, (), "the penalised parameters' squares"),
                Step(("loss",), self.loss(), add(Sym(self.n.loss, "", "data"), mul(Sym("λ"), squares)),
                     add(Num(self.result.loss.data), mul(Num(l2.strength), Num(self.result.loss.penalty / l2.strength))),
                     self.result.loss.value, data_uses + (("penalty sum",),), f"λ = {l2.strength:g}")]

    # backward ------------------------------------------------------------------------------------

    def backward(self, s: int) -> list[Step]:
        steps = []
        for l in range(self.count, 0, -1):
            layer = self.result.layers[l - 1]
            units = self.shown_units(layer.units)
            if l == self.count and self.logits:
                steps += [self.logit_delta(s, j) for j in units]
                continue
            steps += [self.output_gradient(s, j) if l == self.count else self.hidden_gradient(l, s, j)
                      for j in units]
            if self.activation_name(l, 0).name == "softmax":
                steps += [self.softmax_delta(l, s, j) for j in units]
                continue
            for j in units:
                steps += [self.derivative(l, s, j), self.delta_step(l, s, j)]
        return steps

    def scale(self) -> float:
        """The loss's factor and its means, which every ∂L/∂a of the output carries."""
        loss = self.problem.loss
        scale = loss.factor
        if loss.outputs == "mean":
            scale /= self.problem.targets.shape[1]
        if loss.samples == "mean":
            scale /= self.samples
        return scale

    def output_gradient(self, s: int, j: int) -> Step:
        l = self.count
        layer = self.result.layers[-1]
        a, y = self.act(l, s, j), self.target(s, j)
        an, yn = Num(float(layer.act[s, j])), Num(float(self.problem.targets[s, j]))
        kind, c = self.problem.loss.kind, self.scale()
        general, substituted = loss_gradient(kind, c, a, y), loss_gradient(kind, c, an, yn)
        return Step(("grad_act", l, s, (j,)), Partial(self.loss(), a), general, substituted,
                    float(layer.grad_act[s, j]), (("act", l, s, (j,)),))

    def hidden_gradient(self, l: int, s: int, j: int) -> Step:
        """∂L/∂a of a hidden unit: the sum over the units it feeds of weight times their δ."""
        above = self.result.layers[l]
        terms, numbers, uses = [], [], []
        for k in range(above.units):
            for input_unit, position in self.links(l + 1, k):
                if input_unit != j:
                    continue
                terms.append(mul(self.used(l + 1, "weights", position), self.delta(l + 1, s, k)))
                numbers.append(mul(Num(float(above.weights.value[position])),
                                   Num(self.sign * float(above.delta[s, k]))))
                uses.append(("delta", l + 1, s, (k,)))
        value = float(self.result.layers[l - 1].grad_act[s, j])
        target = Partial(self.loss(), self.act(l, s, j))
        if self.sign < 0:  # Σ w δ is then −∂L/∂a
            target, value = neg(target), -value
        return Step(("grad_act", l, s, (j,)), target, total(terms), total(numbers), value, tuple(uses))

    def derivative(self, l: int, s: int, j: int) -> Step:
        layer = self.result.layers[l - 1]
        activation = self.activation_name(l, j)
        attrs = dict(activation.attrs)
        z, a = float(layer.pre[s, j]), float(layer.act[s, j])
        value = float(OPS[activation.name].vjp(0)(np.float64(1.0), np.float64(a), np.float64(z), **attrs))
        general, substituted, note = _derivative(activation.name, attrs, self.act(l, s, j), self.pre(l, s, j), z, a)
        target = Call(_derivative_name(activation.name), (self.pre(l, s, j),))
        return Step(("g_prime", l, s, (j,)), target, general, substituted, value,
                    (("pre", l, s, (j,)), ("act", l, s, (j,))), note)

    def delta_step(self, l: int, s: int, j: int) -> Step:
        layer = self.result.layers[l - 1]
        activation = self.activation_name(l, j)
        slope = Call(_derivative_name(activation.name), (self.pre(l, s, j),))
        gradient = Partial(self.loss(), self.act(l, s, j))
        factor = float(layer.grad_act[s, j])
        value = self.sign * float(layer.delta[s, j])
        if self.sign < 0:
            gradient, factor = neg(gradient), -factor
        derivative_value = self.derivative(l, s, j).value
        return Step(("delta", l, s, (j,)), self.delta(l, s, j), mul(gradient, slope),
                    mul(Num(factor), Num(derivative_value)), value,
                    (("grad_act", l, s, (j,)), ("g_prime", l, s, (j,))))

    def logit_delta(self, s: int, j: int) -> Step:
        """δ of an output whose loss is taken from z (sigmoid with cross-entropy, softmax with
        cross-entropy): the activation's derivative cancels, δ = c (a − y)."""
        l = self.count
        layer = self.result.layers[-1]
        c = self.scale() * self.sign
        targets = self.problem.targets[s]
        a, y = self.act(l, s, j), self.target(s, j)
        an, yn = Num(float(layer.act[s, j])), Num(float(targets[j]))
        if self.activation_name(l, 0).name == "softmax" and not np.isclose(targets.sum(), 1.0):
            ys = Num(float(targets.sum()))
            general = _scaled(c, sub(mul(a, Op("+", tuple(self.target(s, k) for k in range(len(targets))))), y))
            substituted = _scaled(c, sub(mul(an, ys), yn))
        else:
            general, substituted = _scaled(c, sub(a, y)), _scaled(c, sub(an, yn))
        uses = tuple(("act", l, s, (k,)) for k in range(layer.units))
        return Step(("delta", l, s, (j,)), self.delta(l, s, j), general, substituted,
                    self.sign * float(layer.delta[s, j]), uses,
                    "the loss is taken from z, so the activation's derivative cancels")

    def softmax_delta(self, l: int, s: int, j: int) -> Step:
        """δ of a softmax unit: a_j (∂L/∂a_j − Σ_k a_k ∂L/∂a_k), the softmax Jacobian applied."""
        layer = self.result.layers[l - 1]
        units = range(layer.units)
        grad = self.sign * layer.grad_act[s]
        act = layer.act[s]

        def partial(k):
            p = Partial(self.loss(), self.act(l, s, k))
            return neg(p) if self.sign < 0 else p
        general = mul(self.act(l, s, j), sub(partial(j), total([mul(self.act(l, s, k), partial(k)) for k in units])))
        substituted = mul(Num(float(act[j])), sub(Num(float(grad[j])),
                                                  total([mul(Num(float(act[k])), Num(float(grad[k]))) for k in units])))
        uses = tuple(("grad_act", l, s, (k,)) for k in units) + tuple(("act", l, s, (k,)) for k in units)
        return Step(("delta", l, s, (j,)), self.delta(l, s, j), general, substituted,
                    self.sign * float(layer.delta[s, j]), uses)

    # gradients and updates -----------------------------------------------------------------------

    def gradients(self) -> list[Step]:
        steps = []
        l2 = self.problem.training.l2
        decay = 0.0 if l2 is None else 2.0 * l2.strength
        for l in range(1, self.count + 1):
            spec, layer = self.problem.network.layers[l - 1], self.result.layers[l - 1]
            folded = bias_part(spec.weights, self.problem.network)
            for j in self.shown_units(layer.units):
                for k, position in self.links(l, j):
                    bias_entry = folded is not None and folded[position]
                    decays = decay if not bias_entry or (l2 is not None and l2.include_bias) else 0.0
                    steps.append(self.weight_gradient(l, j, k, position, decays))
            if spec.bias is not None:
                for j in self.shown_units(layer.units):
                    steps.append(self.bias_gradient(l, j, decay if l2 is not None and l2.include_bias else 0.0))
        steps += [self.shared_gradient(p) for p in self.result.shared]
        return steps

    def sample_sum(self, l: int, j: int, factor) -> tuple[Node, Node, tuple]:
        """Σ_n δ_{n,j} · factor(n), as symbols and as numbers (``factor`` gives a (symbol, number) pair or None)."""
        layer = self.result.layers[l - 1]
        terms, numbers, uses = [], [], []
        for s in range(self.samples):
            d = self.sign * float(layer.delta[s, j])
            other = factor(s)
            terms.append(self.delta(l, s, j) if other is None else mul(self.delta(l, s, j), other[0]))
            numbers.append(Num(d) if other is None else mul(Num(d), other[1]))
            if s < MAX_SAMPLES:
                uses.append(("delta", l, s, (j,)))
        general, substituted = total(terms), total(numbers)
        if self.sign < 0:  # δ is −∂L/∂z
            general, substituted = neg(general), neg(substituted)
        return general, substituted, tuple(uses)

    def weight_gradient(self, l: int, j: int, k: int | None, position, decay: float) -> Step:
        before = self.result.layers[l - 2].act if l > 1 else self.problem.inputs
        layer = self.result.layers[l - 1]

        def factor(s):
            if k is None:
                return None  # times the constant input 1
            return self.act(l - 1, s, k), Num(float(before[s, k]))
        general, substituted, uses = self.sample_sum(l, j, factor)
        if k is not None and l > 1:
            uses += tuple(("act", l - 1, s, (k,)) for s in self.shown_samples())
        if decay:
            general = add(*_terms(general), mul(Num(decay), self.used(l, "weights", position)))
            substituted = add(*_terms(substituted), mul(Num(decay), Num(float(layer.weights.value[position]))))
        entries = self.problem.network.layers[l - 1].weights
        note = f"one use of {entries.shared[position]}" if position in entries.shared else ""
        return Step(("weights_grad", l, None, position), Partial(self.loss(), self.entry(l, "weights", position)),
                    general, substituted, float(layer.weights.grad[position]), uses, note)

    def bias_gradient(self, l: int, j: int, decay: float) -> Step:
        layer = self.result.layers[l - 1]
        general, substituted, uses = self.sample_sum(l, j, lambda s: None)
        if layer.bias_sign < 0:  # z = ... − θ
            general, substituted = neg(general), neg(substituted)
        if decay:
            general = add(*_terms(general), mul(Num(decay), self.used(l, "bias", (j,))))
            substituted = add(*_terms(substituted), mul(Num(decay), Num(float(layer.bias.value[j]))))
        entries = self.problem.network.layers[l - 1].bias
        note = f"one use of {entries.shared[(j,)]}" if (j,) in entries.shared else ""
        return Step(("bias_grad", l, None, (j,)), Partial(self.loss(), self.entry(l, "bias", (j,))),
                    general, substituted, float(layer.bias.grad[j]), uses, note)

    def uses_of(self, name: str):
        """(layer, which, position) of every entry that uses the shared parameter."""
        for l, spec in enumerate(self.problem.network.layers, start=1):
            for which, entries in (("weights", spec.weights), ("bias", spec.bias)):
                if entries is not None:
                    for position, used in entries.shared.items():
                        if used == name:
                            yield l, which, position

    def shared_gradient(self, shared) -> Step:
        terms, numbers, uses = [], [], []
        for l, which, position in self.uses_of(shared.name):
            layer = self.result.layers[l - 1]
            param = layer.weights if which == "weights" else layer.bias
            terms.append(Partial(self.loss(), self.entry(l, which, position)))
            numbers.append(Num(float(param.grad[position])))
            uses.append((f"{which}_grad", l, None, position))
        return Step(("shared_grad", shared.name), Partial(self.loss(), Sym(shared.name)), total(terms),
                    total(numbers), shared.grad, tuple(uses), "the sum of its uses")

    def updates(self) -> Section:
        training = self.problem.training
        section = Section("updates")
        kept = self.result.moments.get(1, {})
        for l in range(1, self.count + 1):
            spec, layer = self.problem.network.layers[l - 1], self.result.layers[l - 1]
            for which, entries, param in (("weights", spec.weights, layer.weights),
                                          ("bias", spec.bias, layer.bias)):
                if entries is None:
                    continue
                unit_axis = 1 if which == "weights" and self.problem.network.orientation == "in_out" else 0
                state = kept.get(("W" if which == "weights" else "b", l), {})
                for position in np.ndindex(entries.values.shape):
                    if (entries.frozen or position in entries.shared or position[unit_axis] >= MAX_UNITS
                            or (entries.absent is not None and entries.absent[position])):
                        continue
                    section.steps += update(training, (f"{which}_updated", l, None, position),
                                            self.entry(l, which, position), self.entry(l, which, position, prime=True),
                                            self.loss(), float(param.value[position]), float(param.grad[position]),
                                            {name: float(v[position]) for name, v in state.items()},
                                            float(param.updated[position]), ((f"{which}_grad", l, None, position),))
            if spec.weights.frozen or (spec.bias is not None and spec.bias.frozen):
                section.notes.append(f"the frozen parameters of layer {l} stay as they are")
        state = kept.get(("shared",), {})
        for i, shared in enumerate(self.result.shared):
            if shared.frozen:
                section.notes.append(f"{shared.name} is frozen: it stays as it is")
                continue
            section.steps += update(training, ("shared_updated", shared.name), Sym(shared.name),
                                    Sym(shared.name, prime=True), self.loss(), shared.value, shared.grad,
                                    {name: float(v[i]) for name, v in state.items()}, shared.updated,
                                    (("shared_grad", shared.name),))
        return section


def update(training, key, symbol: Sym, updated: Sym, loss: Sym, value: float, grad: float, kept: dict,
           new: float, uses) -> list[Step]:
    """The first update of one entry: p' = p − η ∂L/∂p, or the optimizer's rule with what it keeps."""
    rate, optimizer = training.learning_rate, training.optimizer
    if not optimizer.plain:
        return update_steps(optimizer, rate, key, symbol, updated, loss, value, grad, kept, new, uses,
                            optimizer.first_step)
    general = sub(symbol, mul(Sym("η"), Partial(loss, symbol)))
    substituted = sub(Num(value), mul(Num(rate), Num(grad)))
    return [Step(key, updated, general, substituted, new, uses)]


def _terms(node: Node) -> tuple:
    """The terms of a sum (the node itself when it is not one)."""
    return node.args if isinstance(node, Op) and node.op == "+" else (node,)


def _scaled(c: float, node: Node) -> Node:
    """c · node, with the factor written as a fraction where it is one, and left out when it is 1."""
    if c == 1.0:
        return node
    if c == -1.0:
        return neg(node)
    shown = fraction(abs(c))
    factor = div(Num(float(shown.split("/")[0])), Num(float(shown.split("/")[1]))) if "/" in shown else Num(abs(c))
    return neg(mul(factor, node)) if c < 0 else mul(factor, node)


def loss_gradient(kind: str, c: float, a: Node, y: Node) -> Node:
    """∂L/∂a of one output for a loss kind, the loss's factor and means making ``c``."""
    if kind == "squared_error":
        return _scaled(2 * c, sub(a, y))
    if kind == "binary_cross_entropy":
        return _scaled(c, div(sub(a, y), mul(a, sub(Num(1.0), a))))
    return _scaled(-c, div(y, a))


def loss_sum(loss, outputs: list[Node], targets: list[Node]) -> Node:
    """The loss of one sample: factor, mean over outputs, and the sum of the elementwise terms."""
    one = Num(1.0)
    if loss.kind == "squared_error":
        terms = [power(sub(a, y), Num(2.0)) for a, y in zip(outputs, targets)]
    elif loss.kind == "binary_cross_entropy":
        terms = [neg(add(mul(y, call("ln", a)), mul(sub(one, y), call("ln", sub(one, a)))))
                 for a, y in zip(outputs, targets)]
    else:
        terms = [neg(mul(y, call("ln", a))) for a, y in zip(outputs, targets)]
    summed = total(terms)
    if loss.outputs == "mean":
        summed = mul(div(one, Num(float(len(outputs)))), summed)
    return _scaled(loss.factor, summed)


def _derivative_name(name: str) -> str:
    return {"sigmoid": "sigma'"}.get(name, f"{name}'")


def _activation(name: str, attrs: dict, z: Node, zn: Num, value: float) -> tuple[Node, Node, str]:
    """An elementwise activation as a formula in z, and with the number put in; a note for a branch."""
    if name == "identity":
        return z, zn, ""
    if name == "sigmoid":
        return call("sigma", z), call("sigma", zn), ""
    if name == "tanh":
        return call("tanh", z), call("tanh", zn), ""
    if name == "relu":
        return call("max", Num(0.0), z), call("max", Num(0.0), zn), ""
    if name == "leaky_relu":
        slope = attrs.get("slope", 0.01)
        pick = "max" if slope <= 1 else "min"
        return call(pick, mul(Num(slope), z), z), call(pick, mul(Num(slope), zn), zn), ""
    if name == "softplus":
        return call("ln", add(Num(1.0), call("exp", z))), call("ln", add(Num(1.0), call("exp", zn))), ""
    if name == "elu":
        alpha = attrs.get("alpha", 1.0)
        if value > 0:
            return z, zn, "z > 0"
        return (mul(Num(alpha), sub(call("exp", z), Num(1.0))), mul(Num(alpha), sub(call("exp", zn), Num(1.0))),
                "z ≤ 0")
    raise ValueError(f"no worked formula for the activation '{name}'")


def _derivative(name: str, attrs: dict, a: Sym, z_symbol: Sym, z: float, value: float) -> tuple[Node | None, Node, str]:
    """g'(z) written in the unit's activation (as sheets do: a(1 − a), 1 − a²), and with the number put in."""
    an, one = Num(value), Num(1.0)
    if name == "sigmoid":
        return mul(a, sub(one, a)), mul(an, sub(one, an)), ""
    if name == "tanh":
        return sub(one, power(a, Num(2.0))), sub(one, power(an, Num(2.0))), ""
    if name == "identity":
        return None, one, ""
    if name == "relu":
        return None, Num(1.0 if z > 0 else 0.0), "z > 0" if z > 0 else "z ≤ 0"
    if name == "leaky_relu":
        return None, Num(1.0 if z > 0 else attrs.get("slope", 0.01)), "z > 0" if z > 0 else "z ≤ 0"
    if name == "softplus":
        return call("sigma", z_symbol), call("sigma", Num(z)), ""
    if name == "elu":
        if z > 0:
            return None, one, "z > 0"
        alpha = Num(attrs.get("alpha", 1.0))
        return add(a, alpha), add(an, alpha), "z ≤ 0"
    raise ValueError(f"no worked derivative for the activation '{name}'")
