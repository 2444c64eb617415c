"""A scene as Graphviz DOT text: columns as ranks left to right, in the scene's order top to bottom."""

from __future__ import annotations

from .scene import Scene
from .svg import COLOURS, EDGE, FONTS


def quote(text: str) -> str:
    """A DOT double-quoted string: backslashes and quotes escaped, so that nothing in it is a DOT escape."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _label(lines: list[str]) -> str:
    return quote("\n".join(lines)).replace("\n", "\\n")


def render(scene: Scene) -> str:
    """The DOT document of a scene."""
    font = quote(FONTS.split(",")[0])
    caption = [scene.title] + scene.notes
    out = ["digraph backprop {",
           f"  graph [rankdir=LR, ranksep=1.4, nodesep=0.3, newrank=true, labelloc=t, labeljust=l, fontname={font}, "
           f"fontsize=14, label={_label(caption)}];",
           f"  node [shape=box, style=\"rounded,filled\", fontname={font}, fontsize=11];",
           f"  edge [fontname={font}, fontsize=10, color={quote(EDGE)}, arrowsize=0.7];"]
    for c, column in enumerate(scene.columns):
        if column.heading:
            out.append(f"  h{c} [shape=plaintext, style=\"\", fontcolor=\"#555555\", label={_label([column.heading])}];")
        for node in column.nodes:
            fill, stroke = COLOURS[node.kind]
            style = "\"rounded,filled,dashed\"" if node.kind in ("more", "bias") else "\"rounded,filled\""
            out.append(f"  {quote(node.id)} [label={_label(node.lines)}, fillcolor={quote(fill)}, "
                       f"color={quote(stroke)}, style={style}];")
        ranked = ([f"h{c}"] if column.heading else []) + [quote(node.id) for node in column.nodes]
        if ranked:
            out.append(f"  {{ rank=same; {'; '.join(ranked)}; }}")
        # invisible edges keep each column in the scene's order, top to bottom
        out += [f"  {a} -> {b} [style=invis];" for a, b in zip(ranked, ranked[1:])]
    for edge in scene.edges:
        attributes = [f"label={_label(edge.lines)}"] if edge.lines else []
        if edge.kind in ("bias", "loss"):
            attributes.append("style=dashed")
        shown = f" [{', '.join(attributes)}]" if attributes else ""
        out.append(f"  {quote(edge.source)} -> {quote(edge.target)}{shown};")
    out.append("}")
    return "\n".join(out) + "\n"
