"""Worked solutions: every printed formula is worked again from its printed text by an independent
reader (tests/arithmetic.py), with the numbers put in and in symbols looked up in the result."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from click.testing import CliRunner

import backprop_cli as bp
from backprop_cli.cli import main
from backprop_cli.explaining import explain
from backprop_cli.explaining.maths import Verbatim, elided, text
from backprop_cli.explaining.text import render
from backprop_cli.solving import kinds

from arithmetic import evaluate
from conftest import PROBLEM_FILES, ROOT

PRECISION = 12  # digits printed, so that working a formula again from its text is a tight check


def _close(found: float, expected: float, scale: float = 1.0) -> bool:
    return math.isclose(found, expected, rel_tol=1e-7, abs_tol=1e-9 * max(1.0, scale))


def _checkable(node) -> bool:
    return node is not None and not elided(node) and not _has_verbatim(node)


def _has_verbatim(node) -> bool:
    if isinstance(node, Verbatim):
        return True
    return any(_has_verbatim(a) for a in getattr(node, "args", ()) if not isinstance(a, (str, float)))


def _layered_lookup(result, solution):
    problem = result.problem

    def lookup(symbol: str) -> float:
        n = problem.notation
        if symbol in ("η",):
            return problem.training.learning_rate
        if symbol == "λ":
            return problem.training.l2.strength
        decayed = re.fullmatch(r"g\[(.*)\]", symbol)
        if decayed:  # the gradient with the coupled weight decay added
            inner = decayed[1]
            grad = lookup("∂" + n.loss + "/∂" + inner)
            return grad + problem.training.optimizer.decay * lookup(inner)
        if symbol == "‖w‖²":
            return result.loss.penalty / problem.training.l2.strength
        if symbol == f"{n.loss}_data":
            return result.loss.data
        per_sample = re.fullmatch(re.escape(n.loss) + r"_(\d+)", symbol)
        if per_sample:
            return float(result.loss.per_sample[int(per_sample[1]) - 1])
        target = re.fullmatch(r"y_\{?(\d+)(?:,(\d+))?\}?", symbol)
        if target:
            first, second = int(target[1]), target[2] and int(target[2])
            if second is None:
                return float(problem.targets[0, first - 1])
            s, k = (first, second) if problem.samples_are == "rows" else (second, first)
            return float(problem.targets[s - 1, k - 1])
        if re.search(r"_(?:\{[0-9]+,)?0\}?$", symbol) and not symbol.startswith(("∂", n.weight)):
            return 1.0  # the constant input of a folded bias
        address = symbol
        if symbol.startswith("∂"):
            of, wrt = symbol[1:].split("/∂")
            address = f"d{of}/d{wrt}"
        value = kinds.lookup(kinds.resolve(address, problem), result)
        return float(np.asarray(value).reshape(()))
    return lookup


def _graph_lookup(result, solution):
    problem = result.problem
    values = {v.name: v.value for v in (*result.inputs, *result.nodes, *result.shared)}
    grads = {v.name: v.grad for v in (*result.inputs, *result.nodes, *result.shared)}
    local = {step.key[1:]: step.value for step in solution.steps() if step.key[0] == "local"}

    def lookup(symbol: str) -> float:
        if symbol == "y":
            return float(np.ravel(problem.target)[0])
        if symbol == "η":
            return problem.training.learning_rate
        match = re.fullmatch(r"[∂d](\w+)/[∂d](\w+)", symbol)
        if match:
            of, wrt = match.groups()
            if of in (problem.notation.loss, problem.output) and (of, wrt) not in local:
                return float(np.reshape(grads[wrt], ()))
            return float(local[of, wrt])
        decayed = re.fullmatch(r"g\[(\w+)\]", symbol)
        if decayed:  # the gradient with the coupled weight decay added
            name = decayed[1]
            return float(np.reshape(grads[name] + problem.training.optimizer.decay * values[name], ()))
        if symbol in values:
            return float(np.reshape(values[symbol], ()))
        return float(np.reshape(kinds.lookup(kinds.resolve(symbol, problem), result), ()))
    return lookup


def _derivatives(problem) -> dict:
    """g' of the activations whose derivative depends on an attribute, from the file's attributes."""
    if problem.kind != "layered":
        return {}
    found = {}
    for layer in problem.network.layers:
        for activation in layer.activations:
            attrs = dict(activation.attrs)
            if activation.name == "leaky_relu":
                slope = attrs.get("slope", 0.01)
                found.setdefault("leaky_relu'", set()).add(lambda z, s=slope: 1.0 if z > 0 else s)
            if activation.name == "elu":
                alpha = attrs.get("alpha", 1.0)
                found.setdefault("elu'", set()).add(lambda z, a=alpha: 1.0 if z > 0 else a * math.exp(z))
    assert all(len(rules) == 1 for rules in found.values()), "one attribute per activation in a file"
    return {name: rules.pop() for name, rules in found.items()}


def _rework(result) -> None:
    """Every scalar step's formulas, worked again from their printed text, give the step's value."""
    solution = explain(result, precision=PRECISION)
    lookup = (_layered_lookup if result.problem.kind == "layered" else _graph_lookup)(result, solution)
    checked, scalars = 0, 0
    for step in solution.steps():
        if np.ndim(step.value) != 0 or not np.isfinite(step.value):
            continue
        value = float(step.value)
        scalars += 1
        for node in (step.substituted, step.general):
            if not _checkable(node):
                continue
            printed = text(node, PRECISION)
            found = evaluate(printed, lookup if node is step.general else None, _derivatives(result.problem))
            assert _close(found, value, abs(value)), f"{text(step.target)} = {printed} = {found}, not {value}"
            checked += 1
    assert checked >= min(scalars, 3)


@pytest.mark.parametrize("path", PROBLEM_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_formula_works_out_to_its_printed_result(path):
    _rework(bp.solve(bp.load(str(path))))


OPTIMIZERS = ["sgd", "{name: sgd, momentum: 0.9}", "{name: sgd, momentum: 0.9, nesterov: true}",
              "{name: sgd, momentum: 0.8, form: classical, nesterov: true}", "{name: sgd, weight_decay: 0.1}",
              "{name: rmsprop, alpha: 0.9}", "adagrad", "adam", "{name: adam, eps_inside: true, eps: 0.001}",
              "{name: adam, bias_correction: false, weight_decay: 0.05}", "{name: adamw, weight_decay: 0.1}"]


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize("kind", ["layered", "graph"])
def test_every_optimizer_update_works_out(optimizer, kind):
    if kind == "layered":
        text_ = (ROOT / "problems" / "mazur.yaml").read_text(encoding="utf-8")
        text_ = text_.replace("frozen: [bias]", "frozen: false")
        text_ = text_[:text_.index("expected:")] if "expected:" in text_ else text_
        text_ = re.sub(r"(?m)^train:.*\n(?:  .*\n)*", "", text_)
    else:
        text_ = ("graph: {inputs: {x: 0.5}, params: {w: 0.8, b: -0.3}, nodes: {h: tanh(w * x + b)}, output: h}\n"
                 "target: 0.2\nloss: {kind: squared_error}\n")
    text_ += f"train: {{learning_rate: 0.1, optimizer: {optimizer}}}\n"
    result = bp.solve(bp.loads(text_))
    assert result.problem.training.optimizer.plain == (optimizer == "sgd")
    _rework(result)
    updates = explain(result).sections[-1]
    assert updates.title == "updates" and any(step.target.prime for step in updates.steps if hasattr(step.target, "prime"))


def test_the_textbook_example_by_hand():
    """The 2-2-2 net's output delta and hidden gradient, derived here with NumPy from the file's numbers."""
    result = bp.solve(bp.load(str(ROOT / "problems" / "mazur.yaml")))
    out = render(explain(result, ["dE/dw^(2)_11", "dE/dw^(1)_11"], precision=6))
    x, y = np.array([0.05, 0.10]), np.array([0.01, 0.99])
    w1, w2 = np.array([[0.15, 0.20], [0.25, 0.30]]), np.array([[0.40, 0.45], [0.50, 0.55]])
    h = 1 / (1 + np.exp(-(w1 @ x + 0.35)))
    o = 1 / (1 + np.exp(-(w2 @ h + 0.60)))
    d2 = (o - y) * o * (1 - o)
    d1 = (w2.T @ d2) * h * (1 - h)
    assert f"δ^(2)_1 = ∂E/∂out^(2)_1 · σ'(net^(2)_1) = {d2[0] / (o[0] * (1 - o[0])):.6g} · " in out
    assert f"= {d2[0]:.6g}" in out
    assert f"∂E/∂w^(2)_11 = δ^(2)_1 · out^(1)_1 = {d2[0]:.6g} · {h[0]:.6g} = {d2[0] * h[0]:.6g}" in out
    assert f"∂E/∂w^(1)_11 = δ^(1)_1 · in_1 = {d1[0]:.6g} · 0.05 = {d1[0] * 0.05:.6g}" in out


def test_quantities_cut_the_solution_to_what_they_need():
    result = bp.solve(bp.load(str(ROOT / "problems" / "mazur.yaml")))
    keys = {step.key for step in explain(result, ["dE/dw^(2)_11"]).steps()}
    assert ("weights_grad", 2, None, (0, 0)) in keys
    assert ("delta", 2, 0, (0,)) in keys and ("act", 1, 0, (0,)) in keys
    assert not any(key[0] == "delta" and key[1] == 1 for key in keys)  # hidden deltas are not needed
    assert not any(key[0].endswith("_updated") for key in keys)
    whole = {step.key for step in explain(result).steps()}
    assert keys < whole


def test_intermediate_factors_select_their_steps():
    result = bp.solve(bp.load(str(ROOT / "problems" / "mazur.yaml")))
    keys = {step.key for step in explain(result, ["σ'(net^(2)_1)"]).steps()}
    assert ("g_prime", 2, 0, (0,)) in keys and not any(key[0] == "delta" for key in keys)
    assert ("pre", 2, 0, (1,)) in {step.key for step in explain(result, ["(W out)^(2)_2"]).steps()}
    assert ("loss",) in {step.key for step in explain(result, ["e_1"]).steps()}


def test_graph_nodes_that_rename_a_value_have_their_own_gradient():
    """h2 = x1: dy/dh2 is σ'(h2), not the input's total gradient (they shared one slot once)."""
    result = bp.solve(bp.load(str(ROOT / "problems" / "keys" / "assignment4-q2.yaml")))
    h2 = {v.name: v for v in result.nodes}["h2"]
    s = 1 / (1 + math.exp(-1.0))
    assert math.isclose(float(h2.grad), s * (1 - s), rel_tol=1e-12)


def test_cli_writes_text_and_refuses_bad_quantities(tmp_path):
    runner = CliRunner()
    path = str(ROOT / "problems" / "mazur.yaml")
    done = runner.invoke(main, ["explain", path, "dE/dw^(2)_11", "--precision", "4"])
    assert done.exit_code == 0, done.output
    assert "∂E/∂w^(2)_11 = δ^(2)_1 · out^(1)_1 = 0.1385 · 0.5933 = 0.08217" in done.output
    bad = runner.invoke(main, ["explain", path, "dE/dq"])
    assert bad.exit_code == 2 and "found 'q'" in bad.output and "Traceback" not in bad.output
    given = runner.invoke(main, ["explain", path, "w^(2)_11"])
    assert given.exit_code == 2 and "given in the file" in given.output
    missing = runner.invoke(main, ["explain", str(tmp_path / "none.yaml")])
    assert missing.exit_code == 2
    target = tmp_path / "out.txt"
    written = runner.invoke(main, ["explain", path, "--output", str(target)])
    assert written.exit_code == 0 and target.read_text().startswith("2-2-2 sigmoid network")
    clash = runner.invoke(main, ["explain", path, "--output", path])
    assert clash.exit_code == 2
