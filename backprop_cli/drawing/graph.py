"""The scene of a worked computation graph: inputs and parameters on the left, each formula node in the
column of its longest path from them, an edge from every name a formula uses, the loss last."""

from __future__ import annotations

from ..render.report import number
from ..solving.results import GraphResult
from .scene import MAX_COLUMNS, MAX_EDGES, MAX_NOTE, MAX_ROWS, Column, Edge, Node, Scene, more, show, text

LOSS = "loss"  # node id of the loss (others are g0, g1, ...)


def uses(expr) -> list[str]:
    """The names a parsed formula uses, each once, in the order they first appear."""
    found, stack = {}, [expr]
    while stack:  # by hand rather than recursively: a formula may nest deeply
        part = stack.pop()
        if part.kind == "name":
            found.setdefault(part.value, None)
        stack.extend(reversed(part.args))
    return list(found)


def build(result: GraphResult, gradients: bool = False, precision: int = 4) -> Scene:
    """The scene of a graph result, at most MAX_COLUMNS columns, MAX_ROWS nodes each, MAX_EDGES edges."""
    problem = result.problem
    named = result.named
    order = [v.name for v in result.inputs] + [p.name for p in result.shared] + [v.name for v in result.nodes]
    ids = {name: f"g{i}" for i, name in enumerate(order)}
    parents = {spec.name: [u for u in uses(spec.expr) if u in ids and u != spec.name] for spec in problem.nodes}
    depth = {name: 0 for name in order[:len(order) - len(result.nodes)]}
    for spec in problem.nodes:  # in dependency order: a node's parents come before it
        depth[spec.name] = 1 + max((depth[p] for p in parents[spec.name]), default=0)
    if result.loss is not None:
        depth[LOSS] = depth[problem.output] + 1
        ids[LOSS] = LOSS
    columns_of = _ordered_columns(order + ([LOSS] if result.loss is not None else []), depth, parents, problem.output)
    columns_of = [names for names in columns_of if names]  # no inputs or parameters: no first column

    def label(name: str) -> Node:
        return _node(result, named, name, ids[name], gradients, precision)

    columns, shown = [], set()
    for index, names in enumerate(columns_of[:MAX_COLUMNS - 1] if len(columns_of) > MAX_COLUMNS else columns_of):
        kept = names[:MAX_ROWS]
        shown.update(kept)
        nodes = [label(name) for name in kept]
        if len(names) > MAX_ROWS:
            nodes.append(more(f"m{index}", len(names) - MAX_ROWS, "nodes"))
        columns.append(Column(_heading(problem) if index == 0 and depth[names[0]] == 0 else "", nodes))
    if len(columns_of) > MAX_COLUMNS:
        hidden = sum(len(names) for names in columns_of[MAX_COLUMNS - 1:])
        columns.append(Column("", [more("rest", hidden, "nodes")]))
    links = [(p, spec.name) for spec in problem.nodes for p in parents[spec.name]]
    if result.loss is not None:
        links.append((problem.output, LOSS))
    drawn = [(s, t) for s, t in links if s in shown and t in shown]
    edges = [Edge(ids[s], ids[t], [], "loss" if t == LOSS else "uses") for s, t in drawn[:MAX_EDGES]]
    return Scene(text(problem.title or problem.source, MAX_NOTE), columns, edges,
                 _notes(result, len(links) - min(len(drawn), MAX_EDGES), precision), "graph")


def _ordered_columns(names: list[str], depth: dict[str, int], parents: dict[str, list[str]],
                     output: str) -> list[list[str]]:
    """Names by column, each column ordered by the mean height of its parents (fewer crossings), ties
    and parentless nodes in file order."""
    columns: list[list[str]] = [[] for _ in range(max(depth.values()) + 1)]
    for name in names:
        columns[depth[name]].append(name)
    height: dict[str, float] = {}
    for column in columns:
        def mean_height(name: str) -> float:
            above = [height[p] for p in parents.get(name, [output] if name == LOSS else []) if p in height]
            return sum(above) / len(above) if above else 0.0
        if column is not columns[0]:
            column.sort(key=mean_height)  # stable: ties keep the file's order
        for row, name in enumerate(column):
            height[name] = row - (len(column) - 1) / 2  # columns are centred on one line
    return columns


def _heading(problem) -> str:
    return " and ".join(what for what, there in (("inputs", problem.inputs), ("parameters", problem.params)) if there)


def _node(result: GraphResult, named, name: str, node_id: str, gradients: bool, precision: int) -> Node:
    problem = result.problem
    n = problem.notation
    if name == LOSS:
        lines = [f"{n.loss} ({text(problem.loss.kind)})", f"= {number(result.loss.value, precision)}"]
        if problem.target is not None:
            lines.append(f"y = {show(problem.target, precision)}")
        return Node(node_id, lines, "loss")
    item = named[name]
    kind = "input" if name in problem.inputs else "parameter" if name in problem.params else "formula"
    first = text(name) if kind != "formula" else text(f"{name} = {item.text}")
    lines = [first, f"= {show(item.value, precision)}"]
    if gradients:
        lines.append(text(f"∂{n.loss}/∂{name}") + f" = {show(item.grad, precision)}")
    return Node(node_id, lines, "output" if name == problem.output else kind, int(gradients))


def _notes(result: GraphResult, left_out: int, precision: int) -> list[str]:
    problem, n = result.problem, result.problem.notation
    notes = []
    if result.loss is not None:
        notes.append(f"{text(result.loss.formula, MAX_NOTE)};  {n.loss} = {number(result.loss.value, precision)}")
    elif problem.upstream is not None:
        notes.append(f"upstream gradient ∂{n.loss}/∂{text(problem.output)} = {show(problem.upstream, precision)} "
                     "is given")
    else:
        notes.append(f"{n.loss} is the output {text(problem.output)} itself")
    if result.trained and problem.training.steps > 1:
        notes.append(f"values and gradients of the first of {problem.training.steps} steps")
    if left_out:
        notes.append(f"{left_out} more dependencies not drawn")
    return notes
