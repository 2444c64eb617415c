"""Formulas of a computation graph: parsed by Python's ``ast`` against a whitelist, never evaluated.

Allowed: numbers, names defined earlier, ``+ - * / ** @``, unary minus, parentheses, calls of the
functions in ``FUNCTIONS``, indexing and slicing with constant integers (``x[2]``, ``x[1:3]``,
``x[[2, 4, 3, 0, 1]]``, ``W[0, 1]``; 0-based like Python), and lists of expressions (stacked into a
vector). Everything else (attributes, keywords other than ``axis``/``slope``/``alpha``, lambdas,
comprehensions, strings, dunder names) is an error at the formula's position.
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass, field

from .ops import ACTIVATIONS

# function name in a formula -> (op name, number of arguments: an int, or "1+" for one or more)
FUNCTIONS: dict[str, tuple[str, object]] = {
    **{name: (name, 1) for name in ACTIVATIONS},
    "exp": ("exp", 1), "log": ("log", 1), "sqrt": ("sqrt", 1), "abs": ("abs", 1),
    "sum": ("sum", 1), "mean": ("mean", 1), "max": ("max", "1+"), "min": ("min", "1+"),
    "dot": ("matmul", 2), "transpose": ("transpose", 1), "concat": ("concat", "1+"),
}
KEYWORDS = {"axis", "slope", "alpha"}
BINARY = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.Pow: "pow",
          ast.MatMult: "matmul"}


class FormulaError(ValueError):
    """A formula that is not allowed, with its 0-based offset in the formula text."""

    def __init__(self, message: str, offset: int = 0, hint: str = ""):
        super().__init__(message)
        self.offset = offset
        self.hint = hint


@dataclass(eq=False)
class Expr:
    """A checked formula node: a number, a name, or an op applied to argument expressions."""

    kind: str  # "number" | "name" | "op" | "index" | "stack"
    value: object = None  # the number, the name, the op name, or the index key
    args: list["Expr"] = field(default_factory=list)
    attrs: dict[str, object] = field(default_factory=dict)
    offset: int = 0
    source: str = ""  # the text of this part of the formula


def parse(text: str, known: set[str], later: set[str] = frozenset()) -> tuple[Expr, set[str]]:
    """Check a formula against the whitelist; return it and the names it uses.

    ``known`` are the names it may use; ``later`` those defined after it (named in the message).
    """
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except RecursionError:
        raise FormulaError("expected a formula nested less deeply (split it into several nodes)") from None
    except SyntaxError as exc:
        raise FormulaError(f"expected a formula, found a syntax error ({exc.msg})", max((exc.offset or 1) - 1, 0))
    used: set[str] = set()
    try:
        return _expr(tree.body, _Names(known, later, text.strip()), used), used
    except RecursionError:
        raise FormulaError("expected a formula nested less deeply (split it into several nodes)") from None


class _Names(set):
    """The names a formula may use, and those it may not use yet."""

    def __init__(self, known: set[str], later: set[str], text: str = ""):
        super().__init__(known)
        self.later = later
        self.text = text


def _expr(node: ast.AST, known: _Names, used: set[str]) -> Expr:
    expr = _build(node, known, used)
    expr.source = ast.get_source_segment(known.text, node) or ""
    return expr


def _build(node: ast.AST, known: _Names, used: set[str]) -> Expr:
    offset = getattr(node, "col_offset", 0)
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return Expr("number", float(node.value), offset=offset)
    if isinstance(node, ast.Name):
        if node.id.startswith("__"):
            raise FormulaError(f"expected a name, found the reserved name '{node.id}'", offset)
        if node.id in known.later:
            raise FormulaError(f"expected a name defined before this formula, found '{node.id}', defined "
                               "after it (nodes are computed in the order written; a cycle?)", offset)
        if node.id not in known:
            from ..errors import did_you_mean
            raise FormulaError(f"expected a name defined before this formula, found '{node.id}'", offset,
                               did_you_mean(node.id, known))
        used.add(node.id)
        return Expr("name", node.id, offset=offset)
    if isinstance(node, ast.BinOp) and type(node.op) in BINARY:
        return Expr("op", BINARY[type(node.op)], [_expr(node.left, known, used), _expr(node.right, known, used)],
                    offset=offset)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        inner = _expr(node.operand, known, used)
        return Expr("op", "neg", [inner], offset=offset) if isinstance(node.op, ast.USub) else inner
    if isinstance(node, ast.Call):
        return _call(node, known, used)
    if isinstance(node, ast.Subscript):
        return Expr("index", _key(node.slice), [_expr(node.value, known, used)], offset=offset)
    if isinstance(node, ast.List):
        return Expr("stack", None, [_expr(e, known, used) for e in node.elts], offset=offset)
    what = {ast.Attribute: "attribute access", ast.Constant: "a string or other constant", ast.Lambda: "a lambda", ast.Compare: "a comparison",
            ast.BoolOp: "a boolean operator", ast.IfExp: "a conditional"}.get(type(node), type(node).__name__)
    raise FormulaError(f"expected arithmetic, a function call, indexing or a name, found {what}", offset)


def _call(node: ast.Call, known: _Names, used: set[str]) -> Expr:
    offset = node.col_offset
    if not isinstance(node.func, ast.Name):
        raise FormulaError("expected a function name such as sigmoid or sum, found an expression", offset)
    name = node.func.id
    if name not in FUNCTIONS:
        from ..errors import did_you_mean
        raise FormulaError(f"expected a function ({', '.join(FUNCTIONS)}), found '{name}'", offset,
                           did_you_mean(name, FUNCTIONS))
    op, arity = FUNCTIONS[name]
    args = [_expr(a, known, used) for a in node.args]
    if (arity == "1+" and not args) or (isinstance(arity, int) and len(args) != arity):
        want = "at least one argument" if arity == "1+" else f"{arity} argument{'s' if arity != 1 else ''}"
        raise FormulaError(f"expected {want} for {name}, found {len(args)}", offset)
    attrs = {}
    for keyword in node.keywords:
        if keyword.arg not in KEYWORDS or not isinstance(keyword.value, (ast.Constant, ast.UnaryOp)):
            raise FormulaError(f"expected keyword arguments among {', '.join(sorted(KEYWORDS))} with a "
                               f"number, found '{keyword.arg}'", getattr(keyword.value, "col_offset", offset))
        attrs[keyword.arg] = _constant(keyword.value)
    if "axis" in attrs:
        axis = [k for k in node.keywords if k.arg == "axis"][0].value
        attrs["axis"] = _integer(axis)
    if name in ("max", "min") and len(args) > 1:
        op = "maximum" if name == "max" else "minimum"
    return Expr("op", op, args, attrs, offset)


def _constant(node: ast.AST) -> float:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_constant(node.operand)
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return node.value
    raise FormulaError("expected a number", getattr(node, "col_offset", 0))


def _key(node: ast.AST):
    """An index made only of constant integers, slices with constant bounds and lists of integers."""
    if isinstance(node, ast.Tuple):
        return tuple(_key(e) for e in node.elts)
    if isinstance(node, ast.Slice):
        parts = [None if p is None else int(_integer(p)) for p in (node.lower, node.upper, node.step)]
        return slice(*parts)
    if isinstance(node, ast.List):
        return [int(_integer(e)) for e in node.elts]
    return int(_integer(node))


def _integer(node: ast.AST) -> int:
    value = _constant(node)
    if not math.isfinite(value) or value != int(value):
        raise FormulaError(f"expected a whole-number index, found {value}", getattr(node, "col_offset", 0))
    return int(value)
