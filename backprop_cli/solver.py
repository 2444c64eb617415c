"""Problem -> graph -> result: forward values, gradients and updates, layer by layer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from . import losses
from .graph import GradHook, VJPChoice, backward
from .network import (Compiled, Parameters, ValueHook, forward, output_act_gradient, output_from_logits,
                      used_values)
from .problem import Activation, Entries, Problem

_KINKED = {"relu", "leaky_relu"}


@dataclass(eq=False)
class ParamResult:
    """A weight matrix or bias vector: values as used, gradients and updated values, NaN where absent.

    For an entry that uses a shared parameter, ``grad`` is the gradient through that one use; the
    shared parameter's own gradient (the sum over its uses) is in ``Result.shared``.
    """

    value: np.ndarray
    grad: np.ndarray
    updated: np.ndarray
    entries: Entries

    @property
    def frozen(self) -> bool:
        return self.entries.frozen


@dataclass(eq=False)
class LayerResult:
    """Everything computed for one layer, with samples as rows."""

    index: int
    name: str
    activations: tuple[Activation, ...]
    pre: np.ndarray
    act: np.ndarray
    grad_act: np.ndarray
    delta: np.ndarray
    weights: ParamResult
    bias: ParamResult | None
    bias_sign: float

    @property
    def units(self) -> int:
        return self.pre.shape[1]


@dataclass(eq=False)
class SharedResult:
    """A named parameter: its value, the sum of the gradients of its uses, its updated value."""

    name: str
    value: float
    grad: float
    updated: float
    frozen: bool
    uses: list[str]


@dataclass(eq=False)
class LossResult:
    """The loss of the first step, with the formula that defines it."""

    value: float  # what is minimised: data loss plus penalty
    data: float
    penalty: float
    per_sample: np.ndarray
    formula: str


@dataclass(eq=False)
class Result:
    """The worked problem: the first step in full, then the loss along any further steps."""

    problem: Problem
    layers: list[LayerResult]
    shared: list[SharedResult]
    loss: LossResult
    history: list[float] = field(default_factory=list)  # objective before each step
    final_loss: float | None = None  # objective after the last update
    final: Parameters | None = None  # parameters after the last update
    warnings: list[str] = field(default_factory=list)

    @property
    def trained(self) -> bool:
        return self.problem.training.learning_rate > 0


@dataclass(eq=False)
class HandWork:
    """How one run departs from exact arithmetic, to model a calculation done by hand."""

    rounding: int | None = None  # every intermediate rounded to this many decimals
    on_value: ValueHook | None = None  # sees (and may change) each z and a as it is computed
    before_backward: Callable[[object], None] | None = None  # gets the network (or a graph's named nodes)
    on_grad: GradHook | None = None  # sees (and may change) each gradient before it flows on
    vjp_for: VJPChoice | None = None  # replaces an op's gradient rule
    exact_logits: bool = True  # False: the loss from the output activation, as a sheet works it
    formula_for: Callable | None = None  # graphs: (node name, formula) -> the formula as worked

    def rounder(self):
        digits = self.rounding
        return None if digits is None else (lambda values: np.round(values, digits))


def solve(problem: Problem, work: HandWork | None = None) -> Result:
    """Run the forward and backward pass and the updates the problem asks for.

    With ``work``, only the first step is taken, done the way ``work`` describes. A computation graph
    (``graph:``) is worked by ``graph_solver.solve_graph``.
    """
    if problem.is_graph:
        from .graph_solver import solve_graph
        return solve_graph(problem, work)
    params = Parameters.initial(problem)
    compiled = _differentiate(problem, params, work)
    updated = _update(problem, params, compiled, work.rounder() if work else None)
    result = _first_step(problem, compiled, updated)
    if work is not None:
        return result
    if result.trained:
        def step(params):
            compiled = _differentiate(problem, params)
            return float(compiled.objective.value), _update(problem, params, compiled)
        train_on(result, result.loss.value, updated, step,
                 lambda params: float(forward(problem, params).objective.value))
    result.warnings.extend(_warnings(result))
    return result


def train_on(result, first_loss: float, after_first, step: Callable, loss_at: Callable) -> None:
    """The steps after the first one: the loss before each, the parameters and loss after the last.

    ``step(params)`` returns (loss before, parameters after); ``loss_at(params)`` the loss there.
    """
    result.history.append(first_loss)
    params = after_first
    for _ in range(result.problem.training.steps - 1):
        loss, params = step(params)
        result.history.append(loss)
    result.final = params
    result.final_loss = loss_at(params)


def _differentiate(problem: Problem, params: Parameters, work: HandWork | None = None) -> Compiled:
    """Forward and backward pass; a shared parameter used nowhere gets a zero gradient."""
    if work is None:
        compiled = forward(problem, params)
        backward(compiled.objective)
    else:
        rounder = work.rounder()
        compiled = forward(problem, params, rounder, work.on_value, fuse=work.exact_logits)
        if work.before_backward is not None:
            work.before_backward(compiled)
        backward(compiled.objective, rounder=rounder, on_grad=work.on_grad, vjp_for=work.vjp_for)
    if compiled.shared.grad is None:
        compiled.shared.grad = np.zeros_like(compiled.shared.value)
    return compiled


def _update(problem: Problem, params: Parameters, compiled: Compiled, rounder=None) -> Parameters:
    """One gradient-descent step; frozen parameters and missing entries stay as they are."""
    rate = problem.training.learning_rate
    layers = problem.network.layers

    def step(value, node, frozen):
        if frozen or rate == 0:
            return value
        moved = node.grad * -rate  # one new array, then in place: value - rate * grad
        moved += value
        return moved if rounder is None else rounder(moved)

    weights = [step(params.weights[i], nodes.weights, layer.weights.frozen)
               for i, (layer, nodes) in enumerate(zip(layers, compiled.layers))]
    biases = [None if layer.bias is None else step(params.biases[i], nodes.bias, layer.bias.frozen)
              for i, (layer, nodes) in enumerate(zip(layers, compiled.layers))]
    frozen = np.array([p.frozen for p in problem.shared], dtype=bool)
    shared = params.shared.copy()
    if rate and len(shared):
        shared[~frozen] -= rate * compiled.shared.grad[~frozen]
        if rounder is not None:
            shared = rounder(shared)
    return Parameters(weights, biases, shared)


def _param_result(entries: Entries, own, used, new_own: np.ndarray, new_shared: np.ndarray,
                  names: dict[str, int]) -> ParamResult:
    grad = np.array(own.grad, dtype=float, copy=True)
    for position in entries.shared:
        grad[position] = used.grad[position]
    if entries.absent is not None:
        grad[entries.absent] = np.nan
    value = used.value.astype(float, copy=True)
    if entries.absent is not None:
        value[entries.absent] = np.nan
    return ParamResult(value, grad, used_values(entries, new_own, new_shared, names), entries)


def _first_step(problem: Problem, compiled: Compiled, updated: Parameters) -> Result:
    names = {p.name: i for i, p in enumerate(problem.shared)}
    layers = []
    for i, (layer, nodes) in enumerate(zip(problem.network.layers, compiled.layers)):
        weights = _param_result(layer.weights, nodes.weights, nodes.weights_used, updated.weights[i],
                                updated.shared, names)
        bias = None if layer.bias is None else _param_result(
            layer.bias, nodes.bias, nodes.bias_used, updated.biases[i], updated.shared, names)
        last = i == len(problem.network.layers) - 1
        grad_act = output_act_gradient(problem, compiled) if last and compiled.from_logits \
            else nodes.act.grad
        layers.append(LayerResult(i + 1, layer.name, layer.activations, nodes.pre.value, nodes.act.value,
                                  np.asarray(grad_act, dtype=float), np.asarray(nodes.pre.grad, dtype=float),
                                  weights, bias, layer.bias_sign))
    shared = [SharedResult(p.name, float(compiled.shared.value[i]), float(compiled.shared.grad[i]),
                           float(updated.shared[i]), p.frozen, _uses(problem, p.name))
              for i, p in enumerate(problem.shared)]
    outputs, samples = problem.targets.shape[1], problem.targets.shape[0]
    loss = LossResult(
        value=float(compiled.objective.value),
        data=float(compiled.loss.total.value),
        penalty=0.0 if compiled.penalty is None else float(compiled.penalty.value),
        per_sample=compiled.loss.per_sample.value.copy(),
        formula=losses.formula(problem.loss, outputs, samples, problem.notation.loss))
    return Result(problem, layers, shared, loss)


def _uses(problem: Problem, name: str) -> list[str]:
    """Where a shared parameter is used, as 'layer.weights[2,1]' style references (1-based)."""
    uses = []
    for layer in problem.network.layers:
        for key, entries in (("weights", layer.weights), ("bias", layer.bias)):
            if entries is None:
                continue
            for position, used in entries.shared.items():
                if used == name:
                    uses.append(f"{layer.name}.{key}[{','.join(str(i + 1) for i in position)}]")
    return uses


def _warnings(result: Result) -> list[str]:
    """Non-finite values (log of 0, overflow) and derivatives taken at a kink."""
    found = []
    if not np.isfinite(result.loss.value):
        found.append("the loss is not finite: a logarithm of 0 or a negative number "
                     "(is the output activation right for this loss?)")
    output = result.layers[-1]
    saturated = output_from_logits(result.problem) and not np.isfinite(output.grad_act).all()
    if saturated:
        found.append(f"layer '{output.name}': the output rounds to exactly 0 or 1, so dL/da there is "
                     "infinite; the loss and the deltas are computed from z and stay exact")
    for layer in result.layers:
        for label, array in (("pre-activation", layer.pre), ("activation", layer.act),
                             ("dL/da", layer.grad_act), ("delta", layer.delta),
                             ("weight gradient", layer.weights.grad)):
            if saturated and layer is output and label == "dL/da":
                continue
            finite = np.isfinite(array) if label != "weight gradient" else ~np.isinf(array)  # NaN: no edge
            if not finite.all():
                found.append(f"layer '{layer.name}': {label} has non-finite values")
        kinked = [a.name for a in layer.activations
                  if a.name in _KINKED or (a.name == "elu" and dict(a.attrs).get("alpha", 1.0) != 1.0)]
        if kinked and (layer.pre == 0).any():
            found.append(f"layer '{layer.name}': a pre-activation is exactly 0, where {kinked[0]} has no "
                         "derivative; the left-hand derivative is used")
    return found
