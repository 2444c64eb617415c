"""Formulas as sheets write them, made into the formula language: σ and σ' by name, · for *, ^ for **,
and a product written without a sign given one (``2 x``, ``σ(x)(1 − σ(x))``, ``x (1 − y)``)."""

from __future__ import annotations

import re

# Functions a written answer may call beyond the formula language's: derivatives by name and a few
# that sheets use (their formulas are in checking.formulas).
SHEET_FUNCTIONS = {name: (name, 1) for name in ("sigmoid_prime", "tanh_prime", "relu_prime", "cosh", "sinh",
                                                 "sech", "sign")}
_SPELLINGS = [("σ'", "sigmoid_prime"), ("sigmoid'", "sigmoid_prime"), ("tanh'", "tanh_prime"),
              ("relu'", "relu_prime"), ("σ", "sigmoid"), ("·", "*"), ("×", "*"), ("−", "-"), ("²", "**2"),
              ("³", "**3"), ("^", "**"), ("ln(", "log(")]
_TOKENS = re.compile(r"\s*(?:(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<number>\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+)"
                     r"|(?P<other>\*\*|.))")


def sheet_text(text: str, functions) -> str:
    """The formula in the formula language (``functions``: the names that are called, not multiplied)."""
    for written, meant in _SPELLINGS:
        text = text.replace(written, meant)
    out, before = [], None  # "value" after a number, name or ')', where a product without a sign can follow
    for match in _TOKENS.finditer(text):
        token = match.group().strip()
        if not token:
            continue
        starts_value = match["name"] is not None or match["number"] is not None or token == "("
        if before == "value" and starts_value:
            out.append("*")
        out.append(token)
        if match["name"] is not None:
            called = token in functions and text[match.end():].lstrip().startswith("(")
            before = None if called else "value"
        else:
            before = "value" if match["number"] is not None or token == ")" else None
    return " ".join(out)
