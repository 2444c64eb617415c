"""A problem file in: the format of its kind chosen by its keys, then read by that kind's reader."""

from __future__ import annotations

from .fields import Fields
from .yaml_tree import Node, parse, read

def load(path: str):
    """Read, validate and build the problem in a YAML file (raises ProblemError)."""
    return build(read(path), path)


def loads(text: str, filename: str = "<string>"):
    """Validate and build a problem from YAML text (raises ProblemError)."""
    return build(parse(text, filename), filename)


def build(tree: Node, filename: str):
    """Turn a parsed file into a problem of its kind, or raise ProblemError listing every problem found."""
    if tree.is_mapping and "graph" in tree.value:
        from . import graph
        return graph.read_problem(tree, Fields(filename))
    from . import layered
    return layered.read_problem(tree, Fields(filename))
