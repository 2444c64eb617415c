"""Templates: problem files in which a number may be drawn anew for each student.

A draw stands wherever a number does: ``{draw: [low, high], decimals: 2, nonzero: true}`` (uniform,
rounded) or ``{choose: [a, b, c]}`` (one of the numbers, as written). Besides the positioned tree, a
template keeps its text and the characters each draw takes in it, so that a variant is the same text
with every draw replaced by its number, comments and layout kept.
"""

from __future__ import annotations

import yaml

from ..engine.record import Fresh, Record
from .fields import Fields
from .yaml_tree import Node, child_path, decode, parse, read_bytes

DRAW_KEYS = ("draw", "decimals", "nonzero")
MAX_DECIMALS = 10
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Draw(Record):
    """One draw: the characters it takes in the text, its node, and what it draws from."""

    start: int
    end: int
    node: Node
    low: float = 0.0
    high: float = 0.0
    decimals: int = 2
    nonzero: bool = False
    choices: list = Fresh(list)  # for choose: each option's text as written, and its node


class Question(Record):
    """An address the template asks, as written in the file (``source`` keeps any quotes), and where."""

    text: str
    source: str
    line: int
    column: int
    path: str


class Template(Record):
    """A template's text and tree, its draws in the order written, and the quantities it asks."""

    path: str
    text: str
    tree: Node
    draws: list
    questions: list
    top: int  # the start of the first key's line, where a variant names its student
    answers: tuple | None = None  # the characters of the expected: section, which no variant keeps


def read_template(path: str) -> Template:
    """Read a template file (raises ProblemError, every problem positioned)."""
    return parse_template(decode(read_bytes(path), path), path)


def parse_template(text: str, path: str) -> Template:
    """A template from its text: the draws and questions checked, not yet the problem."""
    tree = parse(text, path)
    root = yaml.compose(text, Loader=_Loader)  # the same document again: its nodes know their characters
    f = Fields(path)
    if root.flow_style:
        f.error(tree, "expected a template written in block style (one key a line), found a flow mapping")
        f.raise_if_any()
    if "student" in tree.value:
        f.error(tree, "expected no student: in a template (each variant names its own), found one",
                at_key="student", path="student")
    draws: list[Draw] = []
    answers, seen = None, {}
    for (key, raw), (name, node) in zip(root.value, tree.value.items()):
        if name == "expected":  # its values are not read: a template only asks
            answers = (_line_start(key), _line_end(text, _end(raw, text)))
        else:
            _find_draws(raw, node, text, f, draws, seen)
    questions = _questions(root, tree, text, f)
    f.raise_if_any()
    return Template(path, text, tree, draws, questions, _line_start(root.value[0][0]), answers)


def _find_draws(raw: yaml.Node, node: Node, text: str, f: Fields, draws: list[Draw], seen: dict[int, int]) -> None:
    """Every draw under a node, in the order written (``seen`` counts visits, to tell aliases)."""
    if isinstance(raw, yaml.MappingNode) and ("draw" in node.value or "choose" in node.value):
        seen[id(raw)] = seen.get(id(raw), 0) + 1
        if seen[id(raw)] == 1:
            draw = _draw(raw, node, text, f)
            if draw is not None:
                draws.append(draw)
        elif seen[id(raw)] == 2:  # a variant replaces text, and an alias has none of its own
            f.error(node, "expected each draw written out where it is used, found one repeated through an alias")
        return
    if isinstance(raw, yaml.MappingNode):
        children = zip((value for _, value in raw.value), node.value.values())
    else:
        children = zip(raw.value, node.value) if isinstance(raw, yaml.SequenceNode) else ()
    for raw_child, child in children:
        _find_draws(raw_child, child, text, f, draws, seen)


def _draw(raw: yaml.MappingNode, node: Node, text: str, f: Fields) -> Draw | None:
    """One draw mapping, checked."""
    start, end = raw.start_mark.index, _end(raw, text)
    if "draw" in node.value and "choose" in node.value:
        f.error(node, "expected draw or choose, found both")
        return None
    if "choose" in node.value:
        options = (f.keys(node, ("choose",)) or {})["choose"]
        if not options.is_sequence or not options.value:
            f.error(options, f"expected a list of numbers to choose from, found {options.describe()}")
            return None
        if [f.number(option) for option in options.value].count(None):
            return None
        raw_options = next(value for key, value in raw.value if key.value == "choose").value
        return Draw(start, end, node, choices=[(text[r.start_mark.index:_end(r, text)], option)
                                               for r, option in zip(raw_options, options.value)])
    keys = f.keys(node, DRAW_KEYS) or {}
    bounds = keys["draw"]
    decimals = f.integer(keys["decimals"], "a number of decimals", 0, MAX_DECIMALS) if "decimals" in keys else 2
    nonzero = f.boolean(keys["nonzero"]) if "nonzero" in keys else False
    if not bounds.is_sequence or len(bounds.value) != 2:
        f.error(bounds, f"expected a range [low, high], found {bounds.describe()}")
        return None
    low, high = (f.number(bound) for bound in bounds.value)
    if low is None or high is None or decimals is None or nonzero is None:
        return None
    if not low < high:
        f.error(bounds, f"expected a range [low, high] with low < high, found [{low:g}, {high:g}]")
        return None
    half = 0.5 * 10.0 ** -decimals
    if nonzero and -half <= low and high <= half:
        f.error(bounds, f"expected a range with numbers that do not round to 0 at {decimals} decimals "
                        f"(nonzero: true), found [{low:g}, {high:g}]")
        return None
    return Draw(start, end, node, low, high, decimals, nonzero)


def _questions(root: yaml.MappingNode, tree: Node, text: str, f: Fields) -> list[Question]:
    """The addresses asked: the keys of grading: questions: if there are any, else those of expected:."""
    grading = tree.value.get("grading")
    if grading is not None and grading.is_mapping and "questions" in grading.value:
        section, raw, what = grading.value["questions"], _child(_child(root, "grading"), "questions"), \
            "a mapping from address to points"
    elif "expected" in tree.value:
        section, raw, what = tree.value["expected"], _child(root, "expected"), "a mapping of answers (address: value)"
    else:
        f.error(tree, "expected the quantities asked, under expected: or grading: questions:, found neither")
        return []
    if not section.is_mapping or not section.value:
        f.error(section, f"expected {what}, found {'none' if section.is_mapping else section.describe()}")
        return []
    return [Question(name, text[key.start_mark.index:key.end_mark.index], *section.key_marks[name],
                     child_path(section.path, name)) for (key, _), name in zip(raw.value, section.value)]


def _child(raw: yaml.MappingNode, name: str) -> yaml.Node:
    return next(value for key, value in raw.value if key.value == name)


def _end(raw: yaml.Node, text: str) -> int:
    """Where a node's own text ends (a block collection's end mark lies past the comments after it)."""
    while isinstance(raw, yaml.CollectionNode) and not raw.flow_style and raw.value:
        last = raw.value[-1]
        raw = last[1] if isinstance(raw, yaml.MappingNode) else last
    end = raw.end_mark.index
    while end > raw.start_mark.index and text[end - 1] in " \t\r\n":
        end -= 1
    return end


def _line_start(raw: yaml.Node) -> int:
    return raw.start_mark.index - raw.start_mark.column


def _line_end(text: str, index: int) -> int:
    """The start of the line after the one ``index`` ends."""
    newline = text.find("\n", index)
    return len(text) if newline < 0 else newline + 1
