"""An independent reference for layered problems: the format's meaning written directly in
autograd.numpy, differentiated by autograd, shared by no code with the engine beyond the parsed Problem.

Every quantity the tool reports is obtained here as a gradient of one scalar function: deltas and
dL/da through zero shifts added to z and a, per-entry weight gradients through a zero shift added to
each matrix as used.
"""

from __future__ import annotations

from dataclasses import dataclass

import autograd.numpy as anp
import numpy as np
from autograd import grad

from backprop_cli.engine.model import Entries, Problem


def _sigmoid(z):
    return 1.0 / (1.0 + anp.exp(-z))


def _softmax(z):
    e = anp.exp(z - anp.max(z, axis=1, keepdims=True))
    return e / anp.sum(e, axis=1, keepdims=True)


FUNCTIONS = {
    "identity": lambda z, **_: z,
    "sigmoid": lambda z, **_: _sigmoid(z),
    "tanh": lambda z, **_: anp.tanh(z),
    "relu": lambda z, **_: anp.where(z > 0, z, 0.0),
    "leaky_relu": lambda z, slope=0.01: anp.where(z > 0, z, slope * z),
    "softplus": lambda z, **_: anp.log(1.0 + anp.exp(z)),
    "elu": lambda z, alpha=1.0: anp.where(z > 0, z, alpha * (anp.exp(anp.minimum(z, 0.0)) - 1.0)),
}


def _activate(layer, z):
    if len(layer.activations) == 1 and layer.activations[0].name == "softmax":
        return _softmax(z)
    columns = []
    for j in range(layer.units):
        activation = layer.activations[0] if len(layer.activations) == 1 else layer.activations[j]
        columns.append(FUNCTIONS[activation.name](z[:, j], **dict(activation.attrs)))
    return anp.stack(columns, axis=1)


def _used(entries: Entries, own, shared, names, shift):
    """own where an entry is its own parameter, the named shared value where it uses one, else 0."""
    shape = entries.values.shape
    own_mask = np.ones(shape)
    one_hot = np.zeros(shape + (max(len(names), 1),))
    if entries.absent is not None:
        own_mask[entries.absent] = 0.0
    for position, name in entries.shared.items():
        own_mask[position] = 0.0
        one_hot[position + (names[name],)] = 1.0
    from_shared = anp.dot(one_hot, shared) if len(names) else 0.0
    return own * own_mask + from_shared + shift


def _element_loss(kind, a, y):
    if kind == "squared_error":
        return (a - y) ** 2
    if kind == "binary_cross_entropy":
        return -(y * anp.log(a) + (1.0 - y) * anp.log(1.0 - a))
    return -y * anp.log(a)


def objective(problem: Problem, weights, biases, shared, z_shift, a_shift, w_shift, b_shift,
              trace=None):
    """The loss plus penalty as a function of everything the tool differentiates."""
    names = {p.name: i for i, p in enumerate(problem.shared)}
    network = problem.network
    a = problem.inputs
    for i, layer in enumerate(network.layers):
        w = _used(layer.weights, weights[i], shared, names, w_shift[i])
        if network.folded_bias:
            a = anp.concatenate([np.ones((a.shape[0], 1)), a], axis=1)
        z = anp.dot(a, anp.transpose(w)) if network.orientation == "out_in" else anp.dot(a, w)
        if layer.bias is not None:
            z = z + layer.bias_sign * _used(layer.bias, biases[i], shared, names, b_shift[i])
        z = z + z_shift[i]
        a = _activate(layer, z) + a_shift[i]
        if trace is not None:
            trace.append((z, a))
    loss = problem.loss
    terms = _element_loss(loss.kind, a, problem.targets)
    per_sample = anp.sum(terms, axis=1) if loss.outputs == "sum" else anp.mean(terms, axis=1)
    data = loss.factor * (anp.sum(per_sample) if loss.samples == "sum" else anp.mean(per_sample))
    l2 = problem.training.l2
    if l2 is None:
        return data
    penalty = 0.0
    for i, layer in enumerate(network.layers):
        keep = _own(layer.weights)
        if network.folded_bias and not l2.include_bias:  # the folded bias row/column is a bias
            keep = keep.copy()
            if network.orientation == "in_out":
                keep[0, :] = 0.0
            else:
                keep[:, 0] = 0.0
        penalty = penalty + anp.sum(weights[i] ** 2 * keep)
        if l2.include_bias and layer.bias is not None:
            penalty = penalty + anp.sum(biases[i] ** 2 * _own(layer.bias))
    folded_row = 0 if network.orientation == "in_out" else 1
    used_as = {n for layer in network.layers for position, n in layer.weights.shared.items()
               if l2.include_bias or not network.folded_bias or position[folded_row] != 0}
    if l2.include_bias:
        used_as |= {n for layer in network.layers if layer.bias is not None for n in layer.bias.shared.values()}
    mask = np.array([p.name in used_as for p in problem.shared], dtype=float)
    if len(mask):
        penalty = penalty + anp.sum(shared ** 2 * mask)
    return data + l2.strength * penalty


def _own(entries: Entries) -> np.ndarray:
    mask = entries.own_mask
    return np.ones(entries.values.shape) if mask is None else mask.astype(float)


@dataclass
class Reference:
    """Independent values and gradients of one step of a problem."""

    pre: list[np.ndarray]
    act: list[np.ndarray]
    loss: float
    delta: list[np.ndarray]
    grad_act: list[np.ndarray]
    grad_weights: list[np.ndarray]  # own parameters
    grad_biases: list[np.ndarray | None]
    grad_shared: np.ndarray
    grad_weights_used: list[np.ndarray]  # per entry as used (per use for shared entries)
    grad_biases_used: list[np.ndarray | None]


def arguments(problem: Problem):
    """The zero-shift starting point: initial parameters and zero shifts of every shape."""
    layers = problem.network.layers
    samples = len(problem.inputs)
    weights = [layer.weights.values.copy() for layer in layers]
    biases = [np.zeros(1) if layer.bias is None else layer.bias.values.copy() for layer in layers]
    shared = np.array([p.value for p in problem.shared], dtype=float)
    zeros = [np.zeros((samples, layer.units)) for layer in layers]
    w_shift = [np.zeros_like(w) for w in weights]
    b_shift = [np.zeros_like(b) for b in biases]
    return [weights, biases, shared, zeros, [z.copy() for z in zeros], w_shift, b_shift]


def reference(problem: Problem) -> Reference:
    """Values by a direct forward pass, every gradient by autograd."""
    args = arguments(problem)
    trace: list = []
    loss = objective(problem, *args, trace=trace)
    grads = [grad(lambda *a, k=k: objective(problem, *a), k)(*args) for k in range(7)]
    has_bias = [layer.bias is not None for layer in problem.network.layers]
    return Reference(
        pre=[np.asarray(z) for z, _ in trace], act=[np.asarray(a) for _, a in trace], loss=float(loss),
        delta=grads[3], grad_act=grads[4], grad_weights=grads[0],
        grad_biases=[g if b else None for g, b in zip(grads[1], has_bias)],
        grad_shared=np.asarray(grads[2]), grad_weights_used=grads[5],
        grad_biases_used=[g if b else None for g, b in zip(grads[6], has_bias)])
