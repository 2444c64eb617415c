"""A worked solution: steps in calculation order, grouped in sections, each step one quantity with its
formula, the formula with the numbers put in, and the result."""

from __future__ import annotations

from typing import Hashable

import numpy as np

from ..engine.record import Fresh, Record
from .maths import Node


class Step(Record):
    """One quantity worked out: ``target = general = substituted = value``.

    ``key`` names what it computes (``("pre", layer, sample, (unit,))``, ``("loss",)``, ...) and ``uses``
    the keys of the steps it reads, so that a solution can be cut down to what one answer needs.
    """

    key: Hashable
    target: Node
    general: Node | None
    substituted: Node | None
    value: float | np.ndarray
    uses: tuple = ()
    note: str = ""


class Section(Record):
    """Steps under a heading (the forward pass, the loss, ...), with notes after them."""

    title: str
    steps: list[Step] = Fresh(list)
    notes: list[str] = Fresh(list)


class Solution(Record):
    """A whole worked solution, in the file's notation."""

    title: str
    lines: list[str]  # the conventions, in words
    sections: list[Section]
    precision: int = 6
    result: object = None  # the worked result, for the tables and the diagram of the page formats

    def _repr_html_(self) -> str:
        from .html import render
        return render(self, body_only=True)

    def _repr_markdown_(self) -> str:
        from .markdown import render
        return render(self)

    def steps(self):
        for section in self.sections:
            yield from section.steps

    def only(self, wanted: set) -> "Solution":
        """The steps that compute the wanted keys and everything they depend on, in the same order."""
        by_key = {step.key: step for step in self.steps()}
        needed, todo = set(), [key for key in wanted if key in by_key]
        while todo:
            key = todo.pop()
            if key in needed:
                continue
            needed.add(key)
            todo.extend(used for used in by_key[key].uses if used in by_key and used not in needed)
        sections = [section._replace(steps=[s for s in section.steps if s.key in needed])
                    for section in self.sections]
        return self._replace(sections=[s for s in sections if s.steps])
