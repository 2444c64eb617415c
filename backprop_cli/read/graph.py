"""The computation-graph format: inputs, parameters and nodes defined by formulas, read into a
GraphProblem.

Every formula is checked against the whitelist and recorded once on the given values, so that an
unknown name, a forbidden construct or operands that do not fit is reported at its line and column.
"""

from __future__ import annotations

import re

import numpy as np

from ..engine import cost, formula
from ..engine.graph import ShapeError, evaluate
from ..engine.model import MAX_VALUES, FormulaNode, GraphProblem
from ..engine.tape import Tape
from . import sections
from .fields import SYMBOL, Fields, as_number, probe
from .yaml_tree import Node

TOP_KEYS = ("title", "description", "notation", "graph", "target", "loss", "upstream", "train",
            "expected", "check", "grading", "student")
GRAPH_KEYS = ("inputs", "params", "nodes", "output")
MAX_NODES = 10_000  # a graph of a homework has tens
_NAME = r"[A-Za-z_][A-Za-z0-9_]*"


def read_problem(tree: Node, f: Fields) -> GraphProblem:
    """A computation-graph problem (``graph:`` instead of ``network:``)."""
    top = f.keys(tree, TOP_KEYS, required=("graph",)) or {}
    title = sections.title(top, f)
    notation = sections.notation(top, f)
    graph = read_graph(top["graph"], f) if "graph" in top else None
    loss = sections.loss(top["loss"], f) if "loss" in top else None
    training = sections.training(top, f)
    if training.batch_size is not None:
        f.error(top["train"], "expected no batch_size for a computation graph (its inputs are one sample)")
    settings = sections.check_settings(top, f)
    target = upstream = None
    if "loss" in top and "upstream" in top:
        f.error(top["upstream"], "expected either a loss or an upstream gradient, found both")
    elif "loss" in top and "target" not in top:
        f.error(top["loss"], "expected a target for the loss, found none", at_key=None)
    elif "target" in top and "loss" not in top:
        f.error(top["target"], "expected a loss to go with the target, found none")
    if graph is not None and "train" in top:
        seconds = cost.tape_seconds(graph["tape"], training.steps)
        if seconds > cost.MAX_TRAINING_SECONDS:
            f.error(top["train"], cost.refusal(seconds, training.steps))
    if graph is not None:
        shape = graph["output_shape"]
        if "target" in top and loss is not None:
            target = array_like(top["target"], shape, f, "target")
            if target is not None:
                sections.check_targets(top["target"], target, loss, f)
        elif "upstream" in top:
            names = _symbol_names(top["upstream"]) or ([top["upstream"].value] if isinstance(
                top["upstream"].value, str) and re.fullmatch(_NAME, top["upstream"].value) else None)
            if names is not None:  # an upstream gradient in symbols: dL/dx in terms of them
                graph["symbolic"]["upstream"] = tuple(names) if top["upstream"].is_sequence else names[0]
                graph["symbols"].extend(_flat(names))
                upstream = array_like(top["upstream"], shape, f, "upstream gradient", probes=len(_flat(names)))
            else:
                upstream = array_like(top["upstream"], shape, f, "upstream gradient")
        elif int(np.prod(shape)) != 1 and "loss" not in top:
            f.error(top["graph"], f"expected a loss or an upstream gradient for the output "
                                  f"'{graph['output']}' of shape {'×'.join(map(str, shape))}, found neither "
                                  "(only a scalar output is differentiated by itself)")
    f.raise_if_any()
    problem = GraphProblem(f.filename, title, graph["inputs"], graph["params"], graph["frozen"],
                           graph["nodes"], graph["output"], training, loss, target, upstream, notation,
                           check=settings, student=sections.student(top, f), grading=top.get("grading"),
                           symbols=tuple(graph["symbols"]), symbolic=graph["symbolic"])
    sections.expected(problem, top, f, "resolve_graph")
    return problem


def read_graph(node: Node, f: Fields) -> dict | None:
    """Inputs, parameters, nodes and output of a ``graph:`` mapping (None when unusable)."""
    keys = f.keys(node, GRAPH_KEYS, required=("nodes",))
    if keys is None:
        return None
    symbols: list[str] = []
    symbolic: dict = {}
    inputs = _values(keys["inputs"], f, "input", symbols, symbolic) if "inputs" in keys else {}
    params, frozen = _params(keys["params"], f, symbols, symbolic) if "params" in keys else ({}, set())
    clash = set(inputs or {}) & set(params or {})
    for name in sorted(clash):
        f.error(keys["params"], f"expected a name used once, found '{name}' as input and parameter", at_key=name)
    if inputs is None or params is None or clash or "nodes" not in keys:
        return None
    tape = Tape()
    env = {name: tape.leaf(value, trainable=True) for name, value in {**inputs, **params}.items()}
    nodes = _nodes(keys["nodes"], tape, env, f)
    if nodes is None:
        return None
    output = nodes[-1].name if nodes else None
    if "output" in keys:
        output = f.text(keys["output"], "a node name")
        if output is not None and output not in env:
            from ..errors import did_you_mean
            f.error(keys["output"], f"expected the name of a node, found '{output}'", did_you_mean(output, env))
            output = None
    if output is None:
        return None
    return {"inputs": inputs, "params": params, "frozen": frozen, "nodes": nodes, "output": output,
            "output_shape": tape.values[env[output]].shape, "tape": tape, "symbols": symbols,
            "symbolic": symbolic}


def _array(node: Node, f: Fields) -> np.ndarray | None:
    """A number, vector or matrix of finite numbers."""
    if not node.is_sequence:
        value = f.number(node)
        return None if value is None else np.array(value)

    def grab(item: Node):
        if item.is_sequence:
            return [grab(child) for child in item.value]
        return f.number(item)

    values = grab(node)
    flat = np.array(values, dtype=object).ravel() if values else np.array([])
    if any(v is None for v in flat):
        return None
    try:
        array = np.array(values, dtype=float)
    except ValueError:
        array = None
    if array is None or array.ndim > 2:
        f.error(node, f"expected a number, a list or a matrix with rows of equal length, found {node.describe()}")
        return None
    if array.size == 0:
        f.error(node, f"expected at least one number, found {node.describe()}")
        return None
    return array


def _named(node: Node, f: Fields, what: str):
    if not node.is_mapping:
        f.error(node, f"expected a mapping of {what} names to values, found {node.describe()}")
        return None
    for name in node.value:
        if not re.fullmatch(_NAME, name) or name.startswith("__"):
            f.error(node, f"expected a name (letters, digits, _), found '{name}'", at_key=name)
    return {k: v for k, v in node.value.items() if re.fullmatch(_NAME, k) and not k.startswith("__")}


def _symbol_names(node: Node) -> list | None:
    """The names of a vector or matrix of symbols written as lists of names (``[d0, d1, d2]``,
    ``[[w11, w12], [w21, w22]]``), else None."""
    if not node.is_sequence or not node.value:
        return None
    rows = [item.value for item in node.value]
    if all(isinstance(row, list) for row in rows):  # a matrix: rows of equal length
        names = [[cell.value for cell in row] for row in rows]
        if len({len(row) for row in names}) != 1:
            return None
        flat = [n for row in names for n in row]
    else:
        names = flat = rows
    if all(isinstance(n, str) and re.fullmatch(_NAME, n) and as_number(n) is None for n in flat):
        return names
    return None


def _flat(names: list) -> list[str]:
    return [n for row in names for n in row] if names and isinstance(names[0], list) else list(names)


def _value(child: Node, f: Fields, name: str, symbols: list[str], symbolic: dict) -> np.ndarray | None:
    """A value of the file, or the number a symbol is recorded with: ``symbol`` (the name's own symbol)
    or a list of names (a vector of symbols)."""
    if child.value == SYMBOL:
        symbols.append(name)
        symbolic[name] = name
        return np.array(probe(len(symbols)))
    names = _symbol_names(child)
    if names is not None:
        flat = _flat(names)
        clash = [n for n in flat if n in symbols]
        if clash or len(set(flat)) < len(flat):
            f.error(child, f"expected names of symbols used once, found '{(clash or flat)[0]}' again")
            return None
        symbolic[name] = tuple(tuple(row) if isinstance(row, list) else row for row in names)
        values = np.array([probe(len(symbols) + k + 1) for k in range(len(flat))])
        symbols.extend(flat)
        return values.reshape(np.shape(names))
    return _array(child, f)


def _values(node: Node, f: Fields, what: str, symbols: list[str], symbolic: dict) -> dict[str, np.ndarray] | None:
    named = _named(node, f, what)
    if named is None:
        return None
    values = {name: _value(child, f, name, symbols, symbolic) for name, child in named.items()}
    return None if any(v is None for v in values.values()) else values


def _params(node: Node, f: Fields, symbols: list[str], symbolic: dict):
    named = _named(node, f, "parameter")
    if named is None:
        return None, set()
    values, frozen = {}, set()
    for name, child in named.items():
        if child.is_mapping:
            keys = f.keys(child, ("value", "frozen"), required=("value",)) or {}
            if "value" not in keys:
                continue
            if "frozen" in keys and f.boolean(keys["frozen"]):
                frozen.add(name)
            child = keys["value"]
        values[name] = _value(child, f, name, symbols, symbolic)
    if any(v is None for v in values.values()):
        return None, frozen
    return values, frozen


def _nodes(node: Node, tape: Tape, env: dict[str, int], f: Fields) -> list[FormulaNode] | None:
    named = _named(node, f, "node")
    if named is None:
        return None
    if not named:
        f.error(node, "expected at least one node (name: formula), found none")
        return None
    if len(named) > MAX_NODES:
        f.error(node, f"expected at most {MAX_NODES:,} nodes, found {len(named):,} (too large to work here)")
        return None
    nodes, ok = [], True
    budget = [MAX_VALUES - sum(tape.values[slot].size for slot in env.values())]
    order = {name: position for position, name in enumerate(named)}
    failed: set[str] = set()  # nodes already reported: what uses them is not reported again
    known = _Known(env, failed)
    for position, (name, child) in enumerate(named.items()):
        line, column = node.key_marks[name]
        if name in env:
            f.error(node, f"expected a new name, found '{name}' defined before", at_key=name)
            ok = False
            continue
        text = child.value if isinstance(child.value, str) else (
            str(child.value) if as_number(child.value) is not None else None)
        if text is None:
            f.error(child, f"expected a formula, found {child.describe()}")
            ok = False
            continue
        failed.add(name)  # until it is recorded
        try:
            expr, used = formula.parse(text, known, later=_Later(order, position))
            if used & failed:
                ok = False
                continue
            slot = evaluate(tape, expr, env, budget=budget)
        except formula.FormulaError as exc:
            _error_at(f, child, text, exc.offset, str(exc), exc.hint)
            ok = False
            continue
        except ShapeError as exc:
            _error_at(f, child, text, exc.expr.offset, str(exc))
            ok = False
            continue
        except RecursionError:
            _error_at(f, child, text, 0, "expected a formula nested less deeply (split it into several nodes)")
            ok = False
            continue
        failed.discard(name)
        env[name] = slot
        nodes.append(FormulaNode(name, text.strip(), expr, line, column, tape.values[slot].shape))
    return nodes if ok else None


class _Known:
    """The names a formula may use: those recorded, and those refused already (not reported twice)."""

    def __init__(self, env: dict[str, int], failed: set[str]):
        self.env, self.failed = env, failed

    def __contains__(self, name: object) -> bool:
        return name in self.env or name in self.failed

    def __iter__(self):
        yield from self.env
        yield from self.failed

    def __len__(self) -> int:
        return len(self.env) + len(self.failed)


class _Later:
    """The node names defined at or after a position: those a formula may not use yet."""

    def __init__(self, order: dict[str, int], position: int):
        self.order, self.position = order, position

    def __contains__(self, name: object) -> bool:
        return self.order.get(name, -1) >= self.position


def _error_at(f: Fields, node: Node, text: str, offset: int, message: str, hint: str = "") -> None:
    """A diagnostic at the character of the formula the problem concerns (plain or quoted scalars)."""
    lead = len(text) - len(text.lstrip())
    quoted = 1 if node.style in ("'", '"') else 0
    position = Node(node.value, node.line, node.column + quoted + lead + offset, node.path)
    f.error(position, message, hint)


def array_like(node: Node, shape: tuple[int, ...], f: Fields, what: str, probes: int = 0) -> np.ndarray | None:
    """Numbers in the given shape (a scalar output takes a number); ``probes``: that many symbols,
    recorded with probe numbers."""
    values = np.array([probe(k) for k in range(probes)]) if probes else _array(node, f)
    if probes == 1 and not node.is_sequence:
        values = values.reshape(())
    if values is None:
        return None
    if values.shape != shape and values.size == int(np.prod(shape)) and values.ndim <= 1 and len(shape) <= 1:
        values = values.reshape(shape)
    if values.shape != shape:
        f.error(node, f"expected the {what} in the output's shape {'×'.join(map(str, shape)) or 'scalar'}, "
                      f"found {'×'.join(map(str, values.shape)) or 'a scalar'}")
        return None
    return values
