"""The numbers of one student's variant: each draw of a template, made from the seed, the student's id
and the draw's place in the file, so that the same three always give the same number."""

from __future__ import annotations

import hashlib

import numpy as np

from ..read.template import Draw, Template
from ..read.yaml_tree import Node


def numbers(template: Template, student: str, seed: int) -> list[tuple[str, Node]]:
    """For each draw, in order: the text that replaces it, and its value as a node where the draw stands."""
    if not 0 <= seed < 2 ** 32:
        raise ValueError(f"expected a seed from 0 to {2 ** 32 - 1}, found {seed}")
    # Every part one 32-bit word, so that two different (seed, id, index) never make the same sequence.
    words = np.frombuffer(hashlib.sha256(student.encode("utf-8")).digest(), dtype="<u4").tolist()
    return [_one(draw, np.random.default_rng(np.random.SeedSequence([seed, *words, index])))
            for index, draw in enumerate(template.draws)]


def _one(draw: Draw, rng: np.random.Generator) -> tuple[str, Node]:
    at = draw.node
    if draw.choices:
        text, option = draw.choices[int(rng.integers(len(draw.choices)))]
        return text, Node(option.value, at.line, at.column, at.path, raw=option.raw, style=option.style)
    text = written(_uniform(draw, rng), draw.decimals, draw.nonzero)
    return text, Node(int(text) if draw.decimals == 0 else float(text), at.line, at.column, at.path, raw=text)


def _uniform(draw: Draw, rng: np.random.Generator) -> float:
    """Uniform on [low, high); with nonzero, on the part of it that does not round to 0."""
    if not draw.nonzero:
        return float(rng.uniform(draw.low, draw.high))
    half = 0.5 * 10.0 ** -draw.decimals
    left = max(0.0, min(draw.high, -half) - draw.low)  # [low, -half) and [half, high), laid end to end
    right = max(0.0, draw.high - max(draw.low, half))
    u = float(rng.uniform(0.0, left + right))
    return draw.low + u if u < left else max(draw.low, half) + (u - left)


def written(value: float, decimals: int, nonzero: bool = False) -> str:
    """A number rounded to ``decimals`` as it is written (0.5 at 2 decimals is 0.50; never -0.00)."""
    text = f"{value:.{decimals}f}"
    if float(text) == 0:  # only at the very edge of the range when nonzero
        text = f"{np.copysign(10.0 ** -decimals, value) if nonzero else 0.0:.{decimals}f}"
    return text
