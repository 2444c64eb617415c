"""Layered networks, in every convention the format allows, compiled onto the graph engine.

Samples are rows inside the engine: a layer computes ``Z = A W^T + b`` (orientation out_in) or
``Z = A W + b`` (in_out), with a column of ones before A when the bias is folded into the weights.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from . import losses
from .graph import Node, apply, backward, constant, parameter
from .problem import Entries, Layer, Problem


@dataclass(eq=False)
class Parameters:
    """Current values of everything trainable: own weights and biases per layer, shared scalars."""

    weights: list[np.ndarray]
    biases: list[np.ndarray | None]
    shared: np.ndarray

    @classmethod
    def initial(cls, problem: Problem) -> "Parameters":
        layers = problem.network.layers
        return cls([layer.weights.values.copy() for layer in layers],
                   [None if layer.bias is None else layer.bias.values.copy() for layer in layers],
                   np.array([p.value for p in problem.shared], dtype=float))


@dataclass(eq=False)
class LayerNodes:
    """The nodes of one layer that a result reports."""

    weights: Node  # own weight parameters, file orientation
    weights_used: Node  # the matrix actually used: own values, shared values, zeros where absent
    bias: Node | None
    bias_used: Node | None
    pre: Node
    act: Node


@dataclass(eq=False)
class Compiled:
    """One forward pass of a problem: per-layer nodes, shared parameters and the loss."""

    layers: list[LayerNodes]
    shared: Node
    loss: losses.LossNodes
    penalty: Node | None
    objective: Node  # loss plus penalty: what the backward pass differentiates
    from_logits: bool


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


ValueHook = Callable[[str, int, Node], None]


def forward(problem: Problem, params: Parameters, rounder=None, on_value: ValueHook | None = None,
            fuse: bool = True) -> Compiled:
    """Build and evaluate the graph of a problem at the given parameter values.

    ``on_value(kind, layer, node)`` sees each weight matrix as used ("weights"), pre-activation ("pre")
    and activation ("act") as soon as it is computed and may change it; ``fuse=False`` takes the loss from the output activation even
    where taking it from z would be exact (the way a sheet works it by hand).
    """
    names = {p.name: i for i, p in enumerate(problem.shared)}
    shared = parameter(params.shared, "shared")
    network = problem.network
    act = constant(problem.inputs, "input")
    layer_nodes = []
    for i, layer in enumerate(network.layers):
        own_w = parameter(params.weights[i], f"W{i + 1}")
        weights = _used(layer.weights, own_w, shared, names, rounder)
        if on_value is not None:
            on_value("weights", i + 1, weights)
        if network.folded_bias:
            act = apply("concat", constant(np.ones((len(problem.inputs), 1))), act, axis=1)
        product = "matmul_t" if network.orientation == "out_in" else "matmul"
        pre = apply(product, act, weights, rounder=rounder)
        own_b = bias = None
        if layer.bias is not None:
            own_b = parameter(params.biases[i], f"b{i + 1}")
            bias = _used(layer.bias, own_b, shared, names, rounder)
            pre = apply("add" if layer.bias_sign > 0 else "sub", pre, bias, rounder=rounder)
        if on_value is not None:
            on_value("pre", i + 1, pre)
        act = _activate(layer, pre, rounder)
        if on_value is not None:
            on_value("act", i + 1, act)
        layer_nodes.append(LayerNodes(own_w, weights, own_b, bias, pre, act))
    from_logits = fuse and output_from_logits(problem)
    prediction = layer_nodes[-1].pre if from_logits else layer_nodes[-1].act
    loss = losses.build(problem.loss, prediction, problem.targets, from_logits, rounder)
    penalty = _penalty(problem, layer_nodes, shared, rounder)
    objective = loss.total if penalty is None else apply("add", loss.total, penalty, rounder=rounder)
    return Compiled(layer_nodes, shared, loss, penalty, objective, from_logits)


def output_act_gradient(problem: Problem, compiled: Compiled) -> np.ndarray:
    """dL/da of the output layer when the loss was taken from logits: the loss differentiated in a."""
    prediction = parameter(compiled.layers[-1].act.value)
    loss = losses.build(problem.loss, prediction, problem.targets)
    backward(loss.total)
    return prediction.grad


def _used(entries: Entries, own: Node, shared: Node, names: dict[str, int], rounder) -> Node:
    """The entries as used: own parameters where they exist, shared scalars where named, else 0."""
    mask = entries.own_mask
    if mask is None:
        return own
    used = apply("mul", own, constant(mask.astype(float)))
    if entries.shared:
        index = np.zeros(entries.values.shape, dtype=int)
        where = np.zeros(entries.values.shape)
        for position, name in entries.shared.items():
            index[position] = names[name]
            where[position] = 1.0
        picked = apply("mul", apply("take", shared, index=index), constant(where))
        used = apply("add", used, picked, rounder=rounder)
    return used


def _activate(layer: Layer, pre: Node, rounder) -> Node:
    if len(layer.activations) == 1:
        activation = layer.activations[0]
        return apply(activation.name, pre, rounder=rounder, **dict(activation.attrs))
    result = None
    for activation in dict.fromkeys(layer.activations):
        mask = np.array([a == activation for a in layer.activations], dtype=float)
        part = apply("mul", apply(activation.name, pre, **dict(activation.attrs)), constant(mask))
        result = part if result is None else apply("add", result, part)
    return apply("identity", result, rounder=rounder)


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


def _penalty(problem: Problem, layers: list[LayerNodes], shared: Node, rounder) -> Node | None:
    """lambda * (sum of squared weights [and biases]), each shared parameter counted once."""
    l2 = problem.training.l2
    if l2 is None or l2.strength == 0.0:
        return None
    squares, penalised = [], set()
    for spec, nodes in zip(problem.network.layers, layers):
        folded = None if l2.include_bias else bias_part(spec.weights, problem.network)
        squares.append(losses.sum_of_squares(nodes.weights, None if folded is None else ~folded))
        penalised |= {name for position, name in spec.weights.shared.items()
                      if folded is None or not folded[position]}
        if spec.bias is not None and l2.include_bias:
            squares.append(losses.sum_of_squares(nodes.bias))
            penalised |= set(spec.bias.shared.values())
    if penalised:
        squares.append(losses.sum_of_squares(shared, [p.name in penalised for p in problem.shared]))
    return losses.penalty(squares, l2.strength, rounder)
