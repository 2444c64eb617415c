"""The ``graph:`` section: inputs, parameters and nodes defined by formulas, read into a GraphProblem.

Every formula is checked against the whitelist and evaluated once on the given values, so that an
unknown name, a forbidden construct or operands that do not fit is reported at its line and column.
"""

from __future__ import annotations

import re

import numpy as np

from . import formula
from .fields import Fields, as_number
from .graph import parameter
from .graph_solver import ShapeError, evaluate
from .problem import MAX_VALUES, FormulaNode
from .source import Node

GRAPH_KEYS = ("inputs", "params", "nodes", "output")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def read_graph(node: Node, f: Fields) -> dict | None:
    """Inputs, parameters, nodes and output of a ``graph:`` mapping (None when unusable)."""
    keys = f.keys(node, GRAPH_KEYS, required=("nodes",))
    if keys is None:
        return None
    inputs = _values(keys["inputs"], f, "input") if "inputs" in keys else {}
    params, frozen = _params(keys["params"], f) if "params" in keys else ({}, set())
    clash = set(inputs or {}) & set(params or {})
    for name in sorted(clash):
        f.error(keys["params"], f"expected a name used once, found '{name}' as input and parameter", at_key=name)
    if inputs is None or params is None or clash or "nodes" not in keys:
        return None
    env = {name: parameter(value) for name, value in {**inputs, **params}.items()}
    nodes = _nodes(keys["nodes"], env, f)
    if nodes is None:
        return None
    output = nodes[-1].name if nodes else None
    if "output" in keys:
        output = f.text(keys["output"], "a node name")
        if output is not None and output not in env:
            from .errors import did_you_mean
            f.error(keys["output"], f"expected the name of a node, found '{output}'", did_you_mean(output, env))
            output = None
    if output is None:
        return None
    return {"inputs": inputs, "params": params, "frozen": frozen, "nodes": nodes, "output": output,
            "output_value": env[output].value}


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
    return array


def _named(node: Node, f: Fields, what: str):
    if not node.is_mapping:
        f.error(node, f"expected a mapping of {what} names to values, found {node.describe()}")
        return None
    for name in node.value:
        if not _NAME.fullmatch(name) or name.startswith("__"):
            f.error(node, f"expected a name (letters, digits, _), found '{name}'", at_key=name)
    return {k: v for k, v in node.value.items() if _NAME.fullmatch(k) and not k.startswith("__")}


def _values(node: Node, f: Fields, what: str) -> dict[str, np.ndarray] | None:
    named = _named(node, f, what)
    if named is None:
        return None
    values = {name: _array(child, f) for name, child in named.items()}
    return None if any(v is None for v in values.values()) else values


def _params(node: Node, f: Fields):
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
        values[name] = _array(child, f)
    if any(v is None for v in values.values()):
        return None, frozen
    return values, frozen


def _nodes(node: Node, env: dict, f: Fields) -> list[FormulaNode] | None:
    named = _named(node, f, "node")
    if named is None:
        return None
    nodes, ok = [], True
    budget = [MAX_VALUES - sum(node.value.size for node in env.values())]
    pending = set(named)
    for name, child in named.items():
        pending.discard(name)
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
        try:
            expr, _ = formula.parse(text, set(env), later=pending | {name})
            value = evaluate(expr, env, budget=budget)
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
        env[name] = value
        nodes.append(FormulaNode(name, text.strip(), expr, line, column, value.value.shape))
    return nodes if ok else None


def _error_at(f: Fields, node: Node, text: str, offset: int, message: str, hint: str = "") -> None:
    """A diagnostic at the character of the formula the problem concerns (plain or quoted scalars)."""
    lead = len(text) - len(text.lstrip())
    quoted = 1 if node.style in ("'", '"') else 0
    position = Node(node.value, node.line, node.column + quoted + lead + offset, node.path)
    f.error(position, message, hint)


def array_like(node: Node, shape: tuple[int, ...], f: Fields, what: str) -> np.ndarray | None:
    """Numbers in the given shape (a scalar output takes a number)."""
    values = _array(node, f)
    if values is None:
        return None
    if values.shape != shape and values.size == int(np.prod(shape)) and values.ndim <= 1 and len(shape) <= 1:
        values = values.reshape(shape)
    if values.shape != shape:
        f.error(node, f"expected the {what} in the output's shape {'×'.join(map(str, shape)) or 'scalar'}, "
                      f"found {'×'.join(map(str, values.shape)) or 'a scalar'}")
        return None
    return values
