"""YAML read into a tree of nodes that remember where each value stands in the file.

Only plain YAML data is accepted (mappings, sequences, strings, numbers, booleans, null): any tag that
would construct another kind of object is reported, never constructed.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.constructor import SafeConstructor

from ..errors import Diagnostic, ProblemError

MAX_NODES = 200_000  # values in a file, aliases expanded: bounds the memory a file can take
MAX_DEPTH = 64  # levels of nesting; also stops an alias that contains itself
MAX_BYTES = 16 * 1024 * 1024  # a larger file is refused before it is read
MAX_DOCUMENTS = 100  # problems in one file (YAML documents separated by ---), counted before any is built

_STD = "tag:yaml.org,2002:"
_MERGE = _STD + "merge"
_SCALAR_TAGS = {_STD + t for t in ("str", "int", "float", "bool", "null", "timestamp")}
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_KINDS = {"int": "an integer", "float": "a number", "bool": "true or false", "null": "null"}


class Node:
    """A YAML value with its 1-based position and its key path from the document root.

    ``value`` is a dict of Nodes, a list of Nodes, or a plain scalar; ``key_marks`` the position of each
    key of a mapping; ``raw`` a scalar as written ('0.60' keeps its trailing zero); ``style`` a
    scalar's quoting (None for plain, "'" or '"'). One is made for every value of a file: plain slots.
    """

    __slots__ = ("value", "line", "column", "path", "key_marks", "raw", "style")

    def __init__(self, value: Any, line: int, column: int, path: str,
                 key_marks: dict[str, tuple[int, int]] | None = None, raw: str | None = None,
                 style: str | None = None):
        self.value, self.line, self.column, self.path = value, line, column, path
        self.key_marks = {} if key_marks is None else key_marks
        self.raw, self.style = raw, style

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


def short_tag(tag: str) -> str:
    """A YAML tag as it is written in a file: '!!python/object' rather than 'tag:yaml.org,2002:...'."""
    return "!!" + tag[len(_STD):] if tag.startswith(_STD) else tag


def child_path(parent: str, key: str | int) -> str:
    """Key path of a child: mapping keys joined with dots, list positions 1-based in brackets."""
    if isinstance(key, int):
        return f"{parent}[{key + 1}]"
    return f"{parent}.{key}" if parent else key


class _Builder:
    def __init__(self, filename: str):
        self.filename = filename
        self.constructor = SafeConstructor()
        self.diagnostics: list[Diagnostic] = []

    def error(self, node: yaml.Node, path: str, message: str) -> None:
        mark = node.start_mark
        self.diagnostics.append(Diagnostic(self.filename, mark.line + 1, mark.column + 1, path, message))

    def build(self, node: yaml.Node, path: str) -> Node:
        line, col = node.start_mark.line + 1, node.start_mark.column + 1
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path, line, col)
        if isinstance(node, yaml.SequenceNode):
            if node.tag != _STD + "seq":
                self.error(node, path, f"expected plain YAML data, found the tag {short_tag(node.tag)}")
            return Node([self.build(item, child_path(path, i)) for i, item in enumerate(node.value)],
                        line, col, path)
        return Node(self._scalar(node, path), line, col, path, raw=node.value, style=node.style)

    def _mapping(self, node: yaml.MappingNode, path: str, line: int, col: int) -> Node:
        if node.tag != _STD + "map":
            self.error(node, path, f"expected plain YAML data, found the tag {short_tag(node.tag)}")
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
            self.error(node, path, f"expected plain YAML data, found the tag {short_tag(node.tag)}")
            return node.value
        if node.tag.endswith(":str") or node.tag.endswith(":timestamp"):
            return node.value
        try:
            return self.constructor.yaml_constructors[node.tag](self.constructor, node)
        except (yaml.YAMLError, ValueError, LookupError):  # e.g. '!!bool 0.5', '!!int ""', a 5000-digit int
            kind = node.tag.rsplit(":", 1)[1]
            self.error(node, path, f"expected {_KINDS.get(kind, kind)}, found {describe(node.value)}")
            return node.value


def _children(node: yaml.Node) -> list[tuple[str | int, yaml.Node]]:
    """The values a node holds, with their keys (list positions for a sequence)."""
    if isinstance(node, yaml.SequenceNode):
        return list(enumerate(node.value))
    if isinstance(node, yaml.MappingNode):
        return [(str(k.value), v) for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.tag != _MERGE]
    return []


class _Oversized(Exception):
    """A node nests too deeply (or contains itself through an alias)."""

    def __init__(self, node: yaml.Node):
        self.node = node


def _measure(node: yaml.Node, depth: int, sizes: dict[int, tuple[int, int]]) -> tuple[int, int]:
    """How many values and levels a node stands for once aliases are expanded, without expanding them."""
    children = _children(node)
    if children and depth >= MAX_DEPTH:
        raise _Oversized(node)
    if id(node) not in sizes:
        measured = [_measure(child, depth + 1, sizes) for _, child in children]
        sizes[id(node)] = (1 + sum(n for n, _ in measured), 1 + max((h for _, h in measured), default=0))
    count, height = sizes[id(node)]
    if depth + height > MAX_DEPTH + 1:
        raise _Oversized(node)
    return count, height


def _oversized_part(node: yaml.Node, sizes: dict[int, tuple[int, int]]) -> tuple[yaml.Node, str]:
    """The innermost part written out in the file whose expansion alone is too large, with its key path."""
    path = ""
    while True:
        key, big = next(((k, c) for k, c in _children(node) if sizes[id(c)][0] > MAX_NODES), (None, None))
        if big is None or big.start_mark.index < node.start_mark.index:  # an alias: reported where it is used
            return node, path
        node, path = big, child_path(path, key)


def check_size(root: yaml.Node, filename: str) -> int:
    """Refuse a document that nests too deeply or whose aliases expand too far, before building it; the
    number of values it stands for."""
    sizes: dict[int, tuple[int, int]] = {}
    try:
        count, _ = _measure(root, 1, sizes)
    except _Oversized as exc:
        mark = exc.node.start_mark
        raise ProblemError([Diagnostic(filename, mark.line + 1, mark.column + 1, "",
                                       f"expected at most {MAX_DEPTH} levels of nesting, found more "
                                       "(or an alias that contains itself)")])
    if count > MAX_NODES:
        node, path = _oversized_part(root, sizes)
        raise ProblemError([Diagnostic(filename, node.start_mark.line + 1, node.start_mark.column + 1, path,
                                       f"expected at most {MAX_NODES:,} YAML values, found "
                                       f"{sizes[id(node)][0]:,} (aliases expand too far)")])
    return count


def syntax_message(exc: yaml.MarkedYAMLError, text: str) -> str:
    """The message for a YAML syntax error: a tab used as indentation, or the parser's words and context."""
    mark = exc.problem_mark
    lines = text.splitlines()
    if mark is not None and mark.line < len(lines) and lines[mark.line][mark.column:mark.column + 1] == "\t":
        return "expected spaces for indentation, found a tab character"
    problem = exc.problem or exc.context or "invalid YAML"
    context = exc.context_mark
    if exc.problem and exc.context and context is not None and mark is not None and context.index != mark.index:
        problem += f" ({exc.context} at line {context.line + 1}, column {context.column + 1})"
    return f"expected valid YAML, found an error: {problem}"


def unreadable_character(filename: str, text: str, exc: yaml.reader.ReaderError) -> Diagnostic:
    """The diagnostic for a character YAML does not allow (a control character), at its line and column."""
    index = text.find(chr(exc.character)) if isinstance(exc.character, int) else -1
    before = text[:max(index, 0)]
    line, column = before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1
    return Diagnostic(filename, line, column, "", f"expected printable text, found the character "
                                                  f"U+{exc.character:04X} ({exc.reason})")


def _count_values(text: str, filename: str) -> None:
    """Refuse a file that writes out too many values, from the parser's events, before any is built."""
    count = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, (yaml.ScalarEvent, yaml.AliasEvent, yaml.CollectionStartEvent)):
            count += 1
            if count > MAX_NODES:
                mark = event.start_mark
                raise ProblemError([Diagnostic(filename, mark.line + 1, mark.column + 1, "",
                                               f"expected at most {MAX_NODES:,} YAML values in a file, found more")])


def compose(text: str, filename: str) -> list[yaml.Node]:
    """The root of every document of a YAML text, in order (none for an empty text), once the limits of
    a whole file hold: valid syntax, at most MAX_NODES values and MAX_DOCUMENTS documents, nesting and
    aliases bounded. Nothing is built yet (raises ProblemError)."""
    try:
        if len(text) > MAX_NODES:  # a shorter text cannot write out more values than it has characters
            _count_values(text, filename)
        roots = _documents(text, filename)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise ProblemError([Diagnostic(filename, line, col, "", syntax_message(exc, text))])
    except yaml.reader.ReaderError as exc:
        raise ProblemError([unreadable_character(filename, text, exc)])
    except yaml.YAMLError as exc:
        raise ProblemError([Diagnostic(filename, 1, 1, "", f"expected valid YAML, found an error: {exc}")])
    except RecursionError:  # only the pure-Python parser recurses; libyaml stops at its own depth limit
        raise ProblemError([Diagnostic(filename, 1, 1, "", f"expected at most {MAX_DEPTH} levels of nesting, "
                                                           "found more")])
    total = 0
    for root in roots:  # aliases stay within their document, so each is measured on its own
        total += check_size(root, filename)
        if total > MAX_NODES:
            line, column = opening(text, root)
            raise ProblemError([Diagnostic(filename, line, column, "", f"expected at most {MAX_NODES:,} YAML "
                                           "values in a file, found more (aliases expand too far)")])
    return roots


def _documents(text: str, filename: str) -> list[yaml.Node]:
    loader = _Loader(text)
    try:
        roots: list[yaml.Node] = []
        while loader.check_node():
            roots.append(loader.get_node())
            if len(roots) > MAX_DOCUMENTS:  # the rest is never composed
                line, column = opening(text, roots[-1])
                raise ProblemError([Diagnostic(filename, line, column, "", f"expected at most {MAX_DOCUMENTS} "
                                               "YAML documents in a file (problems separated by ---), found more")])
        return roots
    finally:
        loader.dispose()


def opening(text: str, root: yaml.Node) -> tuple[int, int]:
    """The 1-based line and column where a document starts: its ``---`` line, else its root's place.

    An empty document's root stands where the next document (or the end) starts, so the marker is
    looked for before it."""
    index = root.start_mark.index
    while True:
        at = text.rfind("\n---", 0, index) + 1 if index > 0 else 0
        if at == 0 and not text.startswith("---"):
            return root.start_mark.line + 1, root.start_mark.column + 1
        if text[at + 3:at + 4] in ("", " ", "\t", "\r", "\n"):  # '---x' is a plain scalar, not a marker
            return text.count("\n", 0, at) + 1, 1
        if at == 0:
            return root.start_mark.line + 1, root.start_mark.column + 1
        index = at - 1


def is_empty(root: yaml.Node) -> bool:
    """Whether a document holds nothing at all (no value written, not even null)."""
    return isinstance(root, yaml.ScalarNode) and root.tag == _STD + "null" and root.value == ""


def tree(root: yaml.Node, filename: str) -> Node:
    """Build one composed document into a positioned node tree: a mapping of plain data, or ProblemError."""
    builder = _Builder(filename)
    built = builder.build(root, "")
    if builder.diagnostics:
        raise ProblemError(builder.diagnostics)
    if not built.is_mapping:
        raise ProblemError([Diagnostic(filename, built.line, built.column, "",
                                       f"expected a mapping of keys (title, network, ...), found {built.describe()}")])
    return built


def empty_file(filename: str) -> ProblemError:
    """The error for a file that holds no document at all (nothing, or only comments)."""
    return ProblemError([Diagnostic(filename, 1, 1, "", "expected a problem description, found an empty file")])


def parse(text: str, filename: str) -> Node:
    """Parse YAML text of one document into a positioned node tree; raise ProblemError on anything but
    plain data, and for a text of several documents."""
    return tree(one_root(text, filename, "YAML document", "separated by ---"), filename)


def one_root(text: str, filename: str, what: str, how: str, hint: str = ""):
    """The one composed document of a text; an empty text, or a second document (at its ---), is an
    error that counts the documents as ``what``s (``how`` they are written, ``hint`` what to do)."""
    roots = compose(text, filename)
    if not roots:
        raise empty_file(filename)
    if len(roots) > 1:
        line, column = opening(text, roots[1])
        raise ProblemError([Diagnostic(filename, line, column, "", f"expected one {what}, found {len(roots)} "
                                                                   f"({how})", hint)])
    return roots[0]


def read(path: str) -> Node:
    """Read and parse a problem file, turning I/O and encoding failures into diagnostics."""
    return parse(decode(read_bytes(path), path), path)


def read_bytes(path: str) -> bytes:
    """The bytes of a regular file of at most MAX_BYTES, opened without ever blocking (a FIFO is refused)."""
    import os
    import stat

    def refuse(message: str) -> ProblemError:
        return ProblemError([Diagnostic(path, 1, 1, "", message)])
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except IsADirectoryError:
        raise refuse("expected a file, found a directory") from None
    except OSError as exc:
        raise refuse(f"expected a readable file, found: {exc.strerror}") from None
    mode = os.fstat(descriptor).st_mode
    if not stat.S_ISREG(mode):
        os.close(descriptor)
        if stat.S_ISDIR(mode):
            raise refuse("expected a file, found a directory")
        raise refuse(f"expected a regular file, found {_file_kind(mode)}")
    with os.fdopen(descriptor, "rb") as handle:
        try:
            raw = handle.read(MAX_BYTES + 1)
        except OSError as exc:
            raise refuse(f"expected a readable file, found: {exc.strerror}") from None
    if len(raw) > MAX_BYTES:
        raise refuse(f"expected a file of at most {MAX_BYTES:,} bytes, found a larger one")
    return raw


def _file_kind(mode: int) -> str:
    import stat
    kinds = ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a character device"),
             (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))
    return next((words for test, words in kinds if test(mode)), "something else")


def decode(raw: bytes, path: str) -> str:
    """UTF-8 text (a byte-order mark allowed), or a diagnostic at the first byte that is not UTF-8."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ProblemError([undecodable(path, raw, exc)]) from None


def undecodable(path: str, raw: bytes, exc: UnicodeDecodeError) -> Diagnostic:
    """The diagnostic for a byte that is not UTF-8, at its line and column."""
    start = exc.start + (3 if raw.startswith(b"\xef\xbb\xbf") else 0)
    before = raw[:start].decode("utf-8", errors="replace").lstrip("\ufeff")
    line = before.count("\n") + 1
    column = len(before) - (before.rfind("\n") + 1) + 1
    return Diagnostic(path, line, column, "", f"expected UTF-8 text, found the byte 0x{raw[start]:02x} "
                                              f"({exc.reason})")
