"""The ``expected:`` answers of a problem file and the ``check:`` settings that go with them.

An answer's tolerance is inferred from how it was written: 0.60 is right when the true value rounds
to 0.60 (within half a unit of the last decimal written); ``abs``, ``rel`` or ``decimals`` override it
per entry or for the whole file.
"""

from __future__ import annotations

import math
import re

import numpy as np

from ..engine.record import Fresh, Record
from ..errors import Diagnostic
from . import addresses
from .fields import Fields, as_number
from .yaml_tree import Node

_MANTISSA = r"[-+]?(\d*)(?:\.(\d*))?(?:[eE]([-+]?\d+))?"  # one way to match: linear time
TOLERANCE_KEYS = ("abs", "rel", "decimals")


class Tolerance(Record):
    """An explicit tolerance: absolute, relative (to the true value), or a number of decimals."""

    abs: float | None = None
    rel: float | None = None
    decimals: int | None = None

    @property
    def is_set(self) -> bool:
        return (self.abs, self.rel, self.decimals) != (None, None, None)

    def merged(self, other: "Tolerance") -> "Tolerance":
        """This tolerance where set, else the other's."""
        return Tolerance(*(mine if mine is not None else theirs for mine, theirs in
                           ((self.abs, other.abs), (self.rel, other.rel), (self.decimals, other.decimals))))


class Answer(Record):
    """One written answer: what it addresses, the value(s) written, and how close counts as right.

    ``written`` has the shape it was written in: the quantity's shape, or a matrix's transposed shape
    (which ``matches`` nothing, so the checker can say it was transposed)."""

    address: addresses.Address
    written: np.ndarray  # NaN where null was written (no such entry)
    decimals: np.ndarray  # decimals written per element (for rounding and truncation)
    tolerance: Tolerance
    line: int
    column: int
    text: np.ndarray | None = None  # str per element, as written ('null' for null); None when not read

    def matches(self, value: np.ndarray) -> bool:
        """True when every written element is within its tolerance of ``value`` (null matches absent)."""
        value = np.asarray(value, dtype=float)
        if value.shape != self.written.shape:
            return False
        if (np.isnan(self.written) != np.isnan(value)).any():
            return False
        present = ~np.isnan(value)
        return bool(np.all(np.abs(self.written[present] - value[present]) <= self.limits(value)[present]))

    def limits(self, exact: np.ndarray) -> np.ndarray:
        """How far from the exact value each written element may be and still count as right (in the
        exact value's shape, should the answer be written transposed)."""
        t = self.tolerance
        if t.abs is not None or t.rel is not None:
            return self.nominal(exact)
        return self.nominal(exact) * (1 + 1e-9) + 1e-12 * np.abs(exact)  # slack for the float error

    def nominal(self, exact: np.ndarray) -> np.ndarray:
        """Each element's tolerance as set or as written (half a unit of its last decimal)."""
        t = self.tolerance
        if t.abs is not None or t.rel is not None:
            return np.maximum(t.abs or 0.0, (t.rel or 0.0) * np.abs(exact))
        digits = self.decimals if t.decimals is None else np.full(self.decimals.shape, t.decimals)
        return 0.5 * 10.0 ** (-_as_shaped(digits, exact).astype(float))

    def widest(self, exact: np.ndarray) -> float | None:
        """The largest nominal tolerance over the numbers written (None when only null was written)."""
        exact = np.asarray(exact, dtype=float)
        present = ~np.isnan(_as_shaped(self.written, exact))
        nominal = self.nominal(np.where(np.isnan(exact), 0.0, exact))
        return float(nominal[present].max()) if present.any() else None


def _as_shaped(written: np.ndarray, exact) -> np.ndarray:
    """Per-element data of a written answer laid out like the exact value: transposed when the matrix
    was written transposed (the one other shape read)."""
    shape = np.shape(exact)
    return written.T if written.ndim == 2 and shape != written.shape and shape == written.shape[::-1] else written


class CheckSettings(Record):
    """File-wide settings: a default tolerance, and hand rounding of every intermediate."""

    tolerance: Tolerance = Fresh(Tolerance)
    rounding: int | None = None


def written_decimals(raw: str | None) -> int:
    """Decimals a number was written to ('0.60' -> 2, '1.5e-3' -> 4, '4' -> 0)."""
    match = re.fullmatch(_MANTISSA, (raw or "").strip())
    if not match:
        return 6
    return len(match.group(2) or "") - int(match.group(3) or 0)


def read_settings(node: Node, f: Fields) -> CheckSettings:
    """The ``check:`` mapping."""
    keys = f.keys(node, (*TOLERANCE_KEYS, "round")) or {}
    rounding = f.integer(keys["round"], "a number of decimals", 0, 15) if "round" in keys else None
    return CheckSettings(tolerance_of(keys, f), rounding)


def tolerance_of(keys: dict[str, Node], f: Fields) -> Tolerance:
    """The ``abs``, ``rel`` and ``decimals`` among the keys of a mapping."""
    absolute = f.number(keys["abs"], "an absolute tolerance", 0.0) if "abs" in keys else None
    relative = f.number(keys["rel"], "a relative tolerance", 0.0) if "rel" in keys else None
    decimals = f.integer(keys["decimals"], "a number of decimals", 0, 15) if "decimals" in keys else None
    return Tolerance(absolute, relative, decimals)


class Unreadable(Record):
    """An answer that could not be read: its address as written, where it stands, and why."""

    text: str
    line: int
    column: int
    diagnostics: list  # Diagnostic
    written: str = ""  # the value as written, when it is one scalar

    @property
    def reason(self) -> str:
        return "; ".join(d.message + (f" ({d.hint})" if d.hint else "") for d in self.diagnostics)


INFINITY = ("oo", "inf", "infinity")  # names an answer may use for ∞
_INTERVAL = re.compile(r"(?P<open>[\[(])(?P<low>[^,\[\]()]*(?:\([^()]*\)[^,\[\]()]*)*),"
                       r"(?P<high>[^,\[\]()]*(?:\([^()]*\)[^,\[\]()]*)*)(?P<close>[\])])")


class FormulaAnswer(Record):
    """An answer written as a formula in the problem's symbols (``(1 - tanh(x1/x2)**2)/x2``)."""

    address: addresses.Address
    text: str  # as written
    formula: object  # the parsed formula (``engine.formula.Expr``)
    line: int
    column: int


def _formula_answer(where, node: Node, text: str, line: int, column: int, problem, f: Fields):
    """A written formula, parsed against the whitelist (names: the problem's inputs and parameters)."""
    from ..engine import formula
    from .sheet_formulas import SHEET_FUNCTIONS, sheet_text
    names = {*problem.symbols, *INFINITY}
    if problem.kind == "graph":
        names |= {*problem.inputs, *problem.params, *(spec.name for spec in problem.nodes)}  # nodes: their formulas
    functions = {**formula.FUNCTIONS, **SHEET_FUNCTIONS}

    def parsed(text: str):
        return formula.parse(sheet_text(text, functions), names, functions=functions)[0]
    interval = _INTERVAL.fullmatch(node.value.strip()) if where.kind == "property" else None
    if where.kind == "property" and where.state == "range" and interval is None:
        f.diagnostics.append(Diagnostic(f.filename, line, column, node.path, "expected a range written as an "
                                        f"interval such as '(0, 1/4]', found '{node.value}'"))
        return Unreadable(text, line, column, f.diagnostics, node.value)
    try:
        if interval is not None:  # (a, b], [a, b), ...: the ends, and whether each is included
            expr = ("interval", interval["open"] == "[", parsed(interval["low"]), parsed(interval["high"]),
                    interval["close"] == "]")
        else:
            expr = parsed(node.value)
    except formula.FormulaError as exc:
        f.diagnostics.append(Diagnostic(f.filename, line, column, node.path, f"{exc} in the formula '{node.value}'",
                                        exc.hint))
        return Unreadable(text, line, column, f.diagnostics, node.value)
    return FormulaAnswer(where, node.value, expr, line, column)


def read_answers(node: Node, problem, f: Fields, resolve) -> tuple[list[Answer], list[Unreadable]]:
    """Every entry of ``expected:``, each read on its own: an address that ``resolve`` cannot resolve
    against the problem, or a value that cannot be read, makes that one answer unreadable."""
    if not node.is_mapping:
        f.error(node, f"expected a mapping of answers (address: value), found {node.describe()}")
        return [], []
    default = problem.check.tolerance if problem.check else Tolerance()
    read = [read_answer(text, child, *node.key_marks[text], problem, resolve, f.filename, default)
            for text, child in node.value.items()]
    return [a for a in read if not isinstance(a, Unreadable)], [a for a in read if isinstance(a, Unreadable)]


def read_answer(text: str, node: Node, line: int, column: int, problem, resolve, filename: str,
                default: Tolerance = Tolerance()) -> Answer | Unreadable:
    """One written answer (a value, or ``{value: ..., abs|rel|decimals: ...}``) at the address ``text``,
    with its tolerance: its own, else ``default``, else inferred from the decimals written."""
    f = Fields(filename)
    try:
        where = resolve(text, problem)
    except addresses.AddressError as exc:
        f.diagnostics.append(Diagnostic(filename, line, column, node.path, str(exc), exc.hint))
        return Unreadable(text, line, column, f.diagnostics, node.raw if isinstance(node.raw, str) else "")
    if getattr(problem, "symbols", ()) and isinstance(node.value, str) and as_number(node.value) is None:
        return _formula_answer(where, node, text, line, column, problem, f)
    value_node, tolerance = node, Tolerance()
    if node.is_mapping:
        keys = f.keys(node, ("value", *TOLERANCE_KEYS), required=("value",)) or {}
        value_node = keys.get("value")
        tolerance = tolerance_of(keys, f)
    read = None if value_node is None else _values(value_node, where.shape if where.index is None else (), f)
    if read is None or f.diagnostics:
        shown = value_node.raw if value_node is not None and isinstance(value_node.raw, str) else ""
        return Unreadable(text, line, column, f.diagnostics, shown)
    written, decimals, texts = read
    return Answer(where, written, decimals, tolerance.merged(default), line, column, texts)


def _values(node: Node, shape: tuple[int, ...], f: Fields) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Written numbers of the expected shape (or a matrix's transposed shape: read as written, for the
    checker to judge), the decimals each was written to, and each one's text."""
    written_in = shape
    flat = _flattened(node, shape)
    if flat is None and len(shape) == 2 and shape[0] != shape[1]:  # a matrix written transposed
        written_in = shape[::-1]
        flat = _flattened(node, written_in)
    if flat is None:
        want = "one number" if not shape else "×".join(map(str, shape)) + " values"
        f.error(node, f"expected {want}, found {_found(node)}")
        return None
    values, decimals, texts = [], [], []
    for item in flat:
        if item.value is None:
            values.append(math.nan)
            decimals.append(0)
            texts.append("null")
            continue
        number = f.number(item)
        if number is None:
            return None
        text = item.raw if isinstance(item.raw, str) else str(item.value)
        values.append(number)
        decimals.append(written_decimals(text))
        texts.append(text)
    target = written_in if len(flat) == int(np.prod(shape)) else ()
    return (np.array(values, dtype=float).reshape(target), np.array(decimals).reshape(target),
            np.array(texts, dtype=str).reshape(target))


def _flattened(node: Node, shape: tuple[int, ...]) -> list[Node] | None:
    """The scalars of a value written in ``shape`` (a matrix of one row or column also as a flat list, a
    quantity of one value also as one number), or None when it has another shape."""
    flat: list[Node] = []

    def collect(item: Node, depth: int) -> bool:
        if item.is_sequence:
            if depth >= len(shape) or len(item.value) != shape[depth]:
                return False
            return all(collect(child, depth + 1) for child in item.value)
        if depth != len(shape) and not (int(np.prod(shape)) == 1 and depth == 0):
            return False
        flat.append(item)
        return True

    if len(shape) == 2 and 1 in shape and node.is_sequence and not any(i.is_sequence for i in node.value):
        return list(node.value) if len(node.value) == int(np.prod(shape)) else None
    return flat if collect(node, 0) else None


def _found(node: Node) -> str:
    """What was written, by its shape when it is a matrix ('3×4 values')."""
    rows = node.value if node.is_sequence else []
    if rows and all(r.is_sequence for r in rows) and len({len(r.value) for r in rows}) == 1:
        return f"{len(rows)}×{len(rows[0].value)} values"
    return node.describe()

