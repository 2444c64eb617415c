"""Where a scene's parts go on a page: boxes sized to their text, columns left to right, lines that go
round the boxes in their way, and edge labels placed where they cover neither boxes nor each other."""

from __future__ import annotations

import unicodedata

from ..engine.record import Record
from .scene import Edge, Scene

FONT = 13  # px: text in boxes
LABEL_FONT = 12  # px: edge labels
TITLE_FONT = 16
HEADING_FONT = 13
LINE = 1.3  # line height, in font sizes
CHAR = 0.62  # a character's width, in font sizes (generous for a sans-serif face)
PAD_X, PAD_Y = 10, 6
MARGIN = 20
ROW_GAP = 26
MIN_GAP, MAX_GAP = 110, 560  # between columns
ARROW = 10  # length of an arrowhead
WIDENINGS = 4  # times the gaps where labels still collide are widened
STEPS = tuple(sign * 0.03 * k for k in range(14) for sign in ((1,) if k == 0 else (1, -1)))  # label positions tried


class Box(Record):
    """A rectangle: its top-left corner, width and height."""

    x: float
    y: float
    w: float
    h: float

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2

    def overlap(self, other: Box) -> float:
        """The area both cover."""
        w = min(self.x + self.w, other.x + other.w) - max(self.x, other.x)
        h = min(self.y + self.h, other.y + other.h) - max(self.y, other.y)
        return w * h if w > 0 and h > 0 else 0.0


class Line(Record):
    """An edge as drawn: through ``points`` (its start, the ends of the gap it takes through each column
    on the way, its end), and its label's box (None without a label)."""

    edge: Edge
    points: list
    label: Box | None = None

    def at(self, t: float) -> tuple[float, float]:
        """The point a fraction t of the way from start to end, in a straight line."""
        (x0, y0), (x1, y1) = self.points[0], self.points[-1]
        return x0 + t * (x1 - x0), y0 + t * (y1 - y0)


class Page(Record):
    """A laid-out scene: its size, every node's box, column headings, edges, title and notes."""

    width: float
    height: float
    boxes: dict
    headings: list  # (centre x, baseline y, text)
    lines: list
    title_y: float
    notes_y: float  # baseline of the first note


def text_width(line: str, size: float) -> float:
    """An estimate of a line's width: wide (East Asian) characters count twice."""
    wide = sum(1 for c in line if unicodedata.east_asian_width(c) in "WF") if not line.isascii() else 0
    return (len(line) + wide) * CHAR * size


def label_size(lines: list[str], size: float) -> tuple[float, float]:
    return max(text_width(line, size) for line in lines) + 8, len(lines) * LINE * size + 4


def lay_out(scene: Scene) -> Page:
    """Place everything: sizes from the text, columns centred on one line, then edges and labels; the
    gaps where labels still cover something are widened, a few times at most."""
    sizes = {node.id: (max(text_width(line, FONT) for line in node.lines) + 2 * PAD_X,
                       len(node.lines) * LINE * FONT + 2 * PAD_Y) for column in scene.columns for node in column.nodes}
    column_of = {node.id: c for c, column in enumerate(scene.columns) for node in column.nodes}
    label_h = max((label_size(e.lines, LABEL_FONT)[1] for e in scene.edges if e.lines), default=0)
    pitch = max((h for _, h in sizes.values()), default=0) + max(ROW_GAP, 1.2 * label_h)
    widths = [max((sizes[n.id][0] for n in column.nodes), default=0) for column in scene.columns]
    top = MARGIN + TITLE_FONT * LINE + (HEADING_FONT * LINE + 8 if any(c.heading for c in scene.columns) else 0)
    tallest = max((len(c.nodes) for c in scene.columns), default=0)
    gaps = [_gap(scene, column_of, c, pitch, widths) for c in range(len(scene.columns) - 1)]
    for attempt in range(WIDENINGS + 1):
        boxes, headings = _columns(scene, sizes, widths, gaps, pitch, top, tallest)
        lines, crowded = _lines(scene, boxes, column_of)
        crowded = [c for c in crowded if gaps[c] < MAX_GAP]
        if not crowded or attempt == WIDENINGS:
            break
        for c in crowded:
            gaps[c] = min(MAX_GAP, gaps[c] * 1.3)
    labels = [line.label for line in lines if line.label is not None]
    right = max([b.x + b.w for b in boxes.values()] + [b.x + b.w for b in labels]
                + [hx + text_width(heading, HEADING_FONT) / 2 for hx, _, heading in headings], default=MARGIN)
    lowest = max([top + tallest * pitch] + [b.y + b.h for b in labels])
    words = max([text_width(scene.title, TITLE_FONT)] + [text_width(n, FONT) for n in scene.notes])
    width = max(right, MARGIN + words) + MARGIN
    notes_y = lowest + 8 + FONT
    height = notes_y + (len(scene.notes) - 1) * LINE * FONT + MARGIN if scene.notes else lowest + MARGIN
    return Page(width, height, boxes, headings, lines, MARGIN + TITLE_FONT, notes_y)


def _columns(scene: Scene, sizes: dict, widths: list, gaps: list, pitch: float, top: float, tallest: int):
    """Every node's box, each column centred on the tallest one, and the headings above them."""
    boxes, headings, x = {}, [], MARGIN
    for c, column in enumerate(scene.columns):
        first = top + (tallest - len(column.nodes)) * pitch / 2
        for row, node in enumerate(column.nodes):
            w, h = sizes[node.id]
            boxes[node.id] = Box(x + (widths[c] - w) / 2, first + row * pitch + (pitch - h) / 2, w, h)
        if column.heading:
            centre = max(x + widths[c] / 2, MARGIN + text_width(column.heading, HEADING_FONT) / 2)
            headings.append((centre, top - 8, column.heading))
        x += widths[c] + (gaps[c] if c < len(gaps) else 0)
    return boxes, headings


def _gap(scene: Scene, column_of: dict, c: int, pitch: float, widths: list) -> float:
    """Room between column c and the next: for their headings side by side, for two labels, and for
    their labels to cover a quarter of it up to the height of the shorter column (where lines crowd)."""
    headings = [text_width(scene.columns[i].heading, HEADING_FONT) - widths[i] for i in (c, c + 1)]
    need = max(MIN_GAP, sum(headings) / 2 + 16)
    sizes = [label_size(e.lines, LABEL_FONT) for e in scene.edges if e.lines and column_of.get(e.source) == c]
    if sizes:
        height = pitch * min(len(scene.columns[c].nodes), len(scene.columns[c + 1].nodes))
        need = max(need, 1.6 * max(w for w, _ in sizes) + 20, sum(w * h for w, h in sizes) / (0.25 * height))
    return min(MAX_GAP, need)


def _lines(scene: Scene, boxes: dict, column_of: dict) -> tuple[list[Line], set[int]]:
    """Each edge from its source's right side to its target's left side, then its label placed; and
    the columns from which a label could not be placed without covering something."""
    starts, ends = _ports(scene.edges, boxes)
    columns: list[list[Box]] = [[] for _ in scene.columns]
    for node_id, box in boxes.items():
        columns[column_of[node_id]].append(box)
    taken: dict = {}
    lines = []
    for i, edge in enumerate(scene.edges):
        between = columns[column_of[edge.source] + 1:column_of[edge.target]]
        lines.append(Line(edge, _route(starts[i], ends[i], between, taken)))
    # Labels of edges from different sources into one column are staggered along the way, so that they
    # fan out instead of meeting in the middle.
    heights: dict = {}
    for edge in scene.edges:
        if edge.lines:
            heights.setdefault(column_of[edge.target], set()).add(boxes[edge.source].cy)
    ranks = {c: sorted(found) for c, found in heights.items()}
    placed: list[Box] = []
    obstacles = [*boxes.values(), *(Box(x - ARROW, y - ARROW / 2, ARROW, ARROW) for x, y in ends)]
    crowded = set()
    for line in lines:
        if line.edge.lines:
            rank = ranks[column_of[line.edge.target]]
            where = rank.index(boxes[line.edge.source].cy)
            preferred = 0.5 if len(rank) < 2 else 0.3 + 0.45 * where / (len(rank) - 1)
            line.label, cover = _place(line, preferred, placed, obstacles)
            placed.append(line.label)
            if cover:
                crowded.add(column_of[line.edge.source])
    return lines, crowded


def _ports(edges: list[Edge], boxes: dict) -> tuple[list, list]:
    """Where each edge leaves its source and reaches its target: spread along the box's side in the
    order of the other ends, so that lines into one box stay apart."""
    starts, ends = [None] * len(edges), [None] * len(edges)
    for ports, own, other, side in ((starts, "source", "target", 1), (ends, "target", "source", 0)):
        by_node: dict = {}
        for i, edge in enumerate(edges):
            by_node.setdefault(getattr(edge, own), []).append(i)
        for node_id, indices in by_node.items():
            box = boxes[node_id]
            indices.sort(key=lambda i: boxes[getattr(edges[i], other)].cy)
            for k, i in enumerate(indices):
                ports[i] = (box.x + side * box.w, box.y + box.h * (k + 1) / (len(indices) + 1))
    return starts, ends


def _route(start, end, between: list[list[Box]], taken: dict) -> list:
    """The points of a line that passes columns on its way: through each, level, in the free gap
    nearest to where a straight line would cross it; lines sharing a gap are set a little apart."""
    points = [start]
    for boxes in between:
        if not boxes:
            continue
        left = min(b.x for b in boxes) - 6
        right = max(b.x + b.w for b in boxes) + 6
        t = ((left + right) / 2 - start[0]) / (end[0] - start[0])
        y = _free(start[1] + t * (end[1] - start[1]), boxes)
        key = (round(left), round(y))
        shift = taken.get(key, 0)
        taken[key] = shift + 1
        y += 7 * ((shift + 1) // 2) * (1 if shift % 2 else -1)
        points += [(left, y), (right, y)]
    return points + [end]


def _free(y: float, boxes: list[Box], margin: float = 8) -> float:
    """``y`` when no box of a column is there, else the nearest middle of a gap between its boxes (or
    just above or below them all)."""
    if not any(b.y - margin <= y <= b.y + b.h + margin for b in boxes):
        return y
    ordered = sorted(boxes, key=lambda b: b.y)
    gaps = [ordered[0].y - 2 * margin, ordered[-1].y + ordered[-1].h + 2 * margin]
    gaps += [(a.y + a.h + b.y) / 2 for a, b in zip(ordered, ordered[1:]) if b.y - (a.y + a.h) > 2 * margin]
    return min(gaps, key=lambda g: (abs(g - y), g))


def _place(line: Line, preferred: float, placed: list[Box], boxes: list[Box]) -> tuple[Box, float]:
    """The label's box at the first position along the line that covers nothing, else the one covering
    least (a box or an arrowhead counting more than a label), and how much it covers."""
    w, h = label_size(line.edge.lines, LABEL_FONT)
    best, best_cover = None, 0.0
    left, right = line.points[0][0] - w, line.points[-1][0] + w
    near = [b for b in boxes if b.x < right and b.x + b.w > left]
    for step in STEPS:
        t = preferred + step
        if not 0.12 <= t <= 0.85:  # not on the arrowhead
            continue
        x, y = line.at(t)
        box = Box(x - w / 2, y - h / 2, w, h)
        cover = sum(box.overlap(b) for b in placed) + 4 * sum(box.overlap(b) for b in near)
        if cover == 0:
            return box, 0.0
        if best is None or cover < best_cover:
            best, best_cover = box, cover
    return best, best_cover
