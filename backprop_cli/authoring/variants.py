"""Per-student variants of a template: for each student of a roster, ``OUT/<id>.yaml`` (the template's
text with each draw replaced by the student's number, named for the student, without its answers) and
``OUT/keys/<id>.yaml`` (the same problem with every asked value under ``expected:``)."""

from __future__ import annotations

import os
import re

from ..console.files import refusal, same_file, write_atomically
from ..errors import Diagnostic, ProblemError
from ..read.files import build
from ..read.roster import Student, read_roster
from ..read.template import Template, read_template
from ..read.yaml_tree import Node
from . import draws, keys

SAFE_ID = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}")  # an id names two files


def write_variants(template: str, roster: str, out: str, seed: int = 0, *, force: bool = False) -> list[str]:
    """Write a variant and its key for every student of the roster; the paths written, in roster order.

    Everything is checked before anything is written: the template, the roster, every variant (worked
    out to make its key) and every file to write; a file already there is left alone unless ``force``.
    Raises ProblemError with every problem found.
    """
    shape, students, found = _inputs(template, roster)
    plan = []
    for student in students or [Student("", 0, 0)]:  # without a roster, the template is still tried
        try:
            text, key = _variant(shape, student.id, seed)
        except ProblemError as exc:
            found += exc.diagnostics
            continue
        name = f"{student.id}.yaml"
        plan += [(os.path.join(out, name), text), (os.path.join(out, "keys", name), key)]
    found = list({d[:4]: d for d in found[::-1]}.values())  # a place every variant gets wrong: one line
    if students is not None:
        found += _unwritable(out, [target for target, _ in plan], [template, roster], force)
    if found:
        raise ProblemError(found)
    written = []
    for target, text in plan:
        try:
            os.makedirs(os.path.dirname(target), exist_ok=True)
            write_atomically(target, text)
        except OSError as exc:
            raise ProblemError([Diagnostic(target, 1, 1, "", f"expected a file that can be written, found: "
                                                             f"{exc.strerror or exc}")])
        written.append(target)
    return written


def _inputs(template: str, roster: str) -> tuple[Template, list[Student] | None, list[Diagnostic]]:
    """The template and the roster, each read even when the other cannot be, and the ids checked."""
    found, shape, students = [], None, None
    try:
        shape = read_template(template)
    except ProblemError as exc:
        found += exc.diagnostics
    try:
        students = read_roster(roster)
    except ProblemError as exc:
        found += exc.diagnostics
    if shape is None:
        raise ProblemError(found)
    files: dict[str, Student] = {}
    for student in students or []:
        if not SAFE_ID.fullmatch(student.id):
            found.append(Diagnostic(roster, student.row, student.column, "student", "expected an id that can "
                                    "name a file (at most 200 letters, digits, '.', '_' or '-', not starting "
                                    f"with '.'), found '{student.id}'"))
        elif student.id.casefold() in files:  # one file on a file system that ignores case
            first = files[student.id.casefold()]
            found.append(Diagnostic(roster, student.row, student.column, "student", f"expected ids that differ in "
                                    f"more than case (each names a file), found '{student.id}' and '{first.id}' "
                                    f"(row {first.row})"))
        files.setdefault(student.id.casefold(), student)
    return shape, students, found


def _variant(shape: Template, student: str, seed: int) -> tuple[str, str]:
    """One student's variant and key, the problem built and worked out (raises ProblemError, positioned
    in the template)."""
    numbers = draws.numbers(shape, student, seed)
    problem = build(_tree(shape, [node for _, node in numbers], student), shape.path)
    newline = "\r\n" if "\r\n" in shape.text else "\n"
    edits = [(draw.start, draw.end, text) for draw, (text, _) in zip(shape.draws, numbers)]
    edits.append((shape.top, shape.top, f'student: "{student}"{newline}'))
    if shape.answers:
        edits.append((*shape.answers, ""))
    pieces, at = [], 0
    for start, end, text in sorted(edits):
        pieces += [shape.text[at:start], text]
        at = end
    text = "".join(pieces) + shape.text[at:]
    text += "" if text.endswith("\n") else newline
    return text, text + keys.section(keys.answers(problem, shape.questions), newline)


def _tree(shape: Template, numbers: list[Node], student: str) -> Node:
    """The template's tree as the variant's text reads: each draw a number, a student: and no expected:."""
    swap = {id(draw.node): number for draw, number in zip(shape.draws, numbers)}
    top = _swapped(shape.tree, swap)
    items = {"student": Node(student, 1, 1, "student"), **{k: v for k, v in top.value.items() if k != "expected"}}
    return Node(items, top.line, top.column, top.path, top.key_marks)


def _swapped(node: Node, swap: dict[int, Node]) -> Node:
    if id(node) in swap:
        return swap[id(node)]
    if node.is_mapping:
        value = {key: _swapped(child, swap) for key, child in node.value.items()}
    elif node.is_sequence:
        value = [_swapped(child, swap) for child in node.value]
    else:
        return node
    return Node(value, node.line, node.column, node.path, node.key_marks, node.raw, node.style)


def _unwritable(out: str, targets: list[str], inputs: list[str], force: bool) -> list[Diagnostic]:
    """Why each file could not, or should not, be written."""
    found = []
    for folder in (out, os.path.join(out, "keys")):
        if os.path.lexists(folder) and not os.path.isdir(folder):
            return [Diagnostic(folder, 1, 1, "", "expected a folder, found a file")]
    for target in targets:
        why, clash = refusal(target), same_file(target, inputs)
        if why is None and clash:
            why = f"expected a file other than the template and the roster, found {clash}"
        elif why is None and os.path.lexists(target) and not force:
            why = "expected a file that does not exist yet, found one (--force overwrites it)"
        if why:
            found.append(Diagnostic(target, 1, 1, "", why))
    return found
