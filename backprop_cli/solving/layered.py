"""Layered networks: what ``work`` needs to solve one (record, initial parameters, update, the result
of the first step laid out layer by layer, warnings)."""

from __future__ import annotations

from weakref import WeakKeyDictionary

import numpy as np

from ..engine import losses, network, optimizers
from ..engine.model import Entries, Problem
from ..engine.optimizers import Moments
from ..engine.network import Parameters, Program, output_act_gradient, output_from_logits, used_values
from ..engine.tape import Interpreter
from .results import Built, LayerResult, LossResult, ParamResult, Result, SharedResult

_KINKED = {"relu", "leaky_relu"}

Grads = list  # gradient of every slot (None where nothing flows)


def record(problem: Problem, by_hand: bool = False, rewrite=None, compact: bool = False) -> Program:
    """The network recorded on a tape; ``by_hand`` takes the loss from the output activation, as a
    sheet does, even where taking it from z would be exact; ``compact`` records it in fewer, larger
    steps, with the same numbers, for training. (``rewrite`` is for graphs.)"""
    return network.record(problem, fuse=not by_hand, compact=compact and not by_hand)


def samples(problem: Problem) -> int:
    return len(problem.inputs)


def batch(problem: Problem, indices: np.ndarray) -> Problem:
    """The problem restricted to some samples (itself when it is all of them, in order)."""
    if len(indices) == len(problem.inputs) and (indices == np.arange(len(indices))).all():
        return problem
    return problem._replace(inputs=problem.inputs[indices], targets=problem.targets[indices])


def batch_leaves(program: Program, problem: Problem, indices: np.ndarray) -> dict[int, np.ndarray]:
    """The input and target leaves of a program recorded for a batch, set to these samples."""
    slots = program.tape.slots
    return {slots[("act", 0)]: problem.inputs[indices], slots[("target",)]: problem.targets[indices]}


def moves(entries: Entries) -> bool:
    """Whether training moves a weight matrix or bias vector of its own: not frozen, and some entry
    its own (not every one shared or absent)."""
    return not entries.frozen and entries.has_own


def trained_leaves(problem: Problem, program: Program) -> frozenset[int]:
    """The parameter slots training moves: the others' gradients need not be worked out."""
    slots = set()
    for layer, layer_slots in zip(problem.network.layers, program.layers):
        if moves(layer.weights):
            slots.add(layer_slots.weights)
        if layer.bias is not None and moves(layer.bias):
            slots.add(layer_slots.bias)
    if any(not p.frozen for p in problem.shared):
        slots.add(program.shared)
    return frozenset(slots)


def with_parameters(problem: Problem, params: Parameters) -> Problem:
    """The problem with these parameter values as its initial ones."""
    network = problem.network
    layers = tuple(layer._replace(weights=layer.weights._replace(values=np.array(params.weights[i], copy=True)),
                                  bias=None if layer.bias is None else
                                  layer.bias._replace(values=np.array(params.biases[i], copy=True)))
                   for i, layer in enumerate(network.layers))
    shared = tuple(p._replace(value=float(v)) for p, v in zip(problem.shared, params.shared))
    return problem._replace(network=network._replace(layers=layers), shared=shared)


def initial(problem: Problem) -> Parameters:
    return Parameters.initial(problem)


def _grad(grads: Grads, slot: int, like: np.ndarray) -> np.ndarray:
    grad = grads[slot]
    return np.zeros_like(like) if grad is None else grad


def update(problem: Problem, params: Parameters, program: Program, grads: Grads,
           interpreter: Interpreter, moments: Moments) -> Parameters:
    """One step of the problem's optimizer; frozen parameters and missing entries stay as they are."""
    rate = problem.training.learning_rate
    settle = interpreter.update
    moments.t += 1
    weights, biases = list(params.weights), list(params.biases)
    known = _MOVING.get(problem)
    moving, shared_moving = known if known is not None else _MOVING.setdefault(problem, _moving(problem))
    for key, i in moving:
        own = key[0] == "W"
        values = weights if own else biases
        slot = program.layers[i].weights if own else program.layers[i].bias
        moved = optimizers.step(moments, key, rate, values[i], _grad(grads, slot, values[i]))
        values[i] = moved if settle is None else settle(moved)
    shared = params.shared
    if shared_moving is not False:
        shared = optimizers.step(moments, ("shared",), rate, shared, _grad(grads, program.shared, shared),
                                 shared_moving)
        shared = shared if settle is None else settle(shared)
    return Parameters(weights, biases, shared)


_MOVING: "WeakKeyDictionary[Problem, tuple]" = WeakKeyDictionary()  # by problem: what ``update`` moves


def _moving(problem: Problem) -> tuple[tuple[tuple[tuple[str, int], int], ...], np.ndarray | bool | None]:
    """What an update moves, worked out once for a problem (training updates it at every step): the
    weights and biases of each layer that move, as (key, layer index), in order; and for the shared
    parameters False (they all stay), None (they all move) or where they move."""
    rate = problem.training.learning_rate
    stateless = problem.training.optimizer.plain  # an entry with no gradient of its own then stays as it is

    def still(entries) -> bool:
        return entries is None or rate == 0 or entries.frozen or (stateless and not moves(entries))

    moving = []
    for i, layer in enumerate(problem.network.layers):
        moving += [((name, i + 1), i) for name, entries in (("W", layer.weights), ("b", layer.bias))
                   if not still(entries)]
    frozen = np.array([p.frozen for p in problem.shared], dtype=bool)
    shared = False if not rate or not len(frozen) or frozen.all() else None if not frozen.any() else ~frozen
    return tuple(moving), shared


def _param_result(entries: Entries, own: int, used: int, values: list, grads: Grads, new_own: np.ndarray,
                  new_shared: np.ndarray, names: dict[str, int]) -> ParamResult:
    grad = np.array(_grad(grads, own, values[own]), dtype=float, copy=True)
    for position in entries.shared:
        grad[position] = _grad(grads, used, values[used])[position]
    if entries.absent is not None:
        grad[entries.absent] = np.nan
    value = values[used].astype(float, copy=True)
    if entries.absent is not None:
        value[entries.absent] = np.nan
    return ParamResult(value, grad, used_values(entries, new_own, new_shared, names), entries)


def lay_out(problem: Problem, program: Program, values: list, grads: Grads, updated: Parameters) -> Result:
    """The result of the first step, layer by layer."""
    names = {p.name: i for i, p in enumerate(problem.shared)}
    count = len(problem.network.layers)

    def layer_result(i: int) -> LayerResult:
        layer, slots = problem.network.layers[i], program.layers[i]
        weights = _param_result(layer.weights, slots.weights, slots.weights_used, values, grads,
                                updated.weights[i], updated.shared, names)
        bias = None if layer.bias is None else _param_result(
            layer.bias, slots.bias, slots.bias_used, values, grads, updated.biases[i], updated.shared, names)
        act = values[slots.act]
        if i == count - 1 and program.from_logits:
            grad_act = output_act_gradient(problem, act)
        else:
            grad_act = _grad(grads, slots.act, act)
        pre = values[slots.pre]
        inputs = values[program.layers[i - 1].act] if i else values[program.tape.slots[("act", 0)]]
        return LayerResult(i + 1, layer.name, layer.activations, pre, act,
                           np.asarray(grad_act, dtype=float),
                           np.asarray(_grad(grads, slots.pre, pre), dtype=float),
                           weights, bias, layer.bias_sign,
                           g_prime=network.activation_derivative(layer.activations, pre, act),
                           weighted=network.weighted_sum(problem.network, inputs, values[slots.weights_used]))
    layers = Built(count, layer_result)  # a replay that is asked for one layer lays out only that one
    shared_grad = _grad(grads, program.shared, values[program.shared])
    uses = _uses(problem)
    shared = [SharedResult(p.name, float(values[program.shared][i]), float(shared_grad[i]),
                           float(updated.shared[i]), p.frozen, uses.get(p.name, []))
              for i, p in enumerate(problem.shared)]
    outputs, samples = problem.targets.shape[1], problem.targets.shape[0]
    loss = LossResult(
        value=float(values[program.objective]),
        data=float(values[program.loss.total]),
        penalty=0.0 if program.penalty is None else float(values[program.penalty]),
        per_sample=np.array(losses.per_sample(program.tape, program.loss, values), dtype=float),
        formula=losses.formula(problem.loss, outputs, samples, problem.notation.loss))
    return Result(problem, layers, shared, loss)


def _uses(problem: Problem) -> dict[str, list[str]]:
    """Where each shared parameter is used, as 'layer.weights[2,1]' style references (1-based)."""
    uses: dict[str, list[str]] = {}
    for layer in problem.network.layers:
        for key, entries in (("weights", layer.weights), ("bias", layer.bias)):
            if entries is None:
                continue
            for position, used in entries.shared.items():
                uses.setdefault(used, []).append(f"{layer.name}.{key}[{','.join(str(i + 1) for i in position)}]")
    return uses


def warnings(result: Result) -> list[str]:
    """Non-finite values (log of 0, overflow), derivatives taken at a kink, layers without links,
    updates that overflow."""
    found = []
    network = result.problem.network
    square = [spec.name for spec in network.layers  # square, and not the same either way round
              if spec.weights.values.shape[0] == spec.weights.values.shape[1] > 1
              and not np.array_equal(spec.weights.values, spec.weights.values.T)]
    if square and not network.orientation_stated:
        found.append(f"the weights of {', '.join(repr(name) for name in square)} are square and the file does not "
                     "say which way round they are: read as out_in (row j is a unit of the layer, column k an "
                     "input); write network.orientation (out_in or in_out) as the sheet's picture has it")
    for spec in network.layers:
        if spec.weights.absent is not None and spec.weights.absent.all():
            found.append(f"layer '{spec.name}' has no connections (every weight is null): its values do not "
                         "depend on the layer before")
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
    updated = [p.updated for layer in result.layers for p in (layer.weights, layer.bias) if p is not None]
    updated += [np.array([p.updated for p in result.shared])]
    if result.trained and any(np.isinf(u).any() or (np.isnan(u).any() and np.isfinite(result.loss.value))
                              for u in updated):
        found.append("the update gives parameters that are not finite (an overflow: is the learning rate right?)")
    return found
