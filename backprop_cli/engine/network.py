"""Layered networks, in every convention the format allows, recorded on a tape.

Samples are rows inside the engine: a layer computes ``Z = A W^T + b`` (orientation out_in) or
``Z = A W + b`` (in_out), with a column of ones before A when the bias is folded into the weights.
Slots carry labels that replays and results use: ``("weights", l)`` (the matrix as used), ``("pre", l)``,
``("act", l)``, ``("W", l)`` and ``("b", l)`` (own parameters), ``("shared",)``, ``("objective",)``.
"""

from __future__ import annotations

import numpy as np

from . import losses
from .model import Entries, Layer, Problem
from .ops import OPS
from .record import Record
from .tape import Interpreter, Tape


class Parameters(Record):
    """Current values of everything trainable: own weights and biases per layer, shared scalars."""

    weights: list[np.ndarray]
    biases: list[np.ndarray | None]
    shared: np.ndarray

    def __init__(self, weights: list[np.ndarray], biases: list[np.ndarray | None], shared: np.ndarray) -> None:
        self.weights, self.biases, self.shared = weights, biases, shared  # made at every training step

    @classmethod
    def initial(cls, problem: Problem) -> "Parameters":
        layers = problem.network.layers
        return cls([layer.weights.values.copy() for layer in layers],
                   [None if layer.bias is None else layer.bias.values.copy() for layer in layers],
                   np.array([p.value for p in problem.shared], dtype=float))


class LayerSlots(Record):
    """The slots of one layer that a result reports."""

    weights: int  # own weight parameters, file orientation
    weights_used: int  # the matrix actually used: own values, shared values, zeros where absent
    bias: int | None
    bias_used: int | None
    pre: int
    act: int


class Program(Record):
    """A problem recorded once: the tape, its layers' slots, the loss, and what is differentiated."""

    tape: Tape
    layers: list[LayerSlots]
    shared: int
    loss: losses.LossSlots
    penalty: int | None
    objective: int  # loss plus penalty
    from_logits: bool

    def leaves(self, params: Parameters) -> dict[int, np.ndarray]:
        """The parameter slots set to the given values, for a replay."""
        leaves = {self.shared: params.shared}
        for slots, weights, bias in zip(self.layers, params.weights, params.biases):
            leaves[slots.weights] = weights
            if slots.bias is not None:
                leaves[slots.bias] = bias
        return leaves


def used_values(entries: Entries, own: np.ndarray, shared: np.ndarray, names: dict[str, int]) -> np.ndarray:
    """Entries as the network uses them: own values, shared values where named, NaN where absent."""
    values = np.array(own, dtype=float, copy=True)
    for position, name in entries.shared.items():
        values[position] = shared[names[name]]
    if entries.absent is not None:
        values[entries.absent] = np.nan
    return values


def output_from_logits(problem: Problem) -> bool:
    """True when the loss is computed from the output pre-activation (sigmoid+BCE, softmax+CCE)."""
    activations = problem.network.layers[-1].activations
    return len(activations) == 1 and (problem.loss.kind, activations[0].name) in losses.FROM_LOGITS


def record(problem: Problem, fuse: bool = True, compact: bool = False) -> Program:
    """Record the forward pass of a problem at its initial parameter values.

    ``fuse=False`` takes the loss from the output activation even where taking it from z would be
    exact (the way a sheet works it by hand). ``compact`` records the loss as one step (``loss``), the
    same numbers in fewer steps, for a tape that training replays at every step; a hand calculation
    (rounded, or changed) wants each of its steps apart.
    """
    params = Parameters.initial(problem)
    names = {p.name: i for i, p in enumerate(problem.shared)}
    tape = Tape()
    shared = tape.leaf(params.shared, trainable=True, label=("shared",))
    network = problem.network
    act = tape.leaf(problem.inputs, label=("act", 0))
    ones = tape.leaf(np.ones((len(problem.inputs), 1))) if network.folded_bias else None
    product = "matmul_t" if network.orientation == "out_in" else "matmul"
    layers = []
    for i, layer in enumerate(network.layers):
        l = i + 1
        own_w = tape.leaf(params.weights[i], trainable=True, label=("W", l))
        weights = _used(tape, layer.weights, own_w, shared, names)
        tape.label(weights, ("weights", l))
        if ones is not None:
            act = tape.apply("concat", ones, act, axis=1)
        pre = tape.apply(product, act, weights)
        own_b = bias = None
        if layer.bias is not None:
            own_b = tape.leaf(params.biases[i], trainable=True, label=("b", l))
            bias = _used(tape, layer.bias, own_b, shared, names)
            pre = tape.apply("add" if layer.bias_sign > 0 else "sub", pre, bias)
        tape.label(pre, ("pre", l))
        act = _activate(tape, layer, pre)
        tape.label(act, ("act", l))
        layers.append(LayerSlots(own_w, weights, own_b, bias, pre, act))
    from_logits = fuse and output_from_logits(problem)
    prediction = layers[-1].pre if from_logits else layers[-1].act
    loss = losses.record(tape, problem.loss, prediction, problem.targets, from_logits, compact=compact)
    penalty = _penalty(tape, problem, layers, shared)
    objective = loss.total if penalty is None else tape.apply("add", loss.total, penalty)
    tape.label(objective, ("objective",))
    return Program(tape, layers, shared, loss, penalty, objective, from_logits)


def output_act_gradient(problem: Problem, act: np.ndarray) -> np.ndarray:
    """dL/da of the output layer when the loss was taken from logits: the loss differentiated in a."""
    tape = Tape()
    prediction = tape.leaf(act, trainable=True)
    loss = losses.record(tape, problem.loss, prediction, problem.targets)
    interpreter = Interpreter(tape)
    return interpreter.backward(tape.values, loss.total)[prediction]


def _used(tape: Tape, entries: Entries, own: int, shared: int, names: dict[str, int]) -> int:
    """The entries as used: own parameters where they exist, shared scalars where named, else 0."""
    mask = entries.own_mask
    if mask is None:
        return own
    if not entries.shared:
        return tape.apply("mask", own, keep=mask.astype(float))
    index = np.zeros(entries.values.shape, dtype=int)
    where = np.zeros(entries.values.shape)
    for position, name in entries.shared.items():
        index[position] = names[name]
        where[position] = 1.0
    return tape.apply("assemble", own, shared, keep=mask.astype(float), index=index, where=where)


def _activate(tape: Tape, layer: Layer, pre: int) -> int:
    if len(layer.activations) == 1:
        activation = layer.activations[0]
        return tape.apply(activation.name, pre, **dict(activation.attrs))
    result = None
    for activation in dict.fromkeys(layer.activations):
        keep = np.array([a == activation for a in layer.activations], dtype=float)
        part = tape.apply("mask", tape.apply(activation.name, pre, **dict(activation.attrs)), keep=keep)
        result = part if result is None else tape.apply("add", result, part)
    return result


def activation_derivative(activations: tuple, pre: np.ndarray, act: np.ndarray, rule=None) -> np.ndarray:
    """g'(z) of each sample (row) and unit: the factor the backward pass multiplies dL/da by, from the
    activation's own VJP (``rule(op)`` gives another); NaN for softmax, which has no factor per unit."""
    slopes = np.full(np.shape(pre), np.nan)
    ones = np.ones(np.shape(pre))
    for activation in dict.fromkeys(activations):
        if activation.name == "softmax":
            continue
        op = OPS[activation.name]
        vjp = op.vjp(0) if rule is None else rule(op)
        units = [a == activation for a in activations] if len(activations) > 1 else slice(None)
        with np.errstate(all="ignore"):
            slopes[:, units] = vjp(ones, act, pre, **dict(activation.attrs))[:, units]
    return slopes


def weighted_sum(network, inputs: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Σ_k w_jk a_k of each sample (row) and unit: z without the bias (a folded bias row or column left
    out), from the weights as used (0 where absent)."""
    if network.folded_bias:
        weights = weights[:, 1:] if network.orientation == "out_in" else weights[1:, :]
    product = OPS["matmul_t" if network.orientation == "out_in" else "matmul"]
    with np.errstate(all="ignore"):
        return product.forward(inputs, weights)


def bias_part(entries: Entries, network) -> np.ndarray | None:
    """With a folded bias, True at the bias row (in_out) or column (out_in) of a weight matrix."""
    if not network.folded_bias:
        return None
    part = np.zeros(entries.values.shape, dtype=bool)
    if network.orientation == "in_out":
        part[0, :] = True
    else:
        part[:, 0] = True
    return part


def _penalty(tape: Tape, problem: Problem, layers: list[LayerSlots], shared: int) -> int | None:
    """lambda * (sum of squared weights [and biases]), each shared parameter counted once."""
    l2 = problem.training.l2
    if l2 is None or l2.strength == 0.0:
        return None
    squares, penalised = [], set()
    for spec, slots in zip(problem.network.layers, layers):
        folded = None if l2.include_bias else bias_part(spec.weights, problem.network)
        squares.append(losses.sum_of_squares(tape, slots.weights, None if folded is None else ~folded))
        penalised |= {name for position, name in spec.weights.shared.items()
                      if folded is None or not folded[position]}
        if spec.bias is not None and l2.include_bias:
            squares.append(losses.sum_of_squares(tape, slots.bias))
            penalised |= set(spec.bias.shared.values())
    if penalised:
        squares.append(losses.sum_of_squares(tape, shared, [p.name in penalised for p in problem.shared]))
    return losses.penalty(tape, squares, l2.strength)
