"""A graph node's formula as a worked-solution tree, and its local derivative with respect to one name.

``written`` spells a parsed formula (``engine.formula.Expr``) with each name given by ``leaf`` (its
symbol, or its value as a number). ``derivative`` applies the rules of calculus to the formula, the
other names held fixed, and gives None where a part has no scalar rule here (indexing, products of
matrices, reductions along an axis): the solution then shows the local derivative's value only.
"""

from __future__ import annotations

from typing import Callable

from ..engine.formula import Expr
from .maths import Call, Node, Num, Op, add, call, div, mul, neg, power, sub

Leaf = Callable[[str], Node]

NAMES = {"sigmoid": "sigma", "log": "ln"}  # the formula's function names as a solution writes them
ELEMENTWISE = {"exp", "log", "sqrt", "abs", "sin", "cos", "tan", "square", "identity", "sigmoid", "tanh",
               "relu", "softplus"}
BINARY = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "^"}


def scalar_only(expr: Expr) -> bool:
    """Whether the formula has only the parts ``written`` and ``derivative`` spell exactly."""
    if expr.kind in ("number", "name"):
        return True
    if expr.kind != "op" or expr.attrs:
        return False
    if expr.value not in BINARY and expr.value not in ELEMENTWISE and expr.value not in ("neg", "maximum",
                                                                                           "minimum"):
        return False
    return all(scalar_only(a) for a in expr.args)


def written(expr: Expr, leaf: Leaf) -> Node:
    """The formula as a tree, names replaced by ``leaf(name)`` (call only when ``scalar_only``)."""
    if expr.kind == "number":
        return Num(float(expr.value))
    if expr.kind == "name":
        return leaf(expr.value)
    args = [written(a, leaf) for a in expr.args]
    op = expr.value
    if op in BINARY:
        return Op(BINARY[op], tuple(args))
    if op == "neg":
        return neg(args[0])
    if op in ("maximum", "minimum"):
        return Call("max" if op == "maximum" else "min", tuple(args))
    if op == "square":
        return power(args[0], Num(2.0))
    if op == "identity":
        return args[0]
    if op == "relu":
        return call("max", Num(0.0), args[0])
    if op == "softplus":
        return call("ln", add(Num(1.0), call("exp", args[0])))
    return Call(NAMES.get(op, op), tuple(args))


def derivative(expr: Expr, name: str, leaf: Leaf) -> Node | None:
    """∂(formula)/∂name with the other names fixed, as a tree (None where no scalar rule applies)."""
    if not scalar_only(expr):
        return None
    try:
        return _simplified(_d(expr, name, leaf))
    except _NoRule:
        return None


class _NoRule(Exception):
    """A part whose derivative is not one formula (max, min: it depends on which operand is picked)."""


_ZERO, _ONE = Num(0.0), Num(1.0)


def _d(expr: Expr, name: str, leaf: Leaf) -> Node:
    if expr.kind == "number":
        return _ZERO
    if expr.kind == "name":
        return _ONE if expr.value == name else _ZERO
    op, args = expr.value, expr.args
    inner = [written(a, leaf) for a in args]
    ds = [_d(a, name, leaf) for a in args]
    if op == "add":
        return _plus(ds[0], ds[1])
    if op == "sub":
        return _minus(ds[0], ds[1])
    if op == "neg":
        return _negate(ds[0])
    if op == "mul":
        return _plus(_times(ds[0], inner[1]), _times(inner[0], ds[1]))
    if op == "div":
        a, b = inner
        if ds[1] == _ZERO:
            return _over(ds[0], b)
        return _over(_minus(_times(ds[0], b), _times(a, ds[1])), power(b, Num(2.0)))
    if op == "pow":
        a, b = inner
        if ds[1] == _ZERO:
            exponent = Num(b.value - 1.0) if isinstance(b, Num) else sub(b, _ONE)
            return _times(_times(b, power(a, exponent)), ds[0])
        return _times(power(a, b), _plus(_times(ds[1], call("ln", a)), _over(_times(b, ds[0]), a)))
    if op in ("maximum", "minimum", "abs"):
        raise _NoRule
    (x,), (dx,) = inner, ds
    if dx == _ZERO:
        return _ZERO
    outer = {
        "exp": lambda: call("exp", x),
        "log": lambda: div(_ONE, x),
        "sqrt": lambda: div(_ONE, mul(Num(2.0), call("sqrt", x))),
        "sin": lambda: call("cos", x),
        "cos": lambda: neg(call("sin", x)),
        "tan": lambda: add(_ONE, power(call("tan", x), Num(2.0))),
        "square": lambda: mul(Num(2.0), x),
        "identity": lambda: _ONE,
        "sigmoid": lambda: mul(call("sigma", x), sub(_ONE, call("sigma", x))),
        "tanh": lambda: sub(_ONE, power(call("tanh", x), Num(2.0))),
        "relu": lambda: call("relu'", x),
        "softplus": lambda: call("sigma", x),
    }[op]()
    return _times(outer, dx)


def _plus(a: Node, b: Node) -> Node:
    if a == _ZERO:
        return b
    if b == _ZERO:
        return a
    return add(a, b)


def _minus(a: Node, b: Node) -> Node:
    if b == _ZERO:
        return a
    if a == _ZERO:
        return _negate(b)
    return sub(a, b)


def _negate(a: Node) -> Node:
    return _ZERO if a == _ZERO else neg(a)


def _times(a: Node, b: Node) -> Node:
    if a == _ZERO or b == _ZERO:
        return _ZERO
    if a == _ONE:
        return b
    if b == _ONE:
        return a
    return mul(a, b)


def _over(a: Node, b: Node) -> Node:
    return _ZERO if a == _ZERO else div(a, b)


def _simplified(node: Node) -> Node:
    """Products flattened (``a · (b · c)`` as ``a · b · c``)."""
    if isinstance(node, Op):
        args = tuple(_simplified(a) for a in node.args)
        if node.op == "*":
            flat = []
            for a in args:
                flat.extend(a.args if isinstance(a, Op) and a.op == "*" else (a,))
            return Op("*", tuple(flat))
        return Op(node.op, args)
    if isinstance(node, Call):
        return Call(node.name, tuple(_simplified(a) for a in node.args))
    return node
