"""Diagnoses a student can trust: each mistake worked out by hand here, in plain NumPy, in one layer and
from the student's own values; rounding kept per kind of quantity; no cause named that does not
reproduce the value written."""

from __future__ import annotations

import numpy as np
import pytest

from backprop_cli import check, loads

NET = """
network:
  inputs: 2
  layers:
    - {name: hidden, units: 2, activation: sigmoid, weights: [[0.15, 0.20], [0.25, 0.30]], bias: [0.35, 0.35]}
    - {name: output, units: 2, activation: sigmoid, weights: [[0.40, 0.45], [0.50, 0.55]], bias: [0.60, 0.60]}
input: [0.05, 0.10]
target: [0.01, 0.99]
loss: {kind: squared_error, factor: 1/2}
train: {learning_rate: 0.5}
"""
W1, B1 = np.array([[0.15, 0.20], [0.25, 0.30]]), np.array([0.35, 0.35])
W2, B2 = np.array([[0.40, 0.45], [0.50, 0.55]]), np.array([0.60, 0.60])
X, Y, RATE = np.array([0.05, 0.10]), np.array([0.01, 0.99]), 0.5


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def by_hand(places: dict[str, int] | None = None, dropped_in: int | None = None) -> dict[str, np.ndarray]:
    """The 2-2-2 example worked by hand: each kind of quantity rounded to its own decimals (``places``),
    the activation's derivative left out in one layer (``dropped_in``)."""
    places = places or {}

    def r(kind, value):
        return np.round(value, places[kind]) if kind in places else value
    z1 = r("pre", W1 @ X + B1)
    a1 = r("act", sigmoid(z1))
    z2 = r("pre", W2 @ a1 + B2)
    a2 = r("act", sigmoid(z2))
    da2 = r("grad_act", a2 - Y)
    d2 = r("delta", da2 if dropped_in == 2 else da2 * a2 * (1 - a2))
    da1 = r("grad_act", W2.T @ d2)
    d1 = r("delta", da1 if dropped_in == 1 else da1 * a1 * (1 - a1))
    gw1, gw2 = r("weights_grad", np.outer(d1, X)), r("weights_grad", np.outer(d2, a1))
    return {"z^(1)": z1, "a^(1)": a1, "z^(2)": z2, "a^(2)": a2, "δ^(2)": d2, "δ^(1)": d1,
            "dL/dw^(1)": gw1, "dL/dw^(2)": gw2, "w^(2)'": r("weights_updated", W2 - RATE * gw2),
            "b^(2)'": B2 - RATE * d2}


def written(value, places: int) -> str:
    value = np.asarray(value, dtype=float)
    if value.ndim == 0:
        return f"{float(value):.{places}f}"
    return "[" + ", ".join(written(v, places) for v in value) + "]"


def verdicts(answers: dict[str, str], extra: str = "") -> dict:
    problem = loads(NET + extra + "expected:\n" + "".join(f"  {a}: {v}\n" for a, v in answers.items()))
    return {v.answer.address.text: v for v in check(problem).verdicts}


def test_rounding_kept_per_kind_of_quantity_is_drift_in_one_replay():
    """Activations to 3 decimals, errors and gradients to 5: the rounded activations are never written,
    yet the gradients that used them are recognised as that rounding."""
    places = {"pre": 3, "act": 3, "grad_act": 5, "delta": 5, "weights_grad": 5}
    hand = by_hand(places)
    exact = by_hand()
    answers = {"a^(2)": written(hand["a^(2)"], 3), "δ^(2)": written(hand["δ^(2)"], 5),
               "dL/dw^(2)": written(hand["dL/dw^(2)"], 5), "dL/dw^(1)": written(hand["dL/dw^(1)"], 5)}
    assert abs(hand["dL/dw^(2)"] - exact["dL/dw^(2)"]).max() > 1e-5  # the rounding shows at 5 decimals
    found = verdicts(answers)
    assert all(v.passed for v in found.values()), {a: v.reason for a, v in found.items()}
    assert "each quantity is rounded to the decimals written for it" in found["dL/dw^(2)"].reason


def test_an_explicit_tolerance_bounds_rounding_drift():
    hand = by_hand({"pre": 2, "act": 2, "grad_act": 2, "delta": 2, "weights_grad": 2})
    found = verdicts({"a^(2)": written(hand["a^(2)"], 2), "dL/dw^(2)": written(hand["dL/dw^(2)"], 2)},
                     "check: {abs: 0.0001}\n")
    for verdict in found.values():
        assert (verdict.status, verdict.mistake) == ("wrong", "rounding"), verdict.reason
        assert "further from the correct value than the tolerance allows" in verdict.reason


@pytest.mark.parametrize("layer", [1, 2])
def test_the_derivative_dropped_in_one_layer_is_named_with_its_layer(layer):
    hand, exact = by_hand(dropped_in=layer), by_hand()
    answers = {"δ^(2)": written(hand["δ^(2)"], 6), "δ^(1)": written(hand["δ^(1)"], 6)}
    found = verdicts(answers)
    first = found[f"δ^({layer})"]
    assert (first.status, first.mistake) == ("wrong", "derivative dropped"), first.reason
    assert f"in layer {layer}" in first.reason
    if layer == 2:  # the hidden delta, worked from the student's own output delta, follows from it
        assert found["δ^(1)"].status == "follows"
    assert not np.allclose(hand["δ^(1)"], exact["δ^(1)"])


def test_a_derivative_dropped_in_an_unwritten_delta_is_found_through_the_gradient():
    hand = by_hand(dropped_in=1)
    found = verdicts({"δ^(2)": written(hand["δ^(2)"], 6), "dL/dw^(1)": written(hand["dL/dw^(1)"], 6)})
    assert found["dL/dw^(1)"].mistake == "derivative dropped", found["dL/dw^(1)"].reason


def test_the_bias_not_updated():
    found = verdicts({"b^(2)'": written(B2, 2)})
    assert found["b^(2)'"].mistake == "bias not updated", found["b^(2)'"].reason


def test_digits_transposed_and_one_digit_wrong():
    value = f"{by_hand()['δ^(2)'][0]:.5f}"  # 0.13850
    swapped = value[:3] + value[4] + value[3] + value[5:]
    found = verdicts({"δ^(2)_1": swapped})
    assert found["δ^(2)_1"].mistake == "digits transposed"
    assert f"{swapped} written for {value}" in found["δ^(2)_1"].reason
    slipped = value[:4] + str((int(value[4]) + 3) % 10) + value[5:]
    assert verdicts({"δ^(2)_1": slipped})["δ^(2)_1"].mistake == "digit slip"


def test_a_near_factor_is_not_named_as_the_cause():
    """2.46 times the right value is not 'off by a factor 2': the closest mistake is only mentioned."""
    found = verdicts({"δ^(2)_1": written(2.46 * by_hand()["δ^(2)"][0], 6)})["δ^(2)_1"]
    assert (found.status, found.mistake) == ("wrong", "")
    assert found.reason.startswith("not explained by a usual mistake") and "closest: off by a factor 2" in found.reason


def test_no_stale_weights_reason_for_the_output_layer():
    """An output delta can never be explained by deltas sent through updated weights."""
    hand = by_hand()
    for factor in (0.8, 0.9, 1.1, 1.3):
        reason = verdicts({"δ^(2)": written(factor * hand["δ^(2)"], 6)})["δ^(2)"].reason
        assert "updated weights" not in reason


def test_transposed_non_square_gradient():
    problem = loads(NET.replace("inputs: 2", "inputs: 3").replace("[[0.15, 0.20], [0.25, 0.30]]",
                                                                   "[[0.15, 0.20, 0.1], [0.25, 0.30, 0.2]]")
                    .replace("input: [0.05, 0.10]", "input: [0.05, 0.10, 0.2]"))
    from backprop_cli import solve
    gradient = solve(problem).layers[0].weights.grad  # 2 x 3
    text = written(gradient.T, 6)
    problem = loads(NET.replace("inputs: 2", "inputs: 3").replace("[[0.15, 0.20], [0.25, 0.30]]",
                                                                   "[[0.15, 0.20, 0.1], [0.25, 0.30, 0.2]]")
                    .replace("input: [0.05, 0.10]", "input: [0.05, 0.10, 0.2]") + f"expected:\n  dL/dw^(1): {text}\n")
    assert not problem.unreadable
    (verdict,) = check(problem).verdicts
    assert (verdict.status, verdict.mistake) == ("wrong", "transposed"), verdict.reason


def test_a_derivative_mistake_at_one_activation_of_a_graph():
    """f = sigmoid(w x + b) with a squared error: the gradient in w worked without σ', by hand."""
    x, w, b, t = 1.5, 0.8, -0.2, 1.0
    a = sigmoid(w * x + b)
    without = (a - t) * x  # dL/dw with σ'(z) left out
    graph = f"""
graph:
  inputs: {{x: {x}}}
  params: {{w: {w}, b: {b}}}
  nodes:
    z: w * x + b
    f: sigmoid(z)
  output: f
target: {t}
loss: {{kind: squared_error, factor: 1/2}}
expected:
  dL/dw: {without:.6f}
"""
    (verdict,) = check(loads(graph)).verdicts
    assert (verdict.status, verdict.mistake) == ("wrong", "derivative dropped"), verdict.reason
    assert "at node f" in verdict.reason


def test_drift_and_follows_carry_the_value_they_were_compared_with():
    hand = by_hand({"pre": 2, "act": 2, "grad_act": 2, "delta": 2, "weights_grad": 2})
    found = verdicts({"a^(2)": written(hand["a^(2)"], 4), "z^(1)_1": "0.40", "a^(1)_1": written(sigmoid(0.40), 4)})
    drift, follows = found["a^(2)"], found["a^(1)_1"]
    assert drift.status == "drift" and np.allclose(drift.hand, hand["a^(2)"]) and drift.mistake == ""
    assert follows.status == "follows" and np.isclose(follows.hand, sigmoid(0.40)) and follows.mistake == ""


ADAM = NET.replace("train: {learning_rate: 0.5}", "train: {learning_rate: 0.01, optimizer: {name: adam, betas: [0.8, 0.99]}}")


def adam_first_step(eps_inside=False, bias_correction=True, betas=(0.8, 0.99), t=1, eps=1e-8):
    """Adam's first step on W^(2), worked by hand, with one setting as a sheet may have got it."""
    g = np.outer(by_hand()["δ^(2)"], by_hand()["a^(1)"])
    m, v = (1 - betas[0]) * g, (1 - betas[1]) * g * g
    if bias_correction:
        m, v = m / (1 - betas[0] ** t), v / (1 - betas[1] ** t)
    root = np.sqrt(v + eps) if eps_inside else np.sqrt(v) + eps
    return W2 - 0.01 * m / root, m, v


@pytest.mark.parametrize("slip, mistake", [
    ({"bias_correction": False}, "no bias correction"),
    ({"t": 2}, "timestep off by one"),
])
def test_adam_slips_are_named(slip, mistake):
    updated, m, v = adam_first_step(**slip)
    problem = loads(ADAM + "expected:\n" + f"  w^(2)': {written(updated, 9)}\n  v_hat[w^(2)]: {written(v, 12)}\n")
    found = {v.answer.address.text: v for v in check(problem).verdicts}
    assert found["w^(2)'"].mistake == mistake, found["w^(2)'"].reason
    assert found["v_hat[w^(2)]"].mistake in (mistake, ""), found["v_hat[w^(2)]"].reason


def test_betas_swapped_are_named_in_the_moments():
    """At the first step the bias correction hides the betas in w' (m̂ = g, v̂ = g²): m itself shows them."""
    g = np.outer(by_hand()["δ^(2)"], by_hand()["a^(1)"])
    problem = loads(ADAM + f"expected:\n  m[w^(2)]: {written((1 - 0.99) * g, 10)}\n")
    (verdict,) = check(problem).verdicts
    assert verdict.mistake == "betas swapped", verdict.reason


def test_epsilon_inside_the_root_is_named():
    updated, _, _ = adam_first_step(eps_inside=True, eps=1e-3)
    problem = loads(ADAM.replace("betas: [0.8, 0.99]}", "betas: [0.8, 0.99], eps: 0.001}")
                    + f"expected:\n  w^(2)': {written(updated, 9)}\n")
    (verdict,) = check(problem).verdicts
    assert verdict.mistake == "eps inside", verdict.reason


def test_the_other_momentum_form_is_named_for_the_velocity():
    g = np.outer(by_hand()["δ^(2)"], by_hand()["a^(1)"])
    classical_v = -0.5 * g  # v ← μ·0 − η g, where PyTorch's form keeps v = g
    problem = loads(NET.replace("train: {learning_rate: 0.5}",
                                "train: {learning_rate: 0.5, optimizer: {name: sgd, momentum: 0.9}}")
                    + f"expected:\n  v[w^(2)]: {written(classical_v, 8)}\n")
    (verdict,) = check(problem).verdicts
    assert verdict.mistake == "momentum form", verdict.reason


def test_another_learning_rate_is_named_for_adam_too():
    """Every optimizer's first step is a multiple of η: Adam's with η = 1 moves each weight by about 1."""
    updated, _, _ = adam_first_step()
    with_one = W2 - (W2 - updated) / 0.01
    problem = loads(ADAM + f"expected:\n  w^(2)': {written(with_one, 7)}\n")
    (verdict,) = check(problem).verdicts
    assert verdict.mistake == "learning rate" and "left out" in verdict.reason, verdict.reason


NEGATIVE_DELTA = NET.replace("network:", "conventions: {delta: -dL/dz}\nnetwork:")


def test_a_sheet_whose_delta_is_minus_the_gradient_is_checked_in_its_own_convention():
    hand = by_hand()
    found = verdicts({"δ^(2)": written(-hand["δ^(2)"], 6), "dL/dz^(1)": written(hand["δ^(1)"], 6),
                      "dL/dw^(2)": written(hand["dL/dw^(2)"], 6)}, "conventions: {delta: -dL/dz}\n")
    assert all(v.status == "correct" for v in found.values()), {a: v.reason for a, v in found.items()}
    from backprop_cli.render.layered import build
    from backprop_cli import solve
    report = build(solve(loads(NEGATIVE_DELTA)))
    assert "δ^(2)_j = −∂L/∂z^(2)_j" in report.tables[2].columns
    assert float(report.tables[2].rows[0][-1]) == pytest.approx(-hand["δ^(2)"][0], rel=1e-5)


@pytest.mark.parametrize("extra, convention", [("", "δ = −∂L/∂z"), ("conventions: {delta: -dL/dz}\n", "δ = ∂L/∂z")])
def test_deltas_in_the_other_convention_are_named(extra, convention):
    hand = by_hand()
    value = hand["δ^(2)"] if extra else -hand["δ^(2)"]
    verdict = verdicts({"δ^(2)": written(value, 6)}, extra)["δ^(2)"]
    assert verdict.mistake == "sign" and f"follow the {convention} convention" in verdict.reason, verdict.reason


def test_a_convention_that_is_not_one_is_refused():
    with pytest.raises(Exception) as error:
        loads(NET.replace("network:", "conventions: {delta: dL/da}\nnetwork:"))
    assert "expected dL/dz or -dL/dz" in str(error.value)
