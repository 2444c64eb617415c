"""The seed problems against values derived by hand, independently of the sheets' own numbers."""

from __future__ import annotations

import numpy as np
import pytest

import independent_seeds as hand
from backprop_cli import load, solve
from conftest import PROBLEMS


def solved(name: str):
    return solve(load(str(PROBLEMS / "seeds" / name)))


def close(actual, expected):
    np.testing.assert_allclose(np.asarray(actual, dtype=float), np.asarray(expected, dtype=float),
                               rtol=1e-12, atol=1e-15)


def test_ece421_q1_learning_from_data():
    r, h = solved("ece421-hw6-q1.yaml"), hand.p000_q1()
    close(r.layers[0].pre[0], h["s1"])
    close(r.layers[0].act[0], h["x1"][1:])  # x_0 = 1 is the folded bias input
    close(r.layers[1].pre[0, 0], h["s2"])
    close(r.layers[1].act[0], h["x2"][1:])
    close(r.layers[2].pre[0, 0], h["s3"])
    close(r.layers[2].act[0, 0], h["x3"])
    close(r.loss.value, h["e"])
    close(r.layers[2].delta[0, 0], h["delta3"])
    close(r.layers[1].delta[0, 0], h["delta2"])
    close(r.layers[0].delta[0], h["delta1"])
    close(r.layers[0].weights.grad, h["dE_dW1"])
    close(r.layers[1].weights.grad[:, 0], h["dE_dW2"])
    close(r.layers[2].weights.grad[:, 0], h["dE_dW3"])


def test_ece421_q2e_shared_weights():
    r, h = solved("ece421-hw6-q2e.yaml"), hand.p000_q2e()
    close(r.layers[0].act[0], h["x1"])
    close(r.layers[1].act[0, 0], h["x2_2"])
    close(r.layers[2].act[0, 0], h["yhat"])
    close(r.loss.value, h["e"])
    close(r.layers[0].grad_act[0], h["de_dx1"])
    close(r.layers[1].grad_act[0, 0], h["de_dx2_2"])
    shared = {p.name: p for p in r.shared}
    close(shared["v"].grad, h["de_dv"])
    close(shared["w"].grad, h["de_dw"])


@pytest.mark.parametrize("name, derive", [("tanh-4433-q1.yaml", hand.p001_q1),
                                          ("softmax-4433-q2.yaml", hand.p001_q2)])
def test_4433_network(name, derive):
    r, h = solved(name), derive()
    for i in range(3):
        close(r.layers[i].pre[0], h[f"z{i + 1}"])
        close(r.layers[i].act[0], h[f"h{i + 1}"])
        close(r.layers[i].delta[0], h[f"dL_dz{i + 1}"])
        close(r.layers[i].weights.grad, h[f"dL_dW{i + 1}"])
        close(r.layers[i].bias.grad, h[f"dL_db{i + 1}"])
        close(r.layers[i].weights.updated, h[f"W{i + 1}_new"])
        close(r.layers[i].bias.updated, h[f"b{i + 1}_new"])
    close(r.loss.value, h["loss"])


def test_dl_hw3_q1b_samples_as_columns():
    r, h = solved("dl-hw3-q1b.yaml"), hand.p002_q1b()
    close(r.layers[0].act.T, h["Yhat"])  # the sheet's columns are samples
    close(r.loss.value, h["L"])
    close(r.layers[0].weights.grad, h["dL_dW"])
    close(r.layers[0].weights.updated, h["W_new"])


@pytest.mark.parametrize("name, derive", [("dl-hw3-q2b.yaml", hand.p002_q2b),
                                          ("dl-hw3-q2-regression.yaml", hand.p002_q2_regression),
                                          ("dl-hw3-q2c.yaml", hand.p002_q2c)])
def test_dl_hw3_q2_chains(name, derive):
    r, h = solved(name), derive()
    close(r.layers[0].act[0, 0], h["s1"])
    close(r.layers[1].act[0, 0], h["s2"])
    close(r.layers[2].act[0, 0], h["yhat"])
    close(r.loss.value, h["L"])
    close(r.layers[2].grad_act[0, 0], h["dL_dyhat"])
    for i in range(3):
        close(r.layers[i].weights.grad[0, 0], h[f"dL_dw{i + 1}"])


def test_assignment4_q1_sparse_mixed_shared_bias():
    r, h = solved("assignment4-q1.yaml"), hand.p003_q1()
    hidden, output = r.layers
    close(hidden.pre[0], [h[f"a{j}"] for j in range(1, 5)])
    close(hidden.act[0], [h[f"h{j}"] for j in range(1, 5)])
    close(output.act[0], [h["yhat1"], h["yhat2"]])
    close(r.loss.value, h["L"])
    close(hidden.grad_act[0], [h[f"dL_dh{j}"] for j in range(1, 5)])
    close(hidden.delta[0], [h[f"dL_da{j}"] for j in range(1, 5)])
    for layer, suffix in ((hidden, "1"), (output, "2")):
        for (i, j) in zip(*np.nonzero(~np.isnan(layer.weights.value))):
            key = f"w{i + 1}{j + 1}_{suffix}"
            close(layer.weights.grad[i, j], h[f"dL_d{key}"])
            close(layer.weights.updated[i, j], h[f"{key}_new"])
    (b,) = r.shared
    close(b.grad, h["dL_dB"])
    close(b.updated, h["B_new"])


def test_exercise_7_1():
    r, h = solved("exercise-7-1.yaml"), hand.p004_ex71()
    hidden, output = r.layers
    close(hidden.pre[0], h["z1"])
    close(hidden.act[0], h["h"])
    close(output.pre[0], h["z2"])
    close(output.act[0], h["y"])
    close(r.loss.value, h["L"])
    close(output.grad_act[0], h["dL_dy"])
    close(output.delta[0], h["dL_dz2"])
    close(output.weights.grad, h["dL_dW2"])
    close(output.bias.grad, h["dL_db2"])
    close(hidden.grad_act[0], h["dL_dh"])
    close(hidden.delta[0], h["dL_dz1"])
    close(hidden.weights.grad, h["dL_dW1"])
    close(hidden.bias.grad, h["dL_db1"])
