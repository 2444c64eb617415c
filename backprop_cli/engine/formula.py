"""Formulas of a computation graph: parsed by Python's ``ast`` against a whitelist, never evaluated.

Allowed: numbers, names defined earlier, ``pi`` and ``e`` (where no name takes them), ``+ - * / ** @``,
unary minus, parentheses, calls of the functions in ``FUNCTIONS`` (``log(x, base)`` too), indexing and slicing with constant integers (``x[2]``, ``x[1:3]``,
``x[[2, 4, 3, 0, 1]]``, ``W[0, 1]``; 0-based like Python), and lists of expressions (stacked into a
vector). Everything else (attributes, keywords other than ``axis``/``slope``/``alpha``, lambdas,
comprehensions, strings, dunder names) is an error at the formula's position.
"""

from __future__ import annotations

import ast
import math
from typing import Container

from .ops import ACTIVATIONS

# function name in a formula -> (op name, number of arguments: an int, or "1+" for one or more)
FUNCTIONS: dict[str, tuple[str, object]] = {
    **{name: (name, 1) for name in ACTIVATIONS},
    "exp": ("exp", 1), "log": ("log", 1), "sqrt": ("sqrt", 1), "abs": ("abs", 1),
    "sin": ("sin", 1), "cos": ("cos", 1), "tan": ("tan", 1), "square": ("square", 1), "pow": ("pow", 2),
    "sum": ("sum", 1), "mean": ("mean", 1), "max": ("max", "1+"), "min": ("min", "1+"),
    "dot": ("matmul", 2), "transpose": ("transpose", 1), "concat": ("concat", "1+"),
}
KEYWORDS = {"axis", "slope", "alpha"}
CONSTANTS = {"pi": math.pi, "e": math.e}  # names that are numbers, unless the problem defines them
BINARY = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.Pow: "pow",
          ast.MatMult: "matmul"}


class FormulaError(ValueError):
    """A formula that is not allowed, with its 0-based offset in the formula text."""

    def __init__(self, message: str, offset: int = 0, hint: str = ""):
        super().__init__(message)
        self.offset = offset
        self.hint = hint


class Expr:
    """A checked formula node: a number, a name, or an op applied to argument expressions.

    ``kind`` is "number", "name", "op", "index" or "stack"; ``value`` the number, the name, the op name
    or the index key; ``offset`` where it starts in the formula and ``source`` its text. One is made for
    every part of every formula: plain slots.
    """

    __slots__ = ("kind", "value", "args", "attrs", "offset", "source")

    def __init__(self, kind: str, value: object = None, args: list[Expr] | None = None,
                 attrs: dict[str, object] | None = None, offset: int = 0, source: str = ""):
        self.kind, self.value, self.offset, self.source = kind, value, offset, source
        self.args = [] if args is None else args
        self.attrs = {} if attrs is None else attrs


MAX_CHARACTERS = 100_000  # of one formula; longer ones are split into nodes
MAX_ARGUMENTS = 1_000  # of one call, list or index list
MAX_NUMBER = 1e300  # literals beyond this are refused rather than overflowing on the way
NESTED = "expected a formula nested less deeply (split it into several nodes)"


class _Scope:
    """The names a formula may use (``known``) and those defined after it (``later``, for the message)."""

    def __init__(self, known: Container[str], later: Container[str], text: str,
                 functions: dict[str, tuple[str, object]] = FUNCTIONS):
        self.known, self.later, self.text, self.functions = known, later, text, functions
        starts = [0]
        for line in text.split("\n")[:-1]:
            starts.append(starts[-1] + len(line) + 1)
        self.line_starts = starts

    def offset(self, node: ast.AST, end: bool = False) -> int:
        """A node's character offset in the formula (formulas are ASCII, so bytes and characters agree)."""
        line = getattr(node, "end_lineno" if end else "lineno", 1) or 1
        column = getattr(node, "end_col_offset" if end else "col_offset", 0) or 0
        return self.line_starts[line - 1] + column


def parse(text: str, known: Container[str], later: Container[str] = frozenset(),
          functions: dict[str, tuple[str, object]] = FUNCTIONS) -> tuple[Expr, set[str]]:
    """Check a formula against the whitelist; return it and the names it uses.

    ``known`` are the names it may use; ``later`` those defined after it (named in the message). Both
    are only asked about membership, so a dict or a lazy container of any size costs nothing here.
    ``functions`` are the functions it may call (a written answer may call a few more, such as σ').
    """
    text = text.strip()
    if len(text) > MAX_CHARACTERS:
        raise FormulaError(f"expected a formula of at most {MAX_CHARACTERS:,} characters, found {len(text):,} "
                           "(split it into several nodes)")
    _refuse_non_ascii(text)
    try:
        tree = ast.parse(text, mode="eval")
    except (RecursionError, MemoryError):  # the parser's own stack: too deep a nesting
        raise FormulaError(NESTED) from None
    except SyntaxError as exc:
        message = NESTED if "too many nested" in (exc.msg or "") else f"expected a formula, found a syntax error ({exc.msg})"
        raise FormulaError(message, max((exc.offset or 1) - 1, 0))
    used: set[str] = set()
    try:
        return _expr(tree.body, _Scope(known, later, text, functions), used), used
    except RecursionError:
        raise FormulaError(NESTED) from None


def _refuse_non_ascii(text: str) -> None:
    """Names are compared as written: Python would fold look-alikes ('ｓ', '𝐬', 'ﬁ') into ASCII names."""
    for offset, character in enumerate(text):
        if ord(character) > 127:
            import unicodedata
            folded = unicodedata.normalize("NFKC", character)
            hint = f"it reads as '{folded}', which looks alike but is another character" \
                if folded != character and folded.isascii() else ""
            raise FormulaError(f"expected ASCII letters, digits and operators, found '{character}' "
                               f"(U+{ord(character):04X})", offset, hint)


def _expr(node: ast.AST, known: _Scope, used: set[str]) -> Expr:
    expr = _build(node, known, used)
    expr.offset = known.offset(node)
    expr.source = known.text[expr.offset:known.offset(node, end=True)]
    return expr


def _build(node: ast.AST, known: _Scope, used: set[str]) -> Expr:
    offset = known.offset(node)
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return Expr("number", _finite(node.value, offset), offset=offset)
    if isinstance(node, ast.Name):
        if node.id.startswith("__"):
            raise FormulaError(f"expected a name, found the reserved name '{node.id}'", offset)
        if node.id in known.later:
            raise FormulaError(f"expected a name defined before this formula, found '{node.id}', defined "
                               "after it (nodes are computed in the order written; a cycle?)", offset)
        if node.id not in known.known and node.id in CONSTANTS:
            return Expr("number", CONSTANTS[node.id], offset=offset)
        if node.id not in known.known:
            from ..errors import did_you_mean
            raise FormulaError(f"expected a name defined before this formula, found '{node.id}'", offset,
                               did_you_mean(node.id, known.known))
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
        _count(node.elts, "elements in a list", offset)
        return Expr("stack", None, [_expr(e, known, used) for e in node.elts], offset=offset)
    what = {ast.Attribute: "attribute access", ast.Constant: "a string or other constant", ast.Lambda: "a lambda", ast.Compare: "a comparison",
            ast.BoolOp: "a boolean operator", ast.IfExp: "a conditional"}.get(type(node), type(node).__name__)
    raise FormulaError(f"expected arithmetic, a function call, indexing or a name, found {what}", offset)


def _call(node: ast.Call, known: _Scope, used: set[str]) -> Expr:
    offset = known.offset(node)
    if not isinstance(node.func, ast.Name):
        raise FormulaError("expected a function name such as sigmoid or sum, found an expression", offset)
    name = node.func.id
    functions = known.functions
    if name not in functions:
        from ..errors import did_you_mean
        raise FormulaError(f"expected a function ({', '.join(functions)}), found '{name}'", offset,
                           did_you_mean(name, functions))
    op, arity = functions[name]
    _count(node.args, f"arguments of {name}", offset)
    args = [_expr(a, known, used) for a in node.args]
    if name == "log" and len(args) == 2:  # log(x, base) = ln x / ln base
        return Expr("op", "div", [Expr("op", "log", args[:1], offset=offset),
                                  Expr("op", "log", args[1:], offset=offset)], offset=offset)
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


def constant(text: str) -> float | None:
    """The value of a formula made of numbers, pi, e, arithmetic and functions, as a number may be
    written in a file (``1 + sin(pi/4)``, ``2/3``, ``e**-1``); None when the text is not one."""
    try:
        expr, used = parse(text, known=frozenset())
    except FormulaError:
        return None
    if used:
        return None
    from .ops import OPS

    def value(node: Expr):
        if node.kind == "number":
            return node.value
        if node.kind != "op":  # lists and indexing make arrays, not a number
            raise FormulaError("expected a number")
        return OPS[node.value].forward(*[value(arg) for arg in node.args], **node.attrs)
    try:
        import numpy as np
        with np.errstate(all="ignore"):
            result = value(expr)
    except (FormulaError, TypeError, ValueError):
        return None
    return float(result) if getattr(result, "ndim", 0) == 0 else None


def _finite(value: int | float, offset: int) -> float:
    """A literal as a float, refused when it is beyond float range (or too long to convert)."""
    if isinstance(value, int) and value.bit_length() > 1000 or abs(value) > MAX_NUMBER:
        raise FormulaError(f"expected a number of at most {MAX_NUMBER:g} in size, found a larger one", offset)
    return float(value)


def _count(items: list, what: str, offset: int) -> None:
    if len(items) > MAX_ARGUMENTS:
        raise FormulaError(f"expected at most {MAX_ARGUMENTS:,} {what}, found {len(items):,} "
                           "(split it into several nodes)", offset)


def _constant(node: ast.AST) -> float:
    return _finite(_literal(node), getattr(node, "col_offset", 0))


def _literal(node: ast.AST) -> int | float:
    """A number written as a literal, with any minus signs before it."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_literal(node.operand)
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return node.value
    raise FormulaError("expected a number", getattr(node, "col_offset", 0))


def _key(node: ast.AST):
    """An index made only of constant integers, slices with constant bounds and lists of integers."""
    if isinstance(node, ast.Tuple):
        _count(node.elts, "indices", getattr(node, "col_offset", 0))
        return tuple(_key(e) for e in node.elts)
    if isinstance(node, ast.Slice):
        return slice(*[None if p is None else _integer(p) for p in (node.lower, node.upper, node.step)])
    if isinstance(node, ast.List):
        _count(node.elts, "indices in a list", getattr(node, "col_offset", 0))
        return [_integer(e) for e in node.elts]
    return _integer(node)


MAX_INDEX = 2 ** 31 - 1


def _integer(node: ast.AST) -> int:
    value = _literal(node)
    offset = getattr(node, "col_offset", 0)
    if isinstance(value, float) and (not math.isfinite(value) or value != int(value)):
        raise FormulaError(f"expected a whole-number index, found {value}", offset)
    if abs(value) > MAX_INDEX:
        raise FormulaError(f"expected an index of at most {MAX_INDEX:,} in size, found a larger one", offset)
    return int(value)
