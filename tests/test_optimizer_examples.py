"""The optimizer examples in problems/examples: their answers worked out again here in plain NumPy from
the published update rules, and checked by the tool."""

from __future__ import annotations

import numpy as np
import pytest

from backprop_cli import check, load
from backprop_cli.solving.kinds import lookup
from conftest import PROBLEMS

X, Y = np.array([0.05, 0.10]), np.array([0.01, 0.99])
W1, W2 = np.array([[0.15, 0.20], [0.25, 0.30]]), np.array([[0.40, 0.45], [0.50, 0.55]])


def gradients(w1, w2):
    """dE/dW1, dE/dW2 of the 2-2-2 textbook net (shared biases 0.35, 0.60; 1/2 sum of squares)."""
    sigmoid = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    h = sigmoid(w1 @ X + 0.35)
    o = sigmoid(w2 @ h + 0.60)
    d2 = (o - Y) * o * (1 - o)
    d1 = (w2.T @ d2) * h * (1 - h)
    return [np.outer(d1, X), np.outer(d2, h)]


def momentum(steps=3, rate=0.5, mu=0.9):
    """Classical momentum: v ← μ v − η g, p ← p + v; the state after each step."""
    params, velocity, kept = [W1, W2], [np.zeros((2, 2))] * 2, {}
    for t in range(1, steps + 1):
        velocity = [mu * v - rate * g for v, g in zip(velocity, gradients(*params))]
        params = [p + v for p, v in zip(params, velocity)]
        kept[t] = {"params": params, "v": velocity}
    return kept


def adam(steps=3, rate=0.01, betas=(0.9, 0.999), eps=1e-8):
    """Adam with bias correction and ε outside the root; the state after each step."""
    params, m, v, kept = [W1, W2], [np.zeros((2, 2))] * 2, [np.zeros((2, 2))] * 2, {}
    for t in range(1, steps + 1):
        g = gradients(*params)
        m = [betas[0] * mi + (1 - betas[0]) * gi for mi, gi in zip(m, g)]
        v = [betas[1] * vi + (1 - betas[1]) * gi ** 2 for vi, gi in zip(v, g)]
        m_hat = [mi / (1 - betas[0] ** t) for mi in m]
        v_hat = [vi / (1 - betas[1] ** t) for vi in v]
        params = [p - rate * mh / (np.sqrt(vh) + eps) for p, mh, vh in zip(params, m_hat, v_hat)]
        kept[t] = {"params": params, "m": m, "v": v, "m_hat": m_hat, "v_hat": v_hat}
    return kept


@pytest.mark.parametrize("name, by_hand", [("momentum.yaml", momentum), ("adam.yaml", adam)])
def test_the_example_answers_are_the_hand_worked_values(name, by_hand):
    problem = load(PROBLEMS / "examples" / name)
    kept = by_hand()
    report = check(problem)
    assert report.failed == 0, [(v.answer.address.text, v.reason) for v in report.verdicts if not v.passed]
    for answer in problem.expected:
        address = answer.address
        if address.kind == "weights_updated":
            value = kept[1]["params"][address.layer - 1]
        else:
            value = kept[address.step][address.state][address.layer - 1]
        value = value if address.index is None else value[address.index]
        np.testing.assert_allclose(lookup(address, report.result), value, rtol=1e-12, atol=1e-15)
        assert answer.matches(value), address.text
