"""The result as a stable JSON document (schema ``backprop-cli/result``, version 1).

Numbers are float64 at full precision (shortest text that reads back to the same float). An entry that
does not exist (no connection) is null; a value that is not finite is the string "inf", "-inf" or "nan".
Per-sample quantities are lists of samples, each a list of units, whatever the file's layout.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np

from ..engine.network import Parameters, used_values
from ..solving.kinds import after
from ..solving.results import ParamResult, Result

SCHEMA = "backprop-cli/result"
VERSION = 1


def _number(value: float) -> float | str:
    value = float(value)
    if math.isfinite(value):
        return value
    return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")


def array(values: np.ndarray, absent: np.ndarray | None = None) -> Any:
    """Nested lists of numbers; entries marked absent become null."""
    values = np.asarray(values, dtype=float)
    if values.ndim == 0:
        return _number(values)
    if absent is None and np.isfinite(values).all():
        return values.tolist()
    return [array(values[i], None if absent is None else absent[i]) if values.ndim > 1
            else (None if absent is not None and absent[i] else _number(values[i]))
            for i in range(len(values))]


def _param(param: ParamResult | None) -> dict[str, Any] | None:
    if param is None:
        return None
    absent = param.entries.absent
    return {
        "value": array(param.value, absent),
        "grad": array(param.grad, absent),
        "updated": array(param.updated, absent),
        "frozen": param.frozen,
        "shared": {",".join(str(i + 1) for i in pos): name for pos, name in sorted(param.entries.shared.items())},
    }


def _derivative(layer) -> Any:
    """g'(z) of each sample and unit; null for softmax, which has no factor per unit."""
    softmax = layer.activations[0].name == "softmax"  # only ever a whole layer
    return array(layer.g_prime, np.ones(layer.g_prime.shape, dtype=bool) if softmax else None)


def _final(result: Result, params: Parameters) -> list[dict[str, Any]]:
    problem = result.problem
    names = {p.name: i for i, p in enumerate(problem.shared)}
    final = []
    for i, layer in enumerate(problem.network.layers):
        weights = used_values(layer.weights, params.weights[i], params.shared, names)
        bias = None if layer.bias is None else used_values(layer.bias, params.biases[i], params.shared, names)
        final.append({"weights": array(weights, layer.weights.absent),
                      "bias": None if bias is None else array(bias, layer.bias.absent)})
    return final


def document(result: Result) -> dict[str, Any]:
    """The result as plain JSON-ready data."""
    problem = result.problem
    network = problem.network
    n = problem.notation
    doc: dict[str, Any] = {
        "schema": SCHEMA,
        "version": VERSION,
        "title": problem.title,
        "source": problem.source,
        "conventions": {
            "convention": problem.convention,
            "orientation": network.orientation,
            "fold_bias": network.folded_bias,
            "samples_are": problem.samples_are,
            "delta": "-dL/dz" if n.delta_sign < 0 else "dL/dz",
            "notation": {"pre_activation": n.pre, "activation": n.act, "delta": n.delta, "loss": n.loss,
                         "weight": n.weight, "bias": n.bias, "threshold": n.threshold, "input": n.input,
                         "residual": n.residual, "target": n.target},
        },
        "input": array(problem.inputs),
        "target": array(problem.targets),
        "residual": array(result.residual),
        "layers": [{
            "index": layer.index,
            "name": layer.name,
            "units": layer.units,
            "activation_function": [str(a) for a in layer.activations],
            "pre_activation": array(layer.pre),
            "activation": array(layer.act),
            "grad_activation": array(layer.grad_act),
            "delta": array(n.delta_sign * layer.delta),
            "activation_derivative": _derivative(layer),
            "weighted_sum": array(layer.weighted),
            "weights": _param(layer.weights),
            "bias": _param(layer.bias),
            "bias_sign": layer.bias_sign,
        } for layer in result.layers],
        "shared": [{"name": p.name, "value": _number(p.value), "grad": _number(p.grad),
                    "updated": _number(p.updated), "frozen": p.frozen, "uses": p.uses} for p in result.shared],
        "loss": {"formula": result.loss.formula, "value": _number(result.loss.value),
                 "data": _number(result.loss.data), "penalty": _number(result.loss.penalty),
                 "per_sample": array(result.loss.per_sample)},
        "training": None,
        "warnings": list(result.warnings),
    }
    if result.trained:
        t = problem.training
        doc["training"] = {
            "learning_rate": t.learning_rate, "steps": t.steps,
            "l2": None if t.l2 is None else {"lambda": t.l2.strength, "include_bias": t.l2.include_bias},
            "history": [_number(v) for v in result.history],
            "final_loss": _number(result.final_loss),
            "final": _final(result, result.final),
            "final_shared": {p.name: _number(v) for p, v in zip(problem.shared, result.final.shared)},
            "optimizer": _optimizer(t.optimizer, result, _layered_key),
            "final_outputs": array(after(result, t.steps).layers[-1].act),
            "batch_size": t.batch_size, "epochs": t.epochs, "shuffle_seed": t.shuffle_seed,
            "first_batch": None if result.batch is None else [int(i) + 1 for i in result.batch],
        }
    return doc


def _layered_key(key) -> str:
    """A layered parameter's place as the JSON names it: W1, b2, shared."""
    return "shared" if key == ("shared",) else f"{key[0]}{key[1]}"


def _optimizer(opt, result, name) -> dict[str, Any]:
    """The optimizer's settings, and what it kept for each parameter after the first step and the
    steps asked about (``state``: step -> parameter -> {m, v, m_hat, v_hat, s})."""
    settings = {"name": opt.name}
    if opt.name == "sgd":
        settings.update(momentum=opt.momentum, dampening=opt.dampening, nesterov=opt.nesterov, form=opt.form)
    elif opt.name == "rmsprop":
        settings.update(alpha=opt.alpha, eps=opt.epsilon)
    elif opt.name == "adagrad":
        settings.update(eps=opt.epsilon)
    else:
        settings.update(betas=list(opt.betas), eps=opt.epsilon, bias_correction=opt.bias_correction,
                        eps_inside=opt.eps_inside)
    settings["weight_decay"] = opt.decay
    settings["state"] = {str(step): {name(key): {k: array(v) for k, v in kept.items()} for key, kept in state.items()}
                         for step, state in sorted(result.moments.items())}
    return settings


INDENT_LIMIT = 100_000  # above this many values the document is written compactly (same content)


def graph_document(result) -> dict[str, Any]:
    """A computation-graph result (schema ``backprop-cli/graph``, version 1)."""
    problem = result.problem

    def named(items):
        return [{"name": v.name, "value": array(v.value), "grad": array(v.grad)} for v in items]

    doc: dict[str, Any] = {
        "schema": "backprop-cli/graph", "version": 1, "title": problem.title, "source": problem.source,
        "output": problem.output,
        "upstream": None if problem.upstream is None else array(problem.upstream),
        "inputs": named(result.inputs),
        "nodes": [{"name": v.name, "formula": v.text, "value": array(v.value), "grad": array(v.grad)}
                  for v in result.nodes],
        "params": [{"name": p.name, "value": array(p.value), "grad": array(p.grad), "updated": array(p.updated),
                    "frozen": p.frozen, "uses": p.uses} for p in result.shared],
        "loss": None if result.loss is None else {
            "formula": result.loss.formula, "value": _number(result.loss.value),
            "data": _number(result.loss.data), "penalty": _number(result.loss.penalty)},
        "training": None,
        "warnings": list(result.warnings),
    }
    if result.trained:
        doc["training"] = {"learning_rate": problem.training.learning_rate, "steps": problem.training.steps,
                           "history": [_number(v) for v in result.history],
                           "final_loss": _number(result.final_loss),
                           "final": {name: array(v) for name, v in result.final.items()},
                           "final_output": array(after(result, problem.training.steps).named[problem.output].value),
                           "optimizer": _optimizer(problem.training.optimizer, result, str)}
    return doc


DOCUMENTS = {"layered": document, "graph": graph_document}  # kind of problem -> its document


def render(result) -> str:
    """The JSON text, ending with a newline; indented unless the result is large."""
    if getattr(result, "symbolic", False):
        from .symbolic import render_json
        return render_json(result)
    from ..solving.kinds import kind_of
    from ..printable import json_safe
    indent = 2 if kind_of(result.problem).size(result) <= INDENT_LIMIT else None
    return json_safe(json.dumps(DOCUMENTS[result.problem.kind](result), indent=indent, ensure_ascii=False)) + "\n"


def documents(texts: list[str | None]) -> str:
    """Several rendered documents as one JSON array, null for each missing one (an invalid file)."""
    items = ["  null" if text is None else "\n".join("  " + line for line in text.rstrip("\n").split("\n"))
             for text in texts]
    return "[\n" + ",\n".join(items) + "\n]\n"
