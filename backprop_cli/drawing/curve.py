"""The loss along training as a small SVG line chart, for the page formats.

Steps run along x (at most ``MOST_POINTS`` points: the mean over equal runs of steps past that), the
loss along y, on a log scale when every loss is positive and they span more than a factor of 10.
"""

from __future__ import annotations

import math
from html import escape

from ..printable import printable
from ..render.report import number

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 70, 20, 20, 40
MOST_POINTS = 400


def _points(losses: list[float]) -> list[tuple[float, float]]:
    """(step, loss) pairs, thinned to the mean over equal runs of steps when there are many."""
    if len(losses) <= MOST_POINTS:
        return [(float(i), v) for i, v in enumerate(losses)]
    size = len(losses) / MOST_POINTS
    points = []
    for k in range(MOST_POINTS):
        run = losses[int(k * size):max(int((k + 1) * size), int(k * size) + 1)]
        points.append(((k + 0.5) * size, sum(run) / len(run)))
    return points


def loss_curve(losses: list[float], symbol: str = "L", prefix: str = "curve") -> str:
    """The chart as inline SVG; empty when a loss is not finite or there are fewer than two."""
    if len(losses) < 2 or not all(math.isfinite(v) for v in losses):
        return ""
    points = _points(losses)
    low, high = min(v for _, v in points), max(v for _, v in points)
    log = low > 0 and high / low > 10
    scale = (lambda v: math.log10(v)) if log else (lambda v: v)
    bottom, top = scale(low), scale(high)
    span = (top - bottom) or 1.0
    last = max(len(losses) - 1, 1)

    def x(step: float) -> float:
        return LEFT + (WIDTH - LEFT - RIGHT) * step / last

    def y(value: float) -> float:
        return TOP + (HEIGHT - TOP - BOTTOM) * (top - scale(value)) / span

    path = " ".join(f"{x(s):.1f},{y(v):.1f}" for s, v in points)
    name = escape(printable(symbol))
    axis = "log scale" if log else "linear scale"
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="backprop-curve" id="{escape(prefix)}" '
            f'width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
            f'aria-label="{name} along training">'
            f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>'
            f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - RIGHT}" y2="{HEIGHT - BOTTOM}" stroke="#999"/>'
            f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{HEIGHT - BOTTOM}" stroke="#999"/>'
            f'<polyline fill="none" stroke="#c0392b" stroke-width="2" points="{path}"/>'
            f'<g font-family="sans-serif" font-size="12" fill="#333">'
            f'<text x="{LEFT - 6}" y="{TOP + 4}" text-anchor="end">{number(high, 4)}</text>'
            f'<text x="{LEFT - 6}" y="{HEIGHT - BOTTOM}" text-anchor="end">{number(low, 4)}</text>'
            f'<text x="{LEFT}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle">0</text>'
            f'<text x="{WIDTH - RIGHT}" y="{HEIGHT - BOTTOM + 16}" text-anchor="end">{len(losses) - 1}</text>'
            f'<text x="{(LEFT + WIDTH - RIGHT) / 2}" y="{HEIGHT - 6}" text-anchor="middle">'
            f'{name} before each update (the last point: after the last), {axis}</text></g></svg>')
