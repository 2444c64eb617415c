"""Numerically hard input: large |z| and log of 0 give exact finite values or a clear warning."""

from __future__ import annotations

import math

import numpy as np
import pytest

from backprop_cli import loads, solve


def one_unit(activation: str, weight: float, target: float, loss: str) -> str:
    return (f"network: {{inputs: 1, layers: [{{units: 1, activation: {activation}, weights: {weight}}}]}}\n"
            f"input: 1\ntarget: {target}\nloss: {loss}\n")


def softplus(z: float) -> float:
    return max(z, 0.0) + math.log1p(math.exp(-abs(z)))


@pytest.mark.parametrize("z", [-800.0, -40.0, 40.0, 800.0])
@pytest.mark.parametrize("y", [0.0, 1.0])
def test_sigmoid_cross_entropy_is_exact_for_large_z(z, y):
    result = solve(loads(one_unit("sigmoid", z, y, "binary_cross_entropy")))
    # -[y ln σ(z) + (1-y) ln(1-σ(z))] = softplus(z) - y z exactly
    assert result.loss.value == pytest.approx(softplus(z) - y * z, rel=1e-15)
    sigma = 1.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0
    assert result.layers[0].delta[0, 0] == pytest.approx(sigma - y, rel=1e-12, abs=1e-300)
    assert np.isfinite(result.layers[0].weights.grad).all()


def test_saturated_output_warns_that_dl_da_is_infinite_but_delta_is_exact():
    result = solve(loads(one_unit("sigmoid", 800, 0, "binary_cross_entropy")))
    assert result.loss.value == 800.0
    assert result.layers[0].delta[0, 0] == 1.0
    assert any("rounds to exactly 0 or 1" in w for w in result.warnings)


def test_softmax_cross_entropy_with_huge_logits_is_finite():
    text = ("network: {inputs: 1, layers: [{units: 3, activation: softmax, weights: [[1000], [0], [-1000]]}]}\n"
            "input: 1\ntarget: [0, 1, 0]\nloss: categorical_cross_entropy\n")
    result = solve(loads(text))
    assert result.loss.value == pytest.approx(1000.0)
    np.testing.assert_allclose(result.layers[0].delta[0], [1.0, -1.0, 0.0], atol=1e-300)


def test_log_of_zero_is_reported_not_silent():
    result = solve(loads(one_unit("relu", -1, 1, "binary_cross_entropy")))  # ŷ = 0, ln 0
    assert not np.isfinite(result.loss.value)
    assert any("loss is not finite" in w for w in result.warnings)


def test_tanh_saturation_gives_zero_delta_not_nan():
    result = solve(loads(one_unit("tanh", 400, 0, "squared_error")))
    assert result.layers[0].act[0, 0] == 1.0
    assert result.layers[0].delta[0, 0] == 0.0
    assert result.warnings == []
