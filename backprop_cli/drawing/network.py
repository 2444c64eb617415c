"""The scene of a worked layered network: a column of units per layer, weights as edges, in the file's
notation; the values are those of the first sample (and the first step)."""

from __future__ import annotations

import math

from ..render.report import number
from ..solving.results import LayerResult, Result
from .scene import MAX_COLUMNS, MAX_EDGES, MAX_LABELS, MAX_NOTE, MAX_ROWS, Column, Edge, Node, Scene, more, text

FEWEST_ROWS = 2  # units a column keeps when the edges must be thinned


def build(result: Result, gradients: bool = False, precision: int = 4) -> Scene:
    """The scene of a layered result, at most MAX_COLUMNS columns, MAX_ROWS units each, MAX_EDGES edges."""
    problem = result.problem
    layers = problem.network.layers
    shown_layers = len(layers) if len(layers) < MAX_COLUMNS else MAX_COLUMNS - 2
    rows = MAX_ROWS
    while True:  # fewer units per column until the edges fit: counted on positions, before any label
        links = [link for l in range(1, shown_layers + 1) for link in _links(result, l, rows)]
        if len(links) <= MAX_EDGES or rows == FEWEST_ROWS:
            break
        rows -= 1

    def fmt(value) -> str:
        return number(float(value), precision)

    columns = [_input_column(result, rows, fmt)]
    columns += [_layer_column(result, result.layers[l - 1], rows, gradients, fmt) for l in range(1, shown_layers + 1)]
    if shown_layers < len(layers):
        hidden = len(layers) - shown_layers
        columns.append(Column("", [more("layers", hidden, "layers" if hidden > 1 else "layer")]))
    names = _own_names(problem)
    notes = _notes(result, len(links), fmt)
    links = links[:MAX_EDGES]
    into = {l: sum(1 for link in links if link[0] == l) for l in range(1, shown_layers + 1)}
    crowded = [l for l, count in into.items() if count > MAX_LABELS]
    edges = [_edge(result, link, names, gradients, fmt, link[0] not in crowded) for link in links]
    if crowded:
        notes.append(f"weights into layer{'s' if len(crowded) > 1 else ''} {', '.join(map(str, crowded))} "
                     f"are not labelled (more than {MAX_LABELS}): `backprop run` lists them")
    return Scene(text(problem.title or problem.source, MAX_NOTE), columns, edges, notes)


def _unit_id(layer: int, unit: int) -> str:
    """Node id of a unit (0-based), or of the bias unit (-1) of a folded bias."""
    return f"u{layer}_{'b' if unit < 0 else unit}"


def _shown(units: int, rows: int) -> int:
    return units if units <= rows else rows


def _links(result: Result, l: int, rows: int) -> list[tuple[int, int, int, tuple[int, ...]]]:
    """(layer, source unit, target unit, position in W) of each drawn weight into layer ``l``, source
    -1 being the bias unit of a folded bias; absent entries and NaN values are left out."""
    net = result.problem.network
    value = result.layers[l - 1].weights.value
    sources = _shown(net.inputs if l == 1 else net.layers[l - 2].units, rows)
    targets = _shown(net.layers[l - 1].units, rows)
    fold = 1 if net.folded_bias else 0
    links = []
    for j in range(targets):
        for k in range(-fold, sources):
            position = (j, k + fold) if net.orientation == "out_in" else (k + fold, j)
            if not math.isnan(value[position]):
                links.append((l, k, j, position))
    return links


def _input_column(result: Result, rows: int, fmt) -> Column:
    problem = result.problem
    n, count = problem.notation, problem.network.inputs
    nodes = [Node(_unit_id(0, -1), [f"{n.input}_0 = 1"], "bias")] if problem.network.folded_bias else []
    nodes += [Node(_unit_id(0, k), [f"{n.input}_{k + 1} = {fmt(problem.inputs[0, k])}"], "input")
              for k in range(_shown(count, rows))]
    if count > rows:
        nodes.append(more("m0", count - rows, "inputs"))
    return Column("input", nodes)


def _layer_column(result: Result, layer: LayerResult, rows: int, gradients: bool, fmt) -> Column:
    problem = result.problem
    n, l = problem.notation, layer.index
    last = l == len(problem.network.layers)
    mixed = len(layer.activations) > 1
    nodes = []
    if problem.network.folded_bias and not last:
        nodes.append(Node(_unit_id(l, -1), [f"{n.act}^({l})_0 = 1"], "bias"))
    for j in range(_shown(layer.units, rows)):
        lines = [f"{n.act}^({l})_{j + 1}"]
        if mixed:
            lines.append(f"g = {text(layer.activations[j])}")
        lines += [f"{n.pre} = {fmt(layer.pre[0, j])}", f"{n.act} = {fmt(layer.act[0, j])}"]
        lines += _bias_lines(problem, layer, j, fmt)
        if last:
            lines.append(f"y = {fmt(problem.targets[0, j])}")
        if gradients:
            lines.append(f"{n.delta} = {fmt(n.delta_sign * layer.delta[0, j])}")
        nodes.append(Node(_unit_id(l, j), lines, "output" if last else "unit", int(gradients)))
    if layer.units > rows:
        nodes.append(more(f"m{l}", layer.units - rows, "units"))
    default = layer.name == f"layer {l}"
    activation = "mixed" if mixed else str(layer.activations[0])
    return Column(text(f"layer {l}" if default else f"layer {l}: {layer.name}") + f" ({text(activation)})", nodes)


def _bias_lines(problem, layer: LayerResult, j: int, fmt) -> list[str]:
    """The bias (or threshold) of a unit written on it: its value, and its shared name if it has one."""
    if layer.bias is None or math.isnan(layer.bias.value[j]):
        return []
    n = problem.notation
    symbol = n.bias if layer.bias_sign > 0 else n.threshold
    shared = layer.bias.entries.shared.get((j,))
    return [f"{symbol} = {text(shared)} = {fmt(layer.bias.value[j])}" if shared
            else f"{symbol} = {fmt(layer.bias.value[j])}"]


def _own_names(problem) -> dict[tuple[int, tuple[int, ...]], str]:
    """A sheet's own names of weights (w5 for w^(2)_11), by layer and position."""
    return {(a.layer, a.index): name for name, a in problem.names.items()
            if a.kind == "weights" and a.index is not None and not a.after}


def _edge(result: Result, link, names: dict, gradients: bool, fmt, labelled: bool) -> Edge:
    """A weight's edge, labelled with its value (its shared or own name first) and gradient on request."""
    l, k, j, position = link
    ends = _unit_id(l - 1, k), _unit_id(l, j)
    kind = "bias" if k < 0 else "weight"
    if not labelled:
        return Edge(*ends, [], kind)
    weights = result.layers[l - 1].weights
    name = weights.entries.shared.get(position) or names.get((l, position))
    value = fmt(weights.value[position])
    lines = [f"{text(name)} = {value}" if name else value]
    if gradients:
        n = result.problem.notation
        lines.append(f"∂{n.loss}/∂{n.weight} = {fmt(weights.grad[position])}")
    return Edge(*ends, lines, kind, int(gradients))


def _notes(result: Result, links: int, fmt) -> list[str]:
    problem = result.problem
    notes = [f"{text(result.loss.formula, MAX_NOTE)};  {problem.notation.loss} = {fmt(result.loss.value)}"]
    samples = len(problem.inputs)
    if samples > 1:
        notes.append(f"values of sample 1 of {samples}; gradients over all {samples}")
    if result.trained and problem.training.steps > 1:
        notes.append(f"values and gradients of the first of {problem.training.steps} steps")
    if links > MAX_EDGES:
        notes.append(f"{links - MAX_EDGES} more weights not drawn")
    if problem.network.folded_bias:
        notes.append("the bias is folded into W: a unit 0 fixed at 1 feeds every unit of the next layer")
    return notes
