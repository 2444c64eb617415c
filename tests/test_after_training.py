"""problems/examples/after-training.yaml: quantities after one update and after k, worked out again
with a plain NumPy loop of gradient descent."""

from __future__ import annotations

import numpy as np

from backprop_cli import check, load
from conftest import PROBLEMS

X, Y = np.array([0.05, 0.10]), np.array([0.01, 0.99])


def trained(steps: int):
    """(E, outputs, w^(2)_11) before each update and after the last one: index k = after k updates."""
    sigmoid = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    w1, w2 = np.array([[0.15, 0.20], [0.25, 0.30]]), np.array([[0.40, 0.45], [0.50, 0.55]])
    states = []
    for _ in range(steps + 1):
        h = sigmoid(w1 @ X + 0.35)
        o = sigmoid(w2 @ h + 0.60)
        states.append((0.5 * np.sum((o - Y) ** 2), o, w2[0, 0]))
        d2 = (o - Y) * o * (1 - o)
        d1 = (w2.T @ d2) * h * (1 - h)
        w1, w2 = w1 - 0.5 * np.outer(d1, X), w2 - 0.5 * np.outer(d2, h)
    return states


def test_the_answers_are_those_of_the_loop():
    problem = load(str(PROBLEMS / "examples" / "after-training.yaml"))
    states = trained(3)
    derived = {"E@0": states[0][0], "E'": states[1][0], "out^(2)'": states[1][1], "out^(2)_1@2": states[2][1][0],
               "E@3": states[3][0], "w5@3": states[3][2]}
    written = {a.address.text: a.written for a in problem.expected}
    assert set(written) == set(derived)
    for address, value in derived.items():
        assert np.allclose(written[address], value, atol=5e-7), address
    report = check(problem)
    assert report.failed == 0 and report.passed == len(derived)


def test_a_wrong_answer_after_training_is_caught():
    text = (PROBLEMS / "examples" / "after-training.yaml").read_text(encoding="utf-8")
    from backprop_cli import loads
    report = check(loads(text.replace("E@3: 0.275943", "E@3: 0.283547")))  # the loss after 2 updates
    assert report.failed == 1
