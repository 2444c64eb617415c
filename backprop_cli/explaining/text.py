"""A worked solution as plain text: each step on one line when it fits, else one '=' a line."""

from __future__ import annotations

import numpy as np

from ..printable import printable
from .maths import Node, Num, number, text
from .solution import Solution, Step

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


def chain(step: Step, precision: int, spell=text) -> list[str]:
    """The parts of ``target = general = substituted = value``, each once (a part that would only
    repeat the one before it is left out)."""
    parts = [spell(step.target, precision)]
    for node in (step.general, step.substituted):
        if node is not None:
            shown = spell(node, precision)
            if shown != parts[-1]:
                parts.append(shown)
    result = value_text(step.value, precision) if spell is text else None
    if result is not None and result != parts[-1]:
        parts.append(result)
    return parts


def step_lines(step: Step, precision: int) -> list[str]:
    parts = [printable(p) for p in chain(step, precision)]
    note = f"   ({printable(step.note)})" if step.note else ""
    line = " = ".join(parts) + note
    if len(line) <= WIDTH:
        return [line]
    indent = " " * len(parts[0])
    return [f"{parts[0]} = {parts[1]}"] + [f"{indent} = {p}" for p in parts[2:]] + ([note.strip()] if note else [])


def render(solution: Solution) -> str:
    """The whole solution as text, ending with a newline."""
    blocks = ["\n".join(printable(line) for line in [solution.title, *solution.lines])]
    for section in solution.sections:
        lines = [printable(section.title)]
        for step in section.steps:
            lines += ["  " + line for line in step_lines(step, solution.precision)]
        lines += [printable(note) for note in section.notes]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def is_number(node: Node | None) -> bool:
    return isinstance(node, Num)
