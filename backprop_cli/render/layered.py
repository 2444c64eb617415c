"""A worked layered network laid out as tables, in the file's notation: the input, one table per layer,
the loss, the parameters of each layer, the shared parameters and the training."""

from __future__ import annotations

import itertools

import numpy as np

from ..engine.model import Layer, Notation, Problem
from ..engine.network import used_values
from ..solving.results import LayerResult, Result
from .report import STATE_TITLES, Report, Table, history_table, index_label, number, optimizer_note, shared_table

MAX_SAMPLES = 8
MAX_UNITS = 32
MAX_ENTRIES = 64


def build(result: Result, precision: int = 6) -> Report:
    """Lay out the whole result."""
    problem = result.problem
    n = problem.notation

    def fmt(value):
        return number(float(value), precision)

    tables = [_input_table(problem, fmt)]
    for layer in result.layers:
        tables.append(_layer_table(problem, layer, fmt))
    tables.append(_loss_table(result, fmt))
    for layer in result.layers:
        tables.append(_parameter_table(problem, layer, result, fmt))
    if result.shared:
        tables.append(shared_table(result, fmt))
    if result.trained and problem.training.steps > 1:
        tables += [history_table(result, fmt), _final_table(result, fmt)]
    if result.trained:
        tables.append(_after_table(result, fmt))
    return Report(problem.title or problem.source, convention_lines(problem, n, result.batch), tables)


def convention_lines(problem: Problem, n: Notation, batch: np.ndarray | None = None) -> list[str]:
    """The conventions of a layered problem in words: its shape, its rule, its δ, its update."""
    net = problem.network
    shape = " → ".join([str(net.inputs)] + [
        f"{layer.units} ({'/'.join(dict.fromkeys(str(a) for a in layer.activations))})" for layer in net.layers])
    w, s, a = n.weight.upper(), n.pre, n.act
    if net.orientation == "out_in":
        rule = f"{s}^(l) = {w}^(l) {a}^(l-1)"
        index = f"{n.weight}^(l)_jk joins unit k of layer l-1 to unit j of layer l"
    else:
        rule = f"{s}^(l) = {w}^(l)T {a}^(l-1)"
        index = f"{n.weight}^(l)_ij joins unit i of layer l-1 to unit j of layer l"
    if net.folded_bias:
        rule += f", with {a}^(l-1)_0 = 1 and the bias in {'row' if net.orientation == 'in_out' else 'column'} 0"
    elif any(layer.bias is not None for layer in net.layers):
        rule += f" + {n.bias}^(l)" if all(l.bias_sign > 0 for l in net.layers) else f" − {n.threshold}^(l)"
    lines = [f"convention: {problem.convention}"] if problem.convention else []
    lines += [f"network: {shape}", f"layers: {rule}; {a}^(l) = g({s}^(l)); {index}",
              f"{n.delta}^(l) = {_minus(n)}∂{n.loss}/∂{s}^(l)" + ("; updates read p + η δ a, that is p − η ∂"
                                                                  f"{n.loss}/∂p" if n.delta_sign < 0 else "")]
    if problem.training.learning_rate:
        t = problem.training
        update = f"update: p ← p − {t.learning_rate:g} · ∂{n.loss}/∂p" if t.optimizer.plain else \
            f"update: {t.optimizer.name} with η = {t.learning_rate:g} (its rule under the parameter tables)"
        if t.steps > 1:
            update += f", {t.steps} steps"
        if t.l2:
            update += f"; L2 penalty {t.l2.strength:g} · ‖w‖² ({'weights and biases' if t.l2.include_bias else 'weights only'})"
        lines.append(update)
        if batch is not None:
            lines.append(_batch_line(t, batch))
    return lines


def _batch_line(training, first: np.ndarray) -> str:
    """Which samples the first step works on, and how the batches are drawn."""
    order = "in file order" if training.shuffle_seed is None else f"shuffled each epoch (seed {training.shuffle_seed})"
    epochs = f" ({training.epochs} epochs)" if training.epochs else ""
    return (f"mini-batches of {training.batch_size}, {order}, one update each{epochs}; the tables show "
            f"the first step, on samples {', '.join(str(i + 1) for i in first)} of the file")


def _sample_rows(count: int) -> tuple[range, list[str]]:
    notes = [f"showing {MAX_SAMPLES} of {count} samples; --format json has all"] if count > MAX_SAMPLES else []
    return range(min(count, MAX_SAMPLES)), notes


def _unit_rows(count: int) -> tuple[range, list[str]]:
    notes = [f"showing {MAX_UNITS} of {count} units; --format json has all"] if count > MAX_UNITS else []
    return range(min(count, MAX_UNITS)), notes


def _input_table(problem: Problem, fmt) -> Table:
    n, data = problem.notation, problem.inputs
    samples, notes = _sample_rows(len(data))
    units, more = _unit_rows(data.shape[1])
    many = len(data) > 1
    rows = []
    for s in samples:
        if problem.network.folded_bias:
            rows.append(([str(s + 1)] if many else []) + ["0", "1"])
        for j in units:
            rows.append(([str(s + 1)] if many else []) + [str(j + 1), fmt(data[s, j])])
    columns = (["n"] if many else []) + ["j", f"{n.input}_j = {n.act}^(0)_j"]
    target = problem.targets
    target_note = f"target {n.target} = " + "; ".join(
        "[" + ", ".join(fmt(v) for v in target[s]) + "]" for s in samples)
    return Table("input", columns, rows, notes + more + [target_note])


def _layer_table(problem: Problem, layer: LayerResult, fmt) -> Table:
    n, l, network = problem.notation, layer.index, problem.network
    mixed = len(layer.activations) > 1
    many = len(layer.pre) > 1
    samples, notes = _sample_rows(len(layer.pre))
    units, more = _unit_rows(layer.units)
    folded_row = network.folded_bias and l < len(network.layers)
    biased = network.folded_bias or network.layers[l - 1].bias is not None  # else W a is z itself
    softmax = layer.activations[0].name == "softmax"  # no g'(z) of its own for each unit
    rows = []
    for s in samples:
        lead = [str(s + 1)] if many else []
        if folded_row:
            rows.append(lead + ["0"] + (["—"] if mixed else []) + ["—", "—", "1", "—", "—", "—"])  # a_0 = 1
        for j in units:
            kind = [str(layer.activations[j])] if mixed else []
            weighted = [fmt(layer.weighted[s, j])] if biased else []
            rows.append(lead + [str(j + 1)] + kind + weighted + [
                fmt(layer.pre[s, j]), fmt(layer.act[s, j]), fmt(layer.grad_act[s, j]),
                "—" if softmax else fmt(layer.g_prime[s, j]), fmt(n.delta_sign * layer.delta[s, j])])
    product = f"({n.weight.upper()}{'ᵀ' if network.orientation == 'in_out' else ''} {n.act})^({l})_j"
    if biased and network.folded_bias:
        notes.append(f"{product} leaves out the bias {'row' if network.orientation == 'in_out' else 'column'} 0")
    columns = (["n"] if many else []) + ["j"] + (["g"] if mixed else []) + ([product] if biased else []) + [
        f"{n.pre}^({l})_j", f"{n.act}^({l})_j", f"∂{n.loss}/∂{n.act}^({l})_j",
        f"{_function(layer)}'({n.pre}^({l})_j)", f"{n.delta}^({l})_j = {_minus(n)}∂{n.loss}/∂{n.pre}^({l})_j"]
    activation = "mixed" if mixed else str(layer.activations[0])
    return Table(f"{_layer_title(layer)} ({activation})", columns, rows, notes + more)


def _function(layer: LayerResult) -> str:
    """How a sheet writes the layer's activation function: σ, tanh or relu, else g."""
    names = {a.name for a in layer.activations}
    return {"sigmoid": "σ", "tanh": "tanh", "relu": "relu"}.get(names.pop(), "g") if len(names) == 1 else "g"


def _minus(n: Notation) -> str:
    """The sign before ∂L/∂z in the sheet's δ."""
    return "−" if n.delta_sign < 0 else ""


def _layer_title(layer: LayerResult) -> str:
    default = layer.name == f"layer {layer.index}"
    return f"layer {layer.index}" if default else f"layer {layer.index}: {layer.name}"


def _loss_table(result: Result, fmt) -> Table:
    loss, n = result.loss, result.problem.notation
    rows = []
    if len(loss.per_sample) > 1:
        samples, _ = _sample_rows(len(loss.per_sample))
        rows += [[f"sample {s + 1}", fmt(loss.per_sample[s])] for s in samples]
    if loss.penalty:
        rows += [["data loss", fmt(loss.data)], ["L2 penalty", fmt(loss.penalty)]]
    rows.append([n.loss, fmt(loss.value)])
    notes = [loss.formula]
    if result.problem.loss.kind == "squared_error":  # the loss is a sum of squared residuals
        symbol = "residual" if n.residual == n.loss else n.residual
        samples, _ = _sample_rows(len(result.residual))
        notes.append(f"{symbol} = {n.target} − ŷ = " + "; ".join(
            "[" + ", ".join(fmt(v) for v in result.residual[s]) + "]" for s in samples))
    return Table("loss", ["term", "value"], rows, notes)


def _labelled_entries(problem: Problem, index: int, layer: Layer):
    """(label, which, position) of every existing weight and bias entry of a layer, in file order."""
    n, net = problem.notation, problem.network
    if not net.folded_bias:
        offset = (1, 1)
    else:
        offset = (0, 1) if net.orientation == "in_out" else (1, 0)
    bias_symbol = n.bias if layer.bias_sign > 0 else n.threshold
    own_names = {(a.kind, a.index): name for name, a in problem.names.items()
                 if a.layer == index and a.index is not None and a.kind in ("weights", "bias") and not a.after}
    for symbol, which, entries, offs in ((n.weight, "weights", layer.weights, offset),
                                         (bias_symbol, "bias", layer.bias, (1,))):
        if entries is None:
            continue
        for position in np.ndindex(entries.values.shape):
            if entries.absent is not None and entries.absent[position]:
                continue
            label = f"{symbol}^({index})_{index_label(position, offs)}"
            if (which, position) in own_names:
                label += f" ({own_names[which, position]})"
            name = entries.shared.get(position)
            yield (label + f" = {name}" if name else label), which, position


def _first_entries(problem: Problem, index: int, layer: Layer, notes: list[str]) -> list:
    """The first MAX_ENTRIES labelled entries of a layer, with a note when there are more."""
    total = sum(int(e.values.size if e.absent is None else np.count_nonzero(~e.absent))
                for e in (layer.weights, layer.bias) if e is not None)
    if total > MAX_ENTRIES:
        notes.append(f"showing {MAX_ENTRIES} of {total} entries of layer {index}; --format json has all")
    return list(itertools.islice(_labelled_entries(problem, index, layer), MAX_ENTRIES))


def _parameter_table(problem: Problem, layer: LayerResult, result: Result, fmt) -> Table:
    """Each entry's value, gradient, what the optimizer keeps for it after the first step, and its update."""
    spec = problem.network.layers[layer.index - 1]
    trained = result.trained
    kept_names = problem.training.optimizer.state_names if trained else ()
    rows, notes = [], []
    for label, which, position in _first_entries(problem, layer.index, spec, notes):
        param = layer.weights if which == "weights" else layer.bias
        own = position not in param.entries.shared
        row = [label, fmt(param.value[position]), fmt(param.grad[position])]
        kept = result.moments.get(1, {}).get(("W" if which == "weights" else "b", layer.index), {})
        row += [fmt(kept[name][position]) if own and name in kept else "" for name in kept_names]
        if trained:
            row.append(fmt(param.updated[position]) + (" (frozen)" if param.frozen and own else ""))
        rows.append(row)
    if spec.weights.shared or (spec.bias is not None and spec.bias.shared):
        notes.append("a shared entry shows the gradient through that one use; its total is in 'shared parameters'")
    if kept_names:
        notes.append(optimizer_note(problem.training))
    columns = (["parameter", "value", f"∂{problem.notation.loss}/∂parameter"] + [STATE_TITLES[n] for n in kept_names]
               + (["updated"] if trained else []))
    return Table(f"parameters of {_layer_title(layer)}", columns, rows, notes)


def _after_table(result: Result, fmt) -> Table:
    """The loss and the outputs at the parameters after the last update, over every sample."""
    from ..solving.kinds import after
    steps = result.problem.training.steps
    worked = after(result, steps)
    n = result.problem.notation
    last = len(worked.layers)
    rows = [[f"{n.loss}@{steps}", fmt(worked.loss.value)]]
    outputs = worked.layers[-1].act
    for s, row in enumerate(outputs):
        for j, value in enumerate(row):
            sample = f"sample {s + 1}: " if len(outputs) > 1 else ""
            rows.append([f"{sample}{n.act}^({last})_{j + 1}@{steps}", fmt(value)])
    note = f"at the parameters after {'the update' if steps == 1 else f'{steps} updates'}, over every sample " \
           f"(in expected: {n.loss}' or {n.loss}@{steps}, {n.act}^({last})')"
    return Table(f"after {'the update' if steps == 1 else f'{steps} updates'}", ["quantity", "value"], rows[:1 + 64],
                 [note])


def _final_table(result: Result, fmt) -> Table:
    problem, final = result.problem, result.final
    names = {p.name: i for i, p in enumerate(problem.shared)}
    rows, notes = [], []
    for i, layer in enumerate(problem.network.layers):
        used = {"weights": used_values(layer.weights, final.weights[i], final.shared, names)}
        if layer.bias is not None:
            used["bias"] = used_values(layer.bias, final.biases[i], final.shared, names)
        rows += [[label, fmt(used[which][position])]
                 for label, which, position in _first_entries(problem, i + 1, layer, notes)]
    rows += [[p.name, fmt(final.shared[names[p.name]])] for p in problem.shared]
    return Table(f"parameters after {problem.training.steps} steps", ["parameter", "value"], rows, notes)
