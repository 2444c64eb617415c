"""The op registry: for each primitive, a forward function and one vector-Jacobian product per input.

A VJP is called as ``vjp(g, out, *inputs, **attrs)`` and returns the gradient for its input, shaped
like that input: ``g`` is the gradient of the loss with respect to the op's output ``out``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Callable

import numpy as np

from .record import Fresh, Record

Array = np.ndarray
VJP = Callable[..., Array]


class Op(Record):
    """A primitive: its forward function and the VJP of each input (or one rule for any input)."""

    name: str
    forward: Callable[..., Array]
    vjps: tuple[VJP, ...] = ()
    variadic_vjp: Callable[[int], VJP] | None = None
    attrs: dict[str, float] = Fresh(dict)  # attribute names with defaults
    moves: bool = False  # only selects, moves or masks values: a hand calculation never rounds it

    def vjp(self, index: int) -> VJP:
        """The VJP for input ``index``; a missing rule is an error naming the op and the input."""
        if self.variadic_vjp is not None:
            return self.variadic_vjp(index)
        if index >= len(self.vjps):
            raise NotImplementedError(f"op '{self.name}' has no gradient rule for input {index + 1}")
        return self.vjps[index]


OPS: dict[str, Op] = {}
ACTIVATIONS: dict[str, Op] = {}  # the subset a layer may use as its activation


def defop(name: str, forward: Callable[..., Array], *vjps: VJP,
          variadic_vjp: Callable[[int], VJP] | None = None, attrs: dict[str, float] | None = None,
          activation: bool = False, moves: bool = False) -> Op:
    """Register a primitive and return it."""
    op = Op(name, forward, tuple(vjps), variadic_vjp, dict(attrs or {}), moves)
    OPS[name] = op
    if activation:
        ACTIVATIONS[name] = op
    return op


def unbroadcast(grad: Array, shape: tuple[int, ...]) -> Array:
    """Sum a broadcast gradient back down to ``shape``."""
    if grad.shape == shape:
        return grad
    if grad.ndim >= len(shape):
        leading, kept = _broadcast_axes(grad.shape, shape)
    else:  # fewer axes than the input: no broadcast to undo, only the reshape below
        grad = grad.sum(axis=())
        leading, kept = (), tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if leading:
        grad = np.add.reduce(grad, axis=leading)
    if kept:
        grad = np.add.reduce(grad, axis=kept, keepdims=True)
    return grad if type(grad) is np.ndarray and grad.shape == shape else grad.reshape(shape)


@lru_cache(maxsize=256)
def _broadcast_axes(grown: tuple[int, ...], shape: tuple[int, ...]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The axes broadcasting from ``shape`` to ``grown`` added in front, and those it stretched from 1."""
    extra = len(grown) - len(shape)
    return (tuple(range(extra)),
            tuple(i for i, n in enumerate(shape) if n == 1 and grown[extra + i] != 1))


def _t(a: Array) -> Array:
    """The last two axes swapped (a view)."""
    return a.swapaxes(-1, -2) if type(a) is np.ndarray else np.swapaxes(a, -1, -2)


def _shape(a) -> tuple[int, ...]:
    """``np.shape(a)``, read directly off an array."""
    return a.shape if type(a) is np.ndarray else np.shape(a)


def _sigmoid(z: Array) -> Array:
    """1 / (1 + e) where z >= 0, else e / (1 + e), with e = exp(-|z|) <= 1: neither side overflows.
    The numerator is exp(fmin(z, 0)), 1 or e, found without a select (np.where costs as much as the
    rest); fmin makes it 1 at a NaN, so that the NaN of the denominator comes out, as it did."""
    return _divide(_exp(_fmin(z, _ZERO)), _add(_exp(_copysign(z, _MINUS_ONE)), _ONE))


def _sigmoid_vjp(g: Array, out: Array, z: Array) -> Array:
    return g * out * _subtract(_ONE, out)


_divide, _exp, _fmin, _add, _subtract, _copysign = np.divide, np.exp, np.fmin, np.add, np.subtract, np.copysign
# Constants of the ops training repeats most, as 0-d arrays: NumPy converts a Python float anew at
# each call, which costs a third of an operation on a small array; the numbers are the same.
_ZERO, _ONE, _MINUS_ONE = np.array(0.0), np.array(1.0), np.array(-1.0)


def _log_softmax(z: Array, axis: int = -1) -> Array:
    shifted = z - np.max(z, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def _softplus(z: Array) -> Array:
    return np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))


# Arithmetic --------------------------------------------------------------------------------------
defop("add", np.add,
      lambda g, out, a, b: unbroadcast(g, _shape(a)),
      lambda g, out, a, b: unbroadcast(g, _shape(b)))
defop("sub", np.subtract,
      lambda g, out, a, b: unbroadcast(g, _shape(a)),
      lambda g, out, a, b: unbroadcast(-g, _shape(b)))
defop("mul", np.multiply,
      lambda g, out, a, b: unbroadcast(g * b, _shape(a)),
      lambda g, out, a, b: unbroadcast(g * a, _shape(b)))
defop("div", np.divide,
      lambda g, out, a, b: unbroadcast(g / b, np.shape(a)),
      lambda g, out, a, b: unbroadcast(-g * a / (b * b), np.shape(b)))
defop("neg", np.negative, lambda g, out, a: -g)
defop("pow", np.power,
      lambda g, out, a, b: unbroadcast(g * np.where(b == 0, 0.0, b * np.power(a, b - 1)), np.shape(a)),
      lambda g, out, a, b: unbroadcast(g * out * np.log(np.where(a > 0, a, 1.0)), np.shape(b)))
defop("matmul", np.matmul,
      lambda g, out, a, b: g @ _t(b) if np.ndim(b) > 1 else np.multiply.outer(g, b),
      lambda g, out, a, b: _t(a) @ g if np.ndim(a) > 1 else np.multiply.outer(a, g))
# A W^T, the out_in layer: the gradient of W comes out in W's own memory order, not as a transposed view.
defop("matmul_t", lambda a, b: a @ _t(b),
      lambda g, out, a, b: g @ b,
      lambda g, out, a, b: _t(g) @ a)
defop("transpose", _t, lambda g, out, a: _t(g), moves=True)


def _sum_vjp(g: Array, out: Array, a: Array, axis=None, keepdims: bool = False) -> Array:
    """``g`` spread back over the entries that were summed: the values ``np.broadcast_to`` would show,
    in a new array where ``g`` is stretched (a broadcast view costs more to build than a small copy)."""
    shape = _shape(a)
    if axis is not None and not keepdims:
        kept = _kept_shape(shape, axis, _shape(g)) if type(axis) in (int, tuple) else None
        if kept is None:
            g = np.expand_dims(g, axis)
        else:  # the view np.expand_dims makes
            g = g.reshape(kept) if type(g) is np.ndarray else np.reshape(g, kept)
    grown = _shape(g)
    if grown == shape:
        return g if type(g) is np.ndarray else np.asarray(g)
    if len(grown) > len(shape):
        return np.broadcast_to(g, shape)  # not a sum's gradient: refused as broadcast_to refuses it
    spread = np.empty(shape, dtype=np.result_type(g))
    spread[...] = g
    return spread


@lru_cache(maxsize=256)
def _kept_shape(shape: tuple[int, ...], axis, summed: tuple[int, ...]) -> tuple[int, ...] | None:
    """``shape`` with the summed axes as 1 (what ``np.expand_dims`` makes of a gradient of shape
    ``summed``), or None where ``summed`` is not the shape of that sum."""
    ndim = len(shape)
    axes = axis if type(axis) is tuple else (axis,)
    if not all(type(i) is int and -ndim <= i < ndim for i in axes) or len({i % ndim for i in axes}) < len(axes):
        return None
    axes = {i % ndim for i in axes}
    if tuple(n for i, n in enumerate(shape) if i not in axes) != summed:
        return None
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


defop("sum", lambda a, axis=None, keepdims=False: np.add.reduce(a, axis=axis, keepdims=keepdims), _sum_vjp)
defop("mean", lambda a, axis=None, keepdims=False: np.mean(a, axis=axis, keepdims=keepdims),
      lambda g, out, a, axis=None, keepdims=False:
      _sum_vjp(g, out, a, axis, keepdims) * (np.size(out) / np.size(a)))


def _take_vjp(g: Array, out: Array, a: Array, index) -> Array:
    grad = np.zeros(np.shape(a))
    np.add.at(grad, index, g)
    return grad


defop("take", lambda a, index: np.asarray(a)[index], _take_vjp, moves=True)


def _assemble(own: Array, shared: Array, keep: Array, index: Array, where: Array) -> Array:
    return own * keep + shared[index] * where


def _assemble_shared_vjp(g: Array, out: Array, own: Array, shared: Array, keep: Array, index: Array,
                         where: Array) -> Array:
    grad = np.zeros(np.shape(shared))
    np.add.at(grad, index, g * where)
    return grad


# A weight matrix as a layer uses it: its own entries where ``keep``, a shared scalar where ``where``
# (``index`` says which), 0 where there is no connection.
defop("assemble", _assemble, lambda g, out, own, shared, keep, index, where: g * keep, _assemble_shared_vjp,
      moves=True)


def _concat_vjp(i: int) -> VJP:
    def vjp(g: Array, out: Array, *parts: Array, axis: int = 0) -> Array:
        start = sum(np.shape(p)[axis] for p in parts[:i])
        stop = start + np.shape(parts[i])[axis]
        return np.take(g, np.arange(start, stop), axis=axis)
    return vjp


defop("concat", lambda *parts, axis=0: np.concatenate(parts, axis=axis), variadic_vjp=_concat_vjp, moves=True)

def _index_vjp(g: Array, out: Array, a: Array, key) -> Array:
    grad = np.zeros(np.shape(a))
    np.add.at(grad, key, g)
    return grad


defop("index", lambda a, key: np.asarray(a)[key], _index_vjp, moves=True)
defop("stack", lambda *parts: np.stack(parts), variadic_vjp=lambda i: lambda g, out, *parts: g[i], moves=True)
defop("reshape", lambda a, shape: np.reshape(a, shape), lambda g, out, a, shape: np.reshape(g, np.shape(a)),
      moves=True)
defop("mask", lambda a, keep: a * keep, lambda g, out, a, keep: g * keep, moves=True)


def _extreme_vjp(g: Array, out: Array, a: Array, axis=None) -> Array:
    """The gradient goes to the entries that attain the extreme, shared equally between ties."""
    kept = out if axis is None else np.expand_dims(out, axis)
    hits = (a == kept).astype(float)
    share = hits / hits.sum(axis=axis, keepdims=axis is not None)
    return (g if axis is None else np.expand_dims(g, axis)) * share


defop("max", lambda a, axis=None: np.max(a, axis=axis), _extreme_vjp)
defop("min", lambda a, axis=None: np.min(a, axis=axis), _extreme_vjp)


def _pick(first: bool, larger: bool) -> VJP:
    """VJP of maximum/minimum for one input: where it wins, half where the two tie."""
    def vjp(g, out, a, b):
        mine, other = (a, b) if first else (b, a)
        wins = (mine > other) if larger else (mine < other)
        share = wins + 0.5 * (mine == other)
        return unbroadcast(g * share, np.shape(mine))
    return vjp


defop("maximum", np.maximum, _pick(True, True), _pick(False, True))
defop("minimum", np.minimum, _pick(True, False), _pick(False, False))

# Elementwise functions ---------------------------------------------------------------------------
defop("exp", np.exp, lambda g, out, a: g * out)
defop("sin", np.sin, lambda g, out, a: g * np.cos(a))
defop("cos", np.cos, lambda g, out, a: -g * np.sin(a))
defop("tan", np.tan, lambda g, out, a: g * (1.0 + out * out))
defop("square", np.square, lambda g, out, a: g * (2.0 * a))
defop("log", np.log, lambda g, out, a: g / a)
defop("sqrt", np.sqrt, lambda g, out, a: g / (2.0 * out))
defop("abs", np.abs, lambda g, out, a: g * np.sign(a))

# Activations: derivatives at a kink take the right-hand value for z > 0 and the left one at z <= 0.
defop("identity", lambda z: z, lambda g, out, z: g, activation=True)
defop("sigmoid", _sigmoid, _sigmoid_vjp, activation=True)
defop("tanh", np.tanh, lambda g, out, z: g * (1.0 - out * out), activation=True)
defop("relu", lambda z: np.maximum(z, 0.0), lambda g, out, z: g * (z > 0), activation=True)
defop("leaky_relu", lambda z, slope=0.01: np.where(z > 0, z, slope * z),
      lambda g, out, z, slope=0.01: g * np.where(z > 0, 1.0, slope),
      attrs={"slope": 0.01}, activation=True)
defop("softplus", _softplus, lambda g, out, z: g * _sigmoid(z), activation=True)
defop("elu", lambda z, alpha=1.0: np.where(z > 0, z, alpha * np.expm1(np.minimum(z, 0.0))),
      lambda g, out, z, alpha=1.0: g * np.where(z > 0, 1.0, alpha * np.exp(np.minimum(z, 0.0))),
      attrs={"alpha": 1.0}, activation=True)
defop("softmax", lambda z: np.exp(_log_softmax(z)),
      lambda g, out, z: out * (g - np.sum(g * out, axis=-1, keepdims=True)), activation=True)

# Elementwise loss terms e(prediction, target); the *_logits forms take the pre-activation and stay
# finite for any |z|, where log(sigmoid(z)) or log(softmax(z)) would round to log(0).
defop("square_diff", lambda a, y: (a - y) ** 2,
      lambda g, out, a, y: 2.0 * g * (a - y),
      lambda g, out, a, y: -2.0 * g * (a - y))
defop("bce", lambda a, y: -(y * np.log(a) + (1.0 - y) * np.log1p(-a)),
      lambda g, out, a, y: g * ((1.0 - y) / (1.0 - a) - y / a),
      lambda g, out, a, y: -g * (np.log(a) - np.log1p(-a)))
defop("bce_logits", lambda z, y: _softplus(z) - y * z,
      lambda g, out, z, y: g * (_sigmoid(z) - y),
      lambda g, out, z, y: -g * z)
defop("cce", lambda a, y: -y * np.log(a),
      lambda g, out, a, y: -g * y / a,
      lambda g, out, a, y: -g * np.log(a))
defop("softmax_cce", lambda z, y: -y * _log_softmax(z),
      lambda g, out, z, y: np.exp(_log_softmax(z)) * np.sum(g * y, axis=-1, keepdims=True) - g * y,
      lambda g, out, z, y: -g * _log_softmax(z))


def loss_rows(a: Array, y: Array, term: str, outputs: str = "sum", factor: float = 1.0) -> Array:
    """Each sample's (row's) loss: ``factor`` times the sum or the mean over outputs of ``term(a, y)``,
    computed as those ops compute it, one after the other."""
    terms = OPS[term].forward(a, y)
    rows = np.add.reduce(terms, axis=1) if outputs == "sum" else np.mean(terms, axis=1)
    return rows if factor == 1.0 else np.multiply(rows, factor)


def _loss(a: Array, y: Array, term: str, outputs: str = "sum", samples: str = "sum", factor: float = 1.0) -> Array:
    """A whole loss: each sample's (``loss_rows``), then their sum or mean, as the ops compute them."""
    rows = loss_rows(a, y, term, outputs, factor)
    if len(rows) == 1:  # one sample: NumPy's sum (or mean) of one number x is 0 + x (-0 gives +0)
        return rows[0] + 0.0
    return np.add.reduce(rows, axis=0) if samples == "sum" else np.mean(rows, axis=0)


def _loss_vjp(index: int) -> VJP:
    """The VJPs of the reduction over samples, of the factor, of the reduction over outputs and of the
    term, chained: g, one number, is multiplied by what each multiplies its copies by (1/N for a mean
    over samples, the factor, 1/K for a mean over outputs), the same products, and the term's VJP takes
    it as its g, broadcast."""
    def vjp(g: Array, out: Array, a: Array, y: Array, term: str, outputs: str = "sum", samples: str = "sum",
            factor: float = 1.0) -> Array:
        shape = _shape(a)
        rows, size = shape[0], a.size if type(a) is np.ndarray else np.size(a)
        if samples != "sum":
            g = g * (1 / rows)
        if factor != 1.0:
            g = g * factor
        if outputs != "sum":
            g = g * (rows / size)
        return OPS[term].vjps[index](g, None, a, y)
    return vjp


# A loss term, its reductions and its factor as one op, for the steps of training (``losses.record``);
# the terms' VJPs never read their output, which this op does not keep.
defop("loss", _loss, _loss_vjp(0), _loss_vjp(1))
