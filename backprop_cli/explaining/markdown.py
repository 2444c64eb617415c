"""A worked solution as GitHub-flavoured Markdown: headings, each step as display math, then the tables
of ``backprop run``."""

from __future__ import annotations

from ..render.markdown import text
from .latex import aligned


def render(solution, body_only: bool = False) -> str:
    """The solution as Markdown (``body_only`` leaves out the title and the tables)."""
    precision = solution.precision
    blocks = [] if body_only else [f"# {text(solution.title)}"]
    if solution.lines:
        blocks.append("\n".join(f"- {text(line)}" for line in solution.lines))
    for section in solution.sections:
        blocks.append(f"## {text(section.title)}")
        for step in section.steps:
            blocks.append("$$\n\\begin{aligned}\n" + aligned(step, precision, with_note=False) + "\n\\end{aligned}\n$$")
            if step.note:
                blocks.append(f"*({text(step.note)})*")
        blocks += [text(note) for note in section.notes]
    if not body_only and solution.result is not None:
        from ..render import layout
        from ..render.markdown import report
        blocks.append(report(layout.build(solution.result, precision)).replace("\n## ", "\n## tables: ", 1))
    return "\n\n".join(blocks) + "\n"
