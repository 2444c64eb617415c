"""An independent reader of the formulas a worked solution prints: numbers, symbols, + − · / ² ^,
parentheses and the usual functions, evaluated with the math module.

Symbols are looked up through a function the test gives, so the same reader checks a formula with the
numbers put in (no symbols) and a formula in symbols (each symbol looked up in the engine's result).
"""

from __future__ import annotations

import math
import re

_NAME = r"[^\W\d][^\W_²]*'?(?:_(?:\{[^}]*\}|[^\W_²]+))*(?:\^\([^)]*\))?(?:_(?:\{[^}]*\}|[^\W_²]+))?'?"
_TOKEN = re.compile(rf"""
    (?P<space>\s+)
  | (?P<number>\d+(?:\.\d*)?(?:e[-+−]?\d+)?)
  | (?P<partial>[∂d]{_NAME}/[∂d]{_NAME})
  | (?P<name>(?:m̂|v̂|[mvsg])\[[^\]]*\]|{_NAME}|‖\w‖²)
  | (?P<op>[-−+·/^²(),])
""", re.VERBOSE)


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))


FUNCTIONS = {
    "σ": _sigmoid, "sigma": _sigmoid, "σ'": lambda z: _sigmoid(z) * (1 - _sigmoid(z)),
    "tanh": math.tanh, "tanh'": lambda z: 1 - math.tanh(z) ** 2, "exp": math.exp, "ln": math.log,
    "sqrt": math.sqrt, "sin": math.sin, "cos": math.cos, "tan": math.tan, "max": max, "min": min,
    "relu'": lambda z: 1.0 if z > 0 else 0.0, "identity'": lambda z: 1.0,
    "leaky_relu'": None, "softplus'": _sigmoid, "elu'": None,  # these two need the unit's attribute
}


def tokens(text: str) -> list[tuple[str, str]]:
    found, position = [], 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise ValueError(f"cannot read {text[position:]!r} in {text!r}")
        position = match.end()
        kind = match.lastgroup
        if kind != "space":
            found.append((kind, match.group(kind)))
    return found


def evaluate(text: str, lookup=None, functions=None) -> float:
    """The value of a printed formula; ``lookup(symbol)`` gives each symbol's value (a partial
    derivative comes as '∂E/∂w^(2)_11'), ``functions`` adds to or replaces ``FUNCTIONS``."""
    known = {**FUNCTIONS, **(functions or {})}
    items = tokens(text)
    at = [0]

    def peek():
        return items[at[0]] if at[0] < len(items) else ("end", "")

    def take(expected=None):
        item = peek()
        if expected is not None and item[1] != expected:
            raise ValueError(f"expected {expected!r}, found {item[1]!r} in {text!r}")
        at[0] += 1
        return item

    def expression():
        value = term()
        while peek()[1] in ("+", "-", "−"):
            op = take()[1]
            value = value + term() if op == "+" else value - term()
        return value

    def term():
        value = unary()
        while peek()[1] in ("·", "/"):
            op = take()[1]
            value = value * unary() if op == "·" else value / unary()
        return value

    def unary():
        if peek()[1] in ("-", "−"):
            take()
            return -unary()
        return power()

    def power():
        value = atom()
        while peek()[1] in ("²", "^"):
            if take()[1] == "²":
                value = value ** 2
            else:
                value = value ** unary()
        return value

    def atom():
        kind, token = take()
        if kind == "number":
            return float(token.replace("−", "-"))
        if token == "(":
            value = expression()
            take(")")
            return value
        if kind == "partial":
            return lookup(token)
        if kind == "name" and peek()[1] == "(" and known.get(token) is not None:
            take("(")
            args = [expression()]
            while peek()[1] == ",":
                take()
                args.append(expression())
            take(")")
            return known[token](*args)
        if kind == "name":
            if lookup is None:
                raise ValueError(f"a symbol {token!r} in a formula with numbers only: {text!r}")
            return lookup(token)
        raise ValueError(f"unexpected {token!r} in {text!r}")

    value = expression()
    if peek()[0] != "end":
        raise ValueError(f"left over {peek()[1]!r} in {text!r}")
    return value
