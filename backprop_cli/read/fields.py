"""Typed readers of YAML nodes that record a diagnostic for each problem instead of stopping."""

from __future__ import annotations

import math
import re
from typing import Iterable

from ..errors import Diagnostic, ProblemError, did_you_mean
from .yaml_tree import Node

# Each pattern can match a text in one way only, so a failing match takes linear time. They are
# compiled on first use (re caches them): most files write their numbers as YAML numbers.
_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_FRACTION = r"([-+]?\d+) */ *(\d+)"
_DATE = r"\d{4}-\d\d?-\d\d?"
MAX_HINTS = 100  # past this many problems in a file, no more "did you mean" is worked out
MAX_NUMBER_TEXT = 400  # characters of a number written as text; longer ones are not numbers


class Fields:
    """Reads values out of a node tree, collecting every problem as a positioned diagnostic."""

    def __init__(self, filename: str):
        self.filename = filename
        self.diagnostics: list[Diagnostic] = []

    def error(self, node: Node, message: str, hint: str = "", at_key: str | None = None,
              path: str | None = None) -> None:
        """Record a problem at a node (or at one of its keys)."""
        line, column = node.key_marks.get(at_key, (node.line, node.column)) if at_key else (node.line, node.column)
        self.diagnostics.append(Diagnostic(self.filename, line, column,
                                           node.path if path is None else path, message, hint))

    def raise_if_any(self) -> None:
        if self.diagnostics:
            raise ProblemError(self.diagnostics)

    def keys(self, node: Node, allowed: Iterable[str], required: Iterable[str] = ()) -> dict[str, Node] | None:
        """The children of a mapping node; unknown keys and missing required keys are reported."""
        if not node.is_mapping:
            self.error(node, f"expected a mapping, found {node.describe()}")
            return None
        allowed = list(allowed)
        known = set(allowed)
        for key in node.value:
            if key not in known:
                hint = did_you_mean(key, allowed) if len(self.diagnostics) < MAX_HINTS else ""
                self.error(node, f"unknown key '{key}', expected one of: {', '.join(allowed)}",
                           hint, at_key=key, path=f"{node.path}.{key}".lstrip("."))
        for key in required:
            if key not in node.value:
                self.error(node, f"expected a key '{key}', found none")
        return {k: v for k, v in node.value.items() if k in known}

    def number(self, node: Node, what: str = "a number", minimum: float | None = None,
               exclusive: bool = False) -> float | None:
        """A finite real number; strings like '1e-3' and '1/2' count, booleans do not."""
        value = as_number(node.value)
        if value is None:
            self.error(node, f"expected {what}, found {node.describe()}")
            return None
        if not math.isfinite(value):
            self.error(node, f"expected a finite number, found {node.describe()}")
            return None
        if minimum is not None and (value < minimum or (exclusive and value == minimum)):
            bound = f"greater than {minimum:g}" if exclusive else f"at least {minimum:g}"
            self.error(node, f"expected a number {bound}, found {value:g}")
            return None
        return value

    def integer(self, node: Node, what: str = "a whole number", minimum: int = 1,
                maximum: int | None = None) -> int | None:
        """A whole number within bounds."""
        value = node.value
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(node, f"expected {what}, found {node.describe()}")
            return None
        if value < minimum or (maximum is not None and value > maximum):
            upper = f" and at most {maximum:,}" if maximum is not None else ""
            self.error(node, f"expected {what} at least {minimum}{upper}, found {value:,}")
            return None
        return value

    def boolean(self, node: Node) -> bool | None:
        if not isinstance(node.value, bool):
            self.error(node, f"expected true or false, found {node.describe()}")
            return None
        return node.value

    def text(self, node: Node, what: str = "a string") -> str | None:
        if not isinstance(node.value, str):
            self.error(node, f"expected {what}, found {node.describe()}")
            return None
        return node.value

    def choice(self, node: Node, choices: Iterable[str], what: str = "") -> str | None:
        """One of a fixed set of names, with a 'did you mean' for a near miss."""
        choices = list(choices)
        if not isinstance(node.value, str) or node.value not in choices:
            label = f"{what} " if what else ""
            self.error(node, f"expected {label}one of: {', '.join(choices)}, found {node.describe()}",
                       did_you_mean(node.value, choices) if isinstance(node.value, str) else "")
            return None
        return node.value


def as_number(value: object) -> float | None:
    """A float from a YAML int, float, or numeric string ('1e-3', '1/2', or an expression of numbers,
    pi, e and the formula functions: '1 + sin(pi/4)'); None otherwise."""
    if isinstance(value, bool):
        return None
    try:
        if isinstance(value, (int, float)):
            return float(value)
        if isinstance(value, str):
            text = value.strip()
            if len(text) > MAX_NUMBER_TEXT:
                return None
            if re.fullmatch(_NUMBER, text):
                return float(text)
            match = re.fullmatch(_FRACTION, text)
            if match and int(match.group(2)) != 0:
                from fractions import Fraction  # rare: keeps start-up cheap
                return float(Fraction(int(match.group(1)), int(match.group(2))))
            if re.match(_DATE, text):  # YAML's timestamp, such as 2001-12-14: a date, not a subtraction
                return None
            if text and text.isascii() and text.isprintable() and not text.isidentifier() or text in ("pi", "e"):
                from ..engine.formula import constant  # an expression: only files that write one pay for it
                return constant(text)
    except OverflowError:  # an integer beyond float range: reported as not finite
        return -math.inf if str(value).lstrip().startswith("-") else math.inf
    except ValueError:  # more digits than Python converts
        return None
    return None


SYMBOL = "symbol"  # a value the problem keeps as a symbol: it is worked in formulas


def probe(count: int) -> float:
    """The number the ``count``-th symbol is recorded with (shapes and names are checked on it; its value
    is never shown): distinct, positive, not a round number."""
    return 0.5 + 0.37 * (count + 1)
