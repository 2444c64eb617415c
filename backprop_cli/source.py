"""YAML read into a tree of nodes that remember where each value stands in the file.

Only plain YAML data is accepted (mappings, sequences, strings, numbers, booleans, null): any tag that
would construct another kind of object is reported, never constructed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import SafeConstructor

from .errors import Diagnostic, ProblemError

MAX_NODES = 2_000_000  # guards against alias expansion ("billion laughs") and absurd files

_STD = "tag:yaml.org,2002:"
_SCALAR_TAGS = {_STD + t for t in ("str", "int", "float", "bool", "null", "timestamp")}
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class Node:
    """A YAML value with its 1-based position and its key path from the document root."""

    value: Any  # dict[str, Node] | list[Node] | str | int | float | bool | None
    line: int
    column: int
    path: str
    key_marks: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def is_mapping(self) -> bool:
        return isinstance(self.value, dict)

    @property
    def is_sequence(self) -> bool:
        return isinstance(self.value, list)

    def describe(self) -> str:
        """A short description of what this node holds, for 'found ...' in messages."""
        return describe(self.value)


def describe(value: Any) -> str:
    """Describe a plain or node-wrapped YAML value for an error message."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"'{str(value).lower()}'"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"'{shown}'"
    return repr(value)


def child_path(parent: str, key: str | int) -> str:
    """Key path of a child: mapping keys joined with dots, list positions 1-based in brackets."""
    if isinstance(key, int):
        return f"{parent}[{key + 1}]"
    return f"{parent}.{key}" if parent else key


class _Builder:
    def __init__(self, filename: str):
        self.filename = filename
        self.count = 0
        self.constructor = SafeConstructor()
        self.diagnostics: list[Diagnostic] = []

    def error(self, node: yaml.Node, path: str, message: str) -> None:
        mark = node.start_mark
        self.diagnostics.append(Diagnostic(self.filename, mark.line + 1, mark.column + 1, path, message))

    def build(self, node: yaml.Node, path: str) -> Node:
        self.count += 1
        if self.count > MAX_NODES:
            raise ProblemError([Diagnostic(self.filename, node.start_mark.line + 1,
                                           node.start_mark.column + 1, path,
                                           f"expected at most {MAX_NODES:,} YAML values, found more "
                                           "(aliases expand too far)")])
        line, col = node.start_mark.line + 1, node.start_mark.column + 1
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path, line, col)
        if isinstance(node, yaml.SequenceNode):
            if node.tag != _STD + "seq":
                self.error(node, path, f"expected plain YAML data, found the tag {node.tag}")
            return Node([self.build(item, child_path(path, i)) for i, item in enumerate(node.value)],
                        line, col, path)
        return Node(self._scalar(node, path), line, col, path)

    def _mapping(self, node: yaml.MappingNode, path: str, line: int, col: int) -> Node:
        if node.tag != _STD + "map":
            self.error(node, path, f"expected plain YAML data, found the tag {node.tag}")
        items: dict[str, Node] = {}
        marks: dict[str, tuple[int, int]] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _STD + "merge":
                self.error(key_node, path, "expected a key, found a merge key '<<' (not supported)")
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self.error(key_node, path, "expected a plain key, found a mapping or list as a key")
                continue
            key = self._scalar(key_node, path)
            key = "null" if key is None else str(key).lower() if isinstance(key, bool) else str(key)
            if key in items:
                self.error(key_node, child_path(path, key),
                           f"expected each key once, found '{key}' again "
                           f"(first at line {marks[key][0]})")
                continue
            marks[key] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            items[key] = self.build(value_node, child_path(path, key))
        return Node(items, line, col, path, marks)

    def _scalar(self, node: yaml.ScalarNode, path: str) -> Any:
        if node.tag not in _SCALAR_TAGS:
            self.error(node, path, f"expected plain YAML data, found the tag {node.tag}")
            return node.value
        if node.tag.endswith(":str") or node.tag.endswith(":timestamp"):
            return node.value
        try:
            return self.constructor.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError) as exc:
            self.error(node, path, f"expected a {node.tag.rsplit(':', 1)[1]}, found '{node.value}' ({exc})")
            return node.value


def parse(text: str, filename: str) -> Node:
    """Parse YAML text into a positioned node tree; raise ProblemError on anything but plain data."""
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = exc.problem or exc.context or "invalid YAML"
        raise ProblemError([Diagnostic(filename, line, col, "", f"expected valid YAML, found an error: {problem}")])
    except yaml.YAMLError as exc:
        raise ProblemError([Diagnostic(filename, 1, 1, "", f"expected valid YAML, found an error: {exc}")])
    if root is None:
        raise ProblemError([Diagnostic(filename, 1, 1, "", "expected a problem description, found an empty file")])
    builder = _Builder(filename)
    tree = builder.build(root, "")
    if builder.diagnostics:
        raise ProblemError(builder.diagnostics)
    if not tree.is_mapping:
        raise ProblemError([Diagnostic(filename, tree.line, tree.column, "",
                                       f"expected a mapping of keys (title, network, ...), found {tree.describe()}")])
    return tree


def read(path: str) -> Node:
    """Read and parse a problem file, turning I/O and encoding failures into diagnostics."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        raise ProblemError([Diagnostic(path, 1, 1, "", f"expected a readable file, found: {exc.strerror}")])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ProblemError([Diagnostic(path, 1, 1, "", f"expected UTF-8 text, found a byte that is not ({exc.reason})")])
    return parse(text, path)
