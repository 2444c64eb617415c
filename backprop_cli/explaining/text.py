"""A worked solution as plain text: each step on one line when it fits, else one '=' a line."""

from __future__ import annotations

import numpy as np

from ..printable import printable
from .maths import Node, Num, Verbatim, number, text

WIDTH = 100  # a step longer than this is written one '=' a line


def value_text(value, precision: int) -> str:
    """A step's result: a number, or a vector or matrix of them."""
    array = np.asarray(value, dtype=float)
    if array.ndim == 0:
        return number(float(array), precision)
    if array.size > 12:
        first = ", ".join(number(float(v), precision) for v in array.ravel()[:4])
        return f"{'×'.join(map(str, array.shape))} values: {first}, …"
    return "[" + ", ".join(value_text(row, precision) for row in array) + "]"


def parts(step, precision: int) -> list[Node]:
    """The nodes of ``target = general = substituted = value``, each once: a part that would be written
    the same as the one before it is left out. Every format writes these parts."""
    value = step.value
    result = Num(float(value)) if np.ndim(value) == 0 else Verbatim(value_text(value, precision))
    shown: list[Node] = []
    last = None
    for node in (step.target, step.general, step.substituted, result):
        if node is None:
            continue
        spelt = text(node, precision)
        if spelt != last:
            shown.append(node)
            last = spelt
    return shown


def step_lines(step, precision: int) -> list[str]:
    shown = [printable(text(p, precision)) for p in parts(step, precision)]
    note = f"   ({printable(step.note)})" if step.note else ""
    line = " = ".join(shown) + note
    if len(line) <= WIDTH:
        return [line]
    indent = " " * len(shown[0])
    return [f"{shown[0]} = {shown[1]}"] + [f"{indent} = {p}" for p in shown[2:]] + ([note.strip()] if note else [])


def render(solution) -> str:
    """The whole solution as text, ending with a newline."""
    blocks = ["\n".join(printable(line) for line in [solution.title, *solution.lines])]
    for section in solution.sections:
        lines = [printable(section.title)]
        for step in section.steps:
            lines += ["  " + line for line in step_lines(step, solution.precision)]
        lines += [printable(note) for note in section.notes]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"
