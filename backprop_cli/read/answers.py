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
from .fields import Fields
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
    """One written answer: what it addresses, the value(s) written, and how close counts as right."""

    address: addresses.Address
    written: np.ndarray  # NaN where null was written (no such entry)
    decimals: np.ndarray  # decimals written per element (for rounding and truncation)
    tolerance: Tolerance
    line: int
    column: int

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
        """How far from the exact value each written element may be and still count as right."""
        t = self.tolerance
        if t.abs is not None or t.rel is not None:
            return np.maximum(t.abs or 0.0, (t.rel or 0.0) * np.abs(exact))
        digits = self.decimals if t.decimals is None else np.full(self.decimals.shape, t.decimals)
        return 0.5 * 10.0 ** (-digits.astype(float)) * (1 + 1e-9) + 1e-12 * np.abs(exact)


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


def read_answers(node: Node, problem, f: Fields, resolve) -> tuple[list[Answer], list[Unreadable]]:
    """Every entry of ``expected:``, each read on its own: an address that ``resolve`` cannot resolve
    against the problem, or a value that cannot be read, makes that one answer unreadable."""
    if not node.is_mapping:
        f.error(node, f"expected a mapping of answers (address: value), found {node.describe()}")
        return [], []
    default = problem.check.tolerance if problem.check else Tolerance()
    read = [read_answer(text, child, *node.key_marks[text], problem, resolve, f.filename, default)
            for text, child in node.value.items()]
    return [a for a in read if isinstance(a, Answer)], [a for a in read if isinstance(a, Unreadable)]


def read_answer(text: str, node: Node, line: int, column: int, problem, resolve, filename: str,
                default: Tolerance = Tolerance()) -> Answer | Unreadable:
    """One written answer (a value, or ``{value: ..., abs|rel|decimals: ...}``) at the address ``text``,
    with its tolerance: its own, else ``default``, else inferred from the decimals written."""
    f = Fields(filename)
    try:
        where = resolve(text, problem)
    except addresses.AddressError as exc:
        f.diagnostics.append(Diagnostic(filename, line, column, node.path, str(exc), exc.hint))
        return Unreadable(text, line, column, f.diagnostics)
    value_node, tolerance = node, Tolerance()
    if node.is_mapping:
        keys = f.keys(node, ("value", *TOLERANCE_KEYS), required=("value",)) or {}
        value_node = keys.get("value")
        tolerance = tolerance_of(keys, f)
    read = None if value_node is None else _values(value_node, where.shape if where.index is None else (), f)
    if read is None or f.diagnostics:
        shown = value_node.raw if value_node is not None and isinstance(value_node.raw, str) else ""
        return Unreadable(text, line, column, f.diagnostics, shown)
    return Answer(where, read[0], read[1], tolerance.merged(default), line, column)


def _values(node: Node, shape: tuple[int, ...], f: Fields) -> tuple[np.ndarray, np.ndarray] | None:
    """Written numbers of the expected shape, and the decimals each was written to."""
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

    squeezable = len(shape) == 2 and 1 in shape and node.is_sequence and not any(i.is_sequence for i in node.value)
    if squeezable:
        flat = list(node.value) if len(node.value) == int(np.prod(shape)) else []
        ok = bool(flat)
    else:
        ok = collect(node, 0)
    if not ok:
        want = "one number" if not shape else "×".join(map(str, shape)) + " values"
        f.error(node, f"expected {want}, found {node.describe()}")
        return None
    values, decimals = [], []
    for item in flat:
        if item.value is None:
            values.append(math.nan)
            decimals.append(0)
            continue
        number = f.number(item)
        if number is None:
            return None
        values.append(number)
        decimals.append(written_decimals(item.raw if isinstance(item.raw, str) else str(item.value)))
    target = shape if len(flat) == int(np.prod(shape)) else ()
    return np.array(values, dtype=float).reshape(target), np.array(decimals).reshape(target)

