"""A recorded computation replayed in symbols: every value and gradient as a SymPy formula.

The tape is recorded with numbers as usual (shapes and errors are known at once); ``Symbolic`` then
works the same steps on arrays of SymPy expressions, with some leaves replaced by symbols. Ops that only
move values (indexing, reshaping, products of matrices, sums) run their own NumPy code on the object
arrays; elementwise ops have a SymPy formula here, and their gradient is that formula differentiated,
so one rule serves them all. SymPy is imported by this module alone, which only symbolic problems load.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Callable

import numpy as np
import sympy

from .ops import OPS
from .tape import Tape

Array = np.ndarray


def _sigmoid(z):
    return 1 / (1 + sympy.exp(-z))


def _piecewise(positive, other):
    return lambda z, **attrs: sympy.Piecewise((positive(z), z > 0), (other(z, **attrs), True))


# op name -> the op on scalars, in SymPy (attributes as keyword arguments)
ELEMENTWISE: dict[str, Callable[..., Any]] = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b, "div": lambda a, b: a / b,
    "pow": lambda a, b: a ** b, "neg": lambda a: -a, "exp": sympy.exp, "log": sympy.log, "sqrt": sympy.sqrt,
    "abs": sympy.Abs, "sin": sympy.sin, "cos": sympy.cos, "tan": sympy.tan, "square": lambda a: a ** 2,
    "identity": lambda z: z, "sigmoid": _sigmoid, "tanh": sympy.tanh, "relu": lambda z: sympy.Max(z, 0),
    "leaky_relu": _piecewise(lambda z: z, lambda z, slope=0.01: slope * z),
    "softplus": lambda z: sympy.log(1 + sympy.exp(z)),
    "elu": _piecewise(lambda z: z, lambda z, alpha=1.0: alpha * (sympy.exp(z) - 1)),
    "maximum": sympy.Max, "minimum": sympy.Min,
    "square_diff": lambda a, y: (a - y) ** 2, "bce": lambda a, y: -(y * sympy.log(a) + (1 - y) * sympy.log(1 - a)),
    "bce_logits": lambda z, y: sympy.log(1 + sympy.exp(z)) - y * z, "cce": lambda a, y: -y * sympy.log(a),
}


class SymbolicError(ValueError):
    """An op that has no formula here (the largest entry of a vector, say)."""


def number(value: float):
    """A number of a file as an exact rational (0.1 as 1/10), so formulas read as a sheet writes them."""
    value = float(value)
    if value.is_integer():
        return sympy.Integer(int(value))
    return sympy.Rational(repr(value))


def constant(array) -> Array:
    """A numeric array as an object array of exact numbers."""
    array = np.asarray(array, dtype=float)
    out = np.empty(array.shape, dtype=object)
    for index in np.ndindex(array.shape):
        out[index] = number(array[index])
    return out


def _objects(value) -> Array:
    value = np.asarray(value)
    return value if value.dtype == object else constant(value)


def _zeros(shape) -> Array:
    out = np.empty(shape, dtype=object)
    out.fill(sympy.Integer(0))
    return out


@lru_cache(maxsize=None)
def _partials(name: str, arity: int, attrs: tuple) -> tuple:
    """The op's formula differentiated by each operand, as functions of the operands."""
    dummies = sympy.symbols(f"u0:{arity}")
    formula = ELEMENTWISE[name](*dummies, **dict(attrs))
    return tuple(np.frompyfunc(lambda *values, d=sympy.diff(formula, u): d.xreplace(dict(zip(dummies, values))),
                               arity, 1) for u in dummies)


def _elementwise(name: str, attrs: dict) -> Callable[..., Array]:
    f = ELEMENTWISE[name]
    return lambda *args: np.frompyfunc(lambda *values: f(*values, **attrs), len(args), 1)(*args)


def _unbroadcast(grad: Array, shape: tuple[int, ...]) -> Array:
    """A broadcast gradient summed back down to ``shape``, staying an object array (NumPy's reductions
    give a bare formula where they reach no axes left)."""
    grad = np.asarray(grad, dtype=object)
    while grad.ndim > len(shape):
        grad = np.asarray(np.add.reduce(grad, axis=0), dtype=object)
    for axis, size in enumerate(shape):
        if size == 1 and grad.shape[axis] != 1:
            grad = np.asarray(np.add.reduce(grad, axis=axis, keepdims=True), dtype=object)
    return grad.reshape(shape)


def _softmax(z: Array) -> Array:
    e = np.frompyfunc(sympy.exp, 1, 1)(z)
    return e / np.add.reduce(e, axis=-1, keepdims=True)


def _softmax_cce(z: Array, y: Array) -> Array:
    return -y * np.frompyfunc(sympy.log, 1, 1)(_softmax(z))


def _scatter(shape, key, g) -> Array:
    grad = _zeros(shape)
    np.add.at(grad, key, g)
    return grad


FORWARD = {"softmax": lambda z: _softmax(z), "softmax_cce": _softmax_cce}
VJP = {  # op name -> (vjp of each input), where the op's own NumPy rule does not work on formulas
    "softmax_cce": (lambda g, out, z, y: _softmax(z) * np.add.reduce(g * y, axis=-1, keepdims=True) - g * y,
                    lambda g, out, z, y: -g * np.frompyfunc(sympy.log, 1, 1)(_softmax(z))),
    "take": (lambda g, out, a, index: _scatter(np.shape(a), index, g),),
    "index": (lambda g, out, a, key: _scatter(np.shape(a), key, g),),
    "assemble": (lambda g, out, own, shared, keep, index, where: g * keep,
                 lambda g, out, own, shared, keep, index, where: _scatter(np.shape(shared), index, g * where)),
}
UNSUPPORTED = {"max", "min"}  # the largest or smallest entry: which one depends on the values


def _exact(attrs: dict) -> dict:
    """An op's attributes with arrays of numbers (masks, the weights a layer keeps) made exact, so that
    formulas read 1 and not 1.0."""
    return {k: constant(v) if isinstance(v, np.ndarray) and v.dtype.kind == "f" else v for k, v in attrs.items()}


class Symbolic:
    """Works a tape in formulas: ``run(root, leaves)`` gives every slot's value and gradient as object
    arrays of SymPy expressions (leaves not given keep their recorded numbers, as exact rationals)."""

    def __init__(self, tape: Tape):
        self.tape = tape

    def forward(self, leaves: dict[int, Array]) -> list[Array]:
        tape = self.tape
        values: list = [None] * len(tape.values)
        for slot in tape.leaves:
            values[slot] = _objects(leaves[slot]) if slot in leaves else constant(tape.values[slot])
        for op, inputs, attrs, out in tape.steps:
            if op.name in UNSUPPORTED:
                raise SymbolicError(f"expected ops that have a formula, found '{op.name}' (its value depends on "
                                    "which entry is largest)")
            if op.name in ELEMENTWISE:
                function = _elementwise(op.name, attrs)
                values[out] = np.asarray(function(*[values[i] for i in inputs]), dtype=object)  # noqa
            else:
                function = FORWARD.get(op.name, op.forward)
                values[out] = np.asarray(function(*[values[i] for i in inputs], **_exact(attrs)), dtype=object)
        return values

    def backward(self, values: list[Array], root: int) -> list[Array | None]:
        tape = self.tape
        grads: list = [None] * len(values)
        seed = np.empty(np.shape(values[root]), dtype=object)
        seed.fill(sympy.Integer(1))
        grads[root] = seed
        for k in reversed(tape.needed(root)):
            op, inputs, attrs, out = tape.steps[k]
            g = grads[out]
            if g is None:
                continue
            args = [values[i] for i in inputs]
            for index, slot in enumerate(inputs):
                if not tape.trainable[slot]:
                    continue
                term = np.asarray(self._vjp(op, index, attrs, g, values[out], args), dtype=object)
                grads[slot] = term if grads[slot] is None else np.asarray(grads[slot] + term, dtype=object)
        return grads

    def _vjp(self, op, index: int, attrs: dict, g: Array, out: Array, args: list[Array]) -> Array:
        if op.name in ELEMENTWISE:
            partial = _partials(op.name, len(args), tuple(sorted(attrs.items())))[index]
            local = np.asarray(partial(*args), dtype=object)
            return _unbroadcast(g * local, np.shape(args[index]))
        rules = VJP.get(op.name)
        rule = rules[index] if rules else OPS[op.name].vjp(index)
        return np.asarray(rule(g, out, *args, **_exact(attrs)), dtype=object)

    def run(self, root: int, leaves: dict[int, Array]) -> tuple[list[Array], list[Array | None]]:
        values = self.forward(leaves)
        return values, self.backward(values, root)


def symbols_for(name: str, shape: tuple[int, ...]) -> Array:
    """An array of symbols named after a quantity: ``x`` for a scalar, ``x_1, x_2, ...`` (from 1) else."""
    out = np.empty(shape, dtype=object)
    for index in np.ndindex(shape):
        suffix = "_" + "".join(str(i + 1) for i in index) if shape else ""
        out[index] = sympy.Symbol(name + suffix, real=True)
    return out


MOST_OPERATIONS = 400  # a formula simplified; a longer one is shown as it is (simplifying can take long)


def _functions(expression) -> set:
    return {type(f) for f in expression.atoms(sympy.Function)}


def simplified(expression):
    """The shortest to read of the formula as worked and its simplified forms, among those that use only
    the functions it was written with (σ' as cosh⁻² is correct, but not what a sheet writes). Only a
    formula short enough for that to be quick is simplified."""
    expression = sympy.sympify(expression)
    if sympy.count_ops(expression) > MOST_OPERATIONS:
        return expression
    written = _functions(expression)
    forms = [expression, sympy.simplify(expression), sympy.factor(expression), sympy.cancel(expression)]
    allowed = [form for form in forms if _functions(form) <= written]
    return min(allowed, key=lambda e: (len(str(e)), str(e)))


MATRIX = {"matmul": np.matmul, "transpose": lambda a: np.swapaxes(a, -1, -2), "sum": np.sum}


def from_formula(expr, names: dict, more: dict[str, Callable] | None = None) -> Any:
    """A parsed formula (``formula.Expr``) as a SymPy expression, each name given by ``names`` and the
    functions beyond the ops by ``more``; built node by node from the whitelisted parts, never
    evaluated as text."""
    if expr.kind == "number":
        return number(expr.value)
    if expr.kind == "name":
        return names[expr.value]
    args = [from_formula(a, names, more) for a in expr.args]
    if expr.kind == "stack":  # a vector written as a list of formulas
        out = np.empty(len(args), dtype=object)
        out[:] = args
        return out
    if more and expr.value in more:
        return more[expr.value](*args)
    if expr.value in MATRIX:  # products and transposes of the file's matrices of symbols
        operands = [np.asarray(a, dtype=object) for a in args]
        try:
            return np.asarray(MATRIX[expr.value](*operands), dtype=object)
        except ValueError:
            shapes = " and ".join("×".join(map(str, a.shape)) or "a scalar" for a in operands)
            raise SymbolicError(f"expected operands whose shapes fit in the product, found {shapes}") from None
    if expr.kind != "op" or expr.value not in ELEMENTWISE:
        raise SymbolicError(f"expected a formula of scalars, found '{expr.value}'")
    return ELEMENTWISE[expr.value](*args, **expr.attrs)
