"""Numbers written as expressions (``1 + sin(pi/4)``, ``2/3``, ``e**-1``) wherever a number goes, read by
the formula whitelist and never evaluated as Python; the values compared with math written here."""

from __future__ import annotations

import math

import numpy as np
import pytest

from backprop_cli import ProblemError, loads, solve

NET = """
network:
  inputs: 2
  layers:
    - {units: 1, activation: identity, weights: [["2/3", "-e**-1"]], bias: "log(8, 2)"}
input: ["sin(pi/6)", "sqrt(2)"]
target: "1 + sin(pi/4)"
loss: {kind: squared_error, factor: 1/2}
train: {learning_rate: "1/square(4)"}
"""


def test_expressions_are_numbers_wherever_a_number_goes():
    result = solve(loads(NET))
    w = np.array([2 / 3, -math.exp(-1)])
    x = np.array([math.sin(math.pi / 6), math.sqrt(2)])
    z = w @ x + 3.0
    t = 1 + math.sin(math.pi / 4)
    assert math.isclose(result.layers[0].pre[0, 0], z, rel_tol=1e-15)
    assert math.isclose(result.loss.value, 0.5 * (z - t) ** 2, rel_tol=1e-14)
    np.testing.assert_allclose(result.layers[0].weights.updated[0], w - (z - t) * x / 16, rtol=1e-14)


def test_a_name_the_problem_defines_is_not_a_constant():
    shared = NET.replace('bias: "log(8, 2)"', "bias: pi").replace("network:", "parameters:\n  pi: 0.25\nnetwork:")
    result = solve(loads(shared))
    assert result.shared[0].name == "pi" and result.shared[0].value == 0.25
    graph = """
graph:
  inputs: {x: 2.0}
  nodes:
    e: x * 3
    f: e + pi
  output: f
upstream: 1
"""
    result = solve(loads(graph))
    assert result.named["f"].value == 6.0 + math.pi  # e is the node, pi the constant


@pytest.mark.parametrize("written, words", [
    ('"x + 1"', "expected a number"),
    ('"__import__(\'os\')"', "expected a number"),
    ('"[1, 2]"', "expected a number"),
    ('"10**10**10"', "expected a finite number"),
    ('"' + "(" * 300 + "1" + ")" * 300 + '"', "expected a number"),
])
def test_an_expression_that_is_not_a_finite_number_is_refused_at_its_place(written, words):
    with pytest.raises(ProblemError) as error:
        loads(NET.replace('"1 + sin(pi/4)"', written))
    assert "target" in str(error.value) and words in str(error.value)
