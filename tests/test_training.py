"""Updates over several steps, L2 penalty, frozen parameters, reproducible random initialisation."""

from __future__ import annotations


import numpy as np
import pytest

from backprop_cli import ProblemError, load, loads, solve
from conftest import PROBLEMS
from reference import reference


def _with_values(problem, weights, biases, shared):
    """The same problem started from other parameter values."""
    layers = tuple(layer._replace(weights=layer.weights._replace(values=w),
                                  bias=None if layer.bias is None else layer.bias._replace(values=b))
                   for layer, w, b in zip(problem.network.layers, weights, biases))
    named = tuple(p._replace(value=float(v)) for p, v in zip(problem.shared, shared))
    return problem._replace(network=problem.network._replace(layers=layers), shared=named)


@pytest.mark.parametrize("name", ["examples/l2-steps.yaml", "mazur.yaml", "seeds/assignment4-q1.yaml"])
def test_several_steps_repeat_one_reference_step(name):
    problem = load(str(PROBLEMS / name))
    problem = problem._replace(training=problem.training._replace(steps=4))
    result = solve(problem)
    rate = problem.training.learning_rate
    current = problem
    for step in range(4):
        ref = reference(current)
        assert result.history[step] == pytest.approx(ref.loss, rel=1e-12)
        weights = [l.weights.values if l.weights.frozen else l.weights.values - rate * g * _own(l.weights)
                   for l, g in zip(current.network.layers, ref.grad_weights)]
        biases = [None if l.bias is None else l.bias.values if l.bias.frozen
                  else l.bias.values - rate * g * _own(l.bias)
                  for l, g in zip(current.network.layers, ref.grad_biases)]
        shared = [p.value if p.frozen else p.value - rate * g for p, g in zip(current.shared, ref.grad_shared)]
        current = _with_values(current, weights, biases, shared)
    for i, layer in enumerate(current.network.layers):
        np.testing.assert_allclose(result.final.weights[i], layer.weights.values, rtol=1e-12, atol=1e-15)
    assert result.final_loss == pytest.approx(reference(current).loss, rel=1e-12)


def _own(entries):
    mask = entries.own_mask
    return 1.0 if mask is None else mask


def test_l2_penalty_by_hand():
    text = """
network: {inputs: 2, layers: [{units: 1, activation: identity, weights: [[0.5, -2]], bias: 3}]}
input: [1, 1]
target: 0
loss: squared_error
train: {learning_rate: 0.1, l2: {lambda: 0.25}}
"""
    result = solve(loads(text))
    # ŷ = 0.5 - 2 + 3 = 1.5; data loss 2.25; penalty 0.25 * (0.25 + 4) = 1.0625 (bias excluded)
    assert result.loss.data == pytest.approx(2.25)
    assert result.loss.penalty == pytest.approx(1.0625)
    assert result.loss.value == pytest.approx(3.3125)
    # dL/dw = 2 (ŷ - y) x + 2 λ w = 3 + 0.5 w
    np.testing.assert_allclose(result.layers[0].weights.grad, [[3.25, 2.0]])
    np.testing.assert_allclose(result.layers[0].bias.grad, [3.0])


def test_frozen_entries_get_a_gradient_but_keep_their_value():
    result = solve(load(str(PROBLEMS / "mazur.yaml")))
    for shared in result.shared:
        assert shared.frozen and shared.grad != 0 and shared.updated == shared.value
    assert not result.layers[0].weights.frozen
    assert (result.layers[0].weights.updated != result.layers[0].weights.value).all()


def _random(seed: int):
    text = (f"network:\n  inputs: 300\n  seed: {seed}\n  layers:\n"
            "    - {units: 200, activation: relu, weights: {init: he_normal}}\n"
            "    - {units: 100, activation: tanh, weights: {init: xavier_uniform}}\n"
            "    - {units: 2, activation: identity, weights: {init: uniform, low: 2, high: 3}}\n"
            f"input: [{', '.join(['0.1'] * 300)}]\ntarget: [0, 0]\nloss: squared_error\n")
    return loads(text)


def test_random_initialisation_is_reproducible_and_has_the_stated_scale():
    first, again, other = _random(1), _random(1), _random(2)
    for a, b in zip(first.network.layers, again.network.layers):
        np.testing.assert_array_equal(a.weights.values, b.weights.values)
    assert not np.array_equal(first.network.layers[0].weights.values, other.network.layers[0].weights.values)
    he, xavier, uniform = (layer.weights.values for layer in first.network.layers)
    assert he.std() == pytest.approx(np.sqrt(2 / 300), rel=0.03)
    limit = np.sqrt(6 / (200 + 100))
    assert np.abs(xavier).max() <= limit and np.abs(xavier).max() > 0.95 * limit
    assert uniform.min() >= 2 and uniform.max() <= 3


@pytest.mark.parametrize("orientation, weights", [("in_out", "[[5], [2]]"), ("out_in", "[[5, 2]]")])
def test_a_folded_bias_is_penalised_only_with_include_bias(orientation, weights):
    text = (f"network: {{inputs: 1, orientation: {orientation}, fold_bias: true, "
            f"layers: [{{units: 1, weights: {weights}}}]}}\ninput: 1\ntarget: 0\nloss: squared_error\n"
            "train: {learning_rate: 0.1, l2: {lambda: 1, include_bias: INCLUDE}}\n")
    without = solve(loads(text.replace("INCLUDE", "false")))
    with_bias = solve(loads(text.replace("INCLUDE", "true")))
    # ŷ = 5 + 2 = 7: data gradient 2·7·(1, 1) = (14, 14); the penalty adds 2w only where it applies
    assert without.loss.penalty == pytest.approx(4.0) and with_bias.loss.penalty == pytest.approx(29.0)
    np.testing.assert_allclose(without.layers[0].weights.grad.ravel(), [14, 14 + 4])
    np.testing.assert_allclose(with_bias.layers[0].weights.grad.ravel(), [14 + 10, 14 + 4])


def test_a_long_history_shows_the_first_and_last_steps_and_evenly_spaced_ones_between():
    from backprop_cli.render.report import MAX_HISTORY, loss_curve, shown_steps
    assert shown_steps(MAX_HISTORY) == list(range(MAX_HISTORY))
    shown = shown_steps(10_000)
    assert len(shown) == MAX_HISTORY and shown[:5] == [0, 1, 2, 3, 4] and shown[-5:] == list(range(9995, 10_000))
    gaps = np.diff(shown[4:-4])
    assert gaps.max() - gaps.min() <= 1  # evenly spaced
    curve, scale = loss_curve([8.0, 4.0, 2.0, 1.0, 0.5, 0.25])
    assert (curve, scale) == ("█▇▅▄▂▁", " (log scale)")  # halvings: evenly apart on a log scale, 8 levels
    assert loss_curve([1.0, float("nan"), 0.5]) == ("", "")


MINI_BATCHES = """
network:
  inputs: 2
  layers:
    - {units: 2, activation: tanh, weights: [[0.1, -0.2], [0.3, 0.4]], bias: [0.1, -0.1]}
    - {units: 1, activation: sigmoid, weights: [[0.5, -0.6]], bias: 0.2}
input: [[0, 1], [1, 0], [1, 1], [0, 0], [0.5, 0.5]]
target: [[1], [1], [0], [0], [1]]
loss: {kind: binary_cross_entropy, samples: mean}
train: {learning_rate: 0.5, batch_size: 2, epochs: 3, SHUFFLE}
"""


@pytest.mark.parametrize("seed", [None, 7])
def test_mini_batches_one_update_per_batch_in_order_or_shuffled_each_epoch(seed):
    """Worked in plain NumPy: batches of 2 of 5 samples (the last of each epoch has 1), the mean loss of
    the batch, one gradient step each; shuffled with one generator drawing a permutation per epoch."""
    text = MINI_BATCHES.replace(", SHUFFLE", "" if seed is None else f", shuffle: {{seed: {seed}}}")
    result = solve(loads(text))
    x = np.array([[0, 1], [1, 0], [1, 1], [0, 0], [0.5, 0.5]])
    y = np.array([[1], [1], [0], [0], [1]], dtype=float)
    w1, b1 = np.array([[0.1, -0.2], [0.3, 0.4]]), np.array([0.1, -0.1])
    w2, b2 = np.array([[0.5, -0.6]]), np.array([0.2])
    generator = None if seed is None else np.random.default_rng(seed)
    losses, firsts = [], []
    for _ in range(3):
        order = np.arange(5) if generator is None else generator.permutation(5)
        for start in range(0, 5, 2):
            batch = order[start:start + 2]
            firsts.append(batch)
            xb, yb = x[batch], y[batch]
            h = np.tanh(xb @ w1.T + b1)
            o = 1 / (1 + np.exp(-(h @ w2.T + b2)))
            losses.append(np.mean(-(yb * np.log(o) + (1 - yb) * np.log(1 - o))))
            d2 = (o - yb) / len(batch)
            d1 = (d2 @ w2) * (1 - h ** 2)
            w2, b2 = w2 - 0.5 * d2.T @ h, b2 - 0.5 * d2.sum(axis=0)
            w1, b1 = w1 - 0.5 * d1.T @ xb, b1 - 0.5 * d1.sum(axis=0)
    assert result.problem.training.steps == 9
    np.testing.assert_allclose(result.history, losses, rtol=1e-12)
    np.testing.assert_allclose(result.final.weights[0], w1, rtol=1e-12)
    np.testing.assert_allclose(result.final.biases[1], b2, rtol=1e-12)
    assert list(result.batch) == list(firsts[0])  # the tables show the first step's samples
    h = np.tanh(x @ w1.T + b1)
    o = 1 / (1 + np.exp(-(h @ w2.T + b2)))
    assert np.isclose(result.final_loss, np.mean(-(y * np.log(o) + (1 - y) * np.log(1 - o))), rtol=1e-12)


@pytest.mark.parametrize("train, words", [
    ("{learning_rate: 0.1, epochs: 2}", "expected a batch_size with epochs"),
    ("{learning_rate: 0.1, batch_size: 9}", "expected a batch_size of at most 5"),
    ("{learning_rate: 0.1, batch_size: 2, epochs: 2, steps: 3}", "expected steps or epochs, not both"),
    ("{learning_rate: 0.1, batch_size: 2, shuffle: {sed: 1}}", "did you mean 'seed'"),
])
def test_bad_batch_settings_are_refused(train, words):
    text = MINI_BATCHES.replace("{learning_rate: 0.5, batch_size: 2, epochs: 3, SHUFFLE}", train)
    with pytest.raises(ProblemError) as error:
        loads(text)
    assert words in str(error.value) + "".join(d.hint for d in error.value.diagnostics)


def test_quantities_after_updates_are_addressable():
    """E', out^(2)', δ^(2)' (after one update) and E@3, w^(2)_11@3 (after three), worked in plain NumPy."""
    sigmoid = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    x, y = np.array([0.05, 0.10]), np.array([0.01, 0.99])
    w1, w2 = np.array([[0.15, 0.20], [0.25, 0.30]]), np.array([[0.40, 0.45], [0.50, 0.55]])
    seen = []
    for _ in range(3):
        h = sigmoid(w1 @ x + 0.35)
        o = sigmoid(w2 @ h + 0.60)
        d2 = (o - y) * o * (1 - o)
        d1 = (w2.T @ d2) * h * (1 - h)
        w1, w2 = w1 - 0.5 * np.outer(d1, x), w2 - 0.5 * np.outer(d2, h)
        h = sigmoid(w1 @ x + 0.35)
        o = sigmoid(w2 @ h + 0.60)
        seen.append({"E": 0.5 * np.sum((o - y) ** 2), "out": o, "delta": (o - y) * o * (1 - o), "w2": w2.copy()})
    text = (PROBLEMS / "mazur.yaml").read_text().split("expected:")[0].replace(
        "train: {learning_rate: 0.5}", "train: {learning_rate: 0.5, steps: 3}")
    text += (f"expected:\n  E': {seen[0]['E']:.12f}\n  out^(2)': [{seen[0]['out'][0]:.12f}, {seen[0]['out'][1]:.12f}]\n"
             f"  δ^(2)_1': {seen[0]['delta'][0]:.12f}\n  E@3: {seen[2]['E']:.12f}\n  w^(2)_11@3: {seen[2]['w2'][0, 0]:.12f}\n"
             f"  E@0: 0.298371108760\n")
    from backprop_cli import check
    report = check(loads(text))
    assert [v.status for v in report.verdicts] == ["correct"] * 6, [v.reason for v in report.verdicts]


@pytest.mark.parametrize("address, words", [
    ("E@4", "expected a step from 0 to 3"),
    ("w^(2)_11'@2", "expected one step mark"),
])
def test_bad_steps_are_refused(address, words):
    text = (PROBLEMS / "mazur.yaml").read_text().split("expected:")[0].replace(
        "train: {learning_rate: 0.5}", "train: {learning_rate: 0.5, steps: 3}") + f"expected:\n  {address}: 1\n"
    problem = loads(text)
    assert words in problem.unreadable[0].reason
