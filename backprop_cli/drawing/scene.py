"""A diagram before any format: nodes in columns, each a few lines of text, and labelled edges."""

from __future__ import annotations

import numpy as np

from ..engine.record import Fresh, Record
from ..printable import printable
from ..render.report import number

MAX_ROWS = 12  # nodes drawn in one column; past that, the first ones and a "… N more" node
MAX_EDGES = 200  # edges drawn in all
MAX_LABELS = 36  # labelled edges between two columns; past that, too many to read: the lines alone
MAX_COLUMNS = 12  # columns drawn; past that, the first ones and a "… N more" column
MAX_ENTRIES = 4  # entries of a vector or matrix shown in a label
MAX_TEXT = 40  # characters of one line of a label (a long formula is cut)
MAX_NOTE = 160  # characters of a title or a note under the drawing


class Node(Record):
    """A box: its first line names it, the others give values. ``kind`` chooses how it looks."""

    id: str
    lines: list[str]
    kind: str  # input, unit, output, bias, parameter, formula, loss, more
    backward: int = 0  # how many of the last lines are gradients


class Edge(Record):
    """A line from one node to another, with optional label lines (a weight and its gradient)."""

    source: str
    target: str
    lines: list[str] = Fresh(list)
    kind: str = "uses"  # weight, bias, uses, loss
    backward: int = 0  # how many of the last lines are gradients


class Column(Record):
    """Nodes drawn one above the other, top first, under a heading."""

    heading: str
    nodes: list[Node]


class Scene(Record):
    """A whole diagram: columns left to right, the edges between their nodes, notes under it."""

    title: str
    columns: list[Column]
    edges: list[Edge]
    notes: list[str] = Fresh(list)
    kind: str = "layered"

    def node_ids(self) -> set[str]:
        return {node.id for column in self.columns for node in column.nodes}


def text(value: object, limit: int = MAX_TEXT) -> str:
    """Text from a file, on one line (control and bidi characters as escapes), cut past ``limit``."""
    shown = printable(value)
    return shown if len(shown) <= limit else shown[:limit - 1] + "…"


def show(value, precision: int) -> str:
    """A scalar, or the first few entries of an array then '…', with its shape when it is not a vector."""
    array = np.asarray(value, dtype=float)
    if array.ndim == 0:
        return number(float(array), precision)
    first = [number(float(v), precision) for v in array.ravel()[:MAX_ENTRIES]]
    more = ", …" if array.size > MAX_ENTRIES else ""
    shape = "" if array.ndim == 1 else "×".join(map(str, array.shape)) + ": "
    return f"{shape}[{', '.join(first)}{more}]"


def more(node_id: str, hidden: int, what: str) -> Node:
    """The node standing for what a column leaves out."""
    return Node(node_id, [f"… {hidden} more {what}"], "more")
