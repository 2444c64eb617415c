"""The factors a sheet writes between the usual quantities: g'(z), the weighted sum without the bias,
the residual and the target, against derivations that share no code with the tool."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from backprop_cli import loads, load, solve
from backprop_cli.checking.verdicts import check
from backprop_cli.read.addresses import AddressError
from backprop_cli.render.json import document
from backprop_cli.render.layout import build
from backprop_cli.render.text import render
from backprop_cli.solving.kinds import lookup, resolve
from conftest import PROBLEM_FILES, PROBLEMS

LAYERED = [path for path in PROBLEM_FILES if "graph:" not in path.read_text(encoding="utf-8")]


# -- the activations, written out here (not the tool's ops) ------------------------------------------------

def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


ACTIVATIONS = {
    "identity": lambda z: z,
    "sigmoid": _sigmoid,
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0.0),
    "leaky_relu": lambda z, slope=0.01: np.where(z > 0, z, slope * z),
    "softplus": lambda z: np.log1p(np.exp(z)),
    "elu": lambda z, alpha=1.0: np.where(z > 0, z, alpha * (np.exp(np.minimum(z, 0.0)) - 1.0)),
}
KINKED = {"relu", "leaky_relu", "elu"}
H = 1e-6


def differences(name: str, attrs: dict, z: np.ndarray) -> np.ndarray:
    """g'(z) by central differences; at a kink (z = 0) the left-hand difference, the project's choice."""
    f = lambda v: ACTIVATIONS[name](v, **attrs)  # noqa: E731
    central = (f(z + H) - f(z - H)) / (2 * H)
    left = (f(z) - f(z - H)) / H
    return np.where((np.abs(z) < H) & (name in KINKED), left, central)


def by_sample(rows: np.ndarray, problem) -> np.ndarray:
    """Rows of samples as an address names them (one sample's vector, or the file's layout)."""
    return rows[0] if len(rows) == 1 else rows if problem.samples_are == "rows" else rows.T


# -- every problem file ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", LAYERED, ids=lambda p: str(p.relative_to(PROBLEMS)))
def test_g_prime_is_the_derivative_of_the_activation_at_z(path):
    problem = load(str(path))
    result = solve(problem)
    for spec, layer in zip(problem.network.layers, result.layers):
        if spec.activations[0].name == "softmax":
            assert np.isnan(layer.g_prime).all()
            continue
        for j, activation in enumerate(spec.activations * (layer.units if len(spec.activations) == 1 else 1)):
            expected = differences(activation.name, dict(activation.attrs), layer.pre[:, j])
            np.testing.assert_allclose(layer.g_prime[:, j], expected, rtol=1e-6, atol=1e-8)
        whole = lookup(resolve(f"g'({problem.notation.pre}^({layer.index}))", problem), result)
        np.testing.assert_array_equal(whole, by_sample(layer.g_prime, problem))


def _used(entries, problem) -> np.ndarray:
    """A weight matrix or bias vector as the file gives it: shared names filled in, 0 where absent."""
    values = np.array(entries.values, dtype=float, copy=True)
    shared = {p.name: p.value for p in problem.shared}
    for position, name in entries.shared.items():
        values[position] = shared[name]
    if entries.absent is not None:
        values[entries.absent] = 0.0
    return values


@pytest.mark.parametrize("path", LAYERED, ids=lambda p: str(p.relative_to(PROBLEMS)))
def test_the_weighted_sum_is_z_without_the_bias(path):
    problem = load(str(path))
    result = solve(problem)
    worked = result.problem  # the first step's samples
    network = problem.network
    inputs = worked.inputs
    for spec, layer in zip(network.layers, result.layers):
        weights = _used(spec.weights, problem)
        bias = np.zeros(layer.units) if spec.bias is None else spec.bias_sign * _used(spec.bias, problem)
        if network.folded_bias:
            bias = weights[:, 0] if network.orientation == "out_in" else weights[0, :]
            weights = weights[:, 1:] if network.orientation == "out_in" else weights[1:, :]
        product = inputs @ (weights.T if network.orientation == "out_in" else weights)
        np.testing.assert_allclose(layer.weighted, product, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(layer.weighted, layer.pre - bias, rtol=1e-9, atol=1e-12)
        inputs = layer.act
        address = resolve(f"(W a)^({layer.index})", problem)
        np.testing.assert_array_equal(lookup(address, result), by_sample(layer.weighted, problem))


@pytest.mark.parametrize("path", LAYERED, ids=lambda p: str(p.relative_to(PROBLEMS)))
def test_the_residual_is_the_target_minus_the_output(path):
    problem = load(str(path))
    result = solve(problem)
    expected = result.problem.targets - result.layers[-1].act
    np.testing.assert_array_equal(lookup(resolve("residual", problem), result), by_sample(expected, problem))
    np.testing.assert_array_equal(lookup(resolve("target", problem), result),
                                  by_sample(result.problem.targets, problem))


# -- a small problem worked by hand --------------------------------------------------------------------------

NET = """
network:
  orientation: out_in
  inputs: 2
  layers:
    - {units: 2, activation: relu, weights: [[0.5, -0.4], [0.3, 0.9]], bias: [0.2, -0.1]}
    - {units: 2, activation: sigmoid, weights: [[1.1, -0.6], [0.4, 0.7]], bias: [0.05, -0.3]}
input: [1.0, 2.0]
target: [1, 0]
loss: {kind: squared_error, factor: 1/2}
"""


def _by_hand() -> dict[str, float | list[float]]:
    """The new quantities of NET, worked in plain NumPy."""
    x, t = np.array([1.0, 2.0]), np.array([1.0, 0.0])
    w1, b1 = np.array([[0.5, -0.4], [0.3, 0.9]]), np.array([0.2, -0.1])
    w2, b2 = np.array([[1.1, -0.6], [0.4, 0.7]]), np.array([0.05, -0.3])
    s1 = w1 @ x  # [-0.3, 2.1]
    z1 = s1 + b1
    a1 = np.maximum(z1, 0.0)
    s2 = w2 @ a1
    a2 = 1 / (1 + np.exp(-(s2 + b2)))
    return {"(W a)^(1)_1": s1[0], "(W x)^(1)": list(s1), "Wa^(2)_2": s2[1], "relu'(z^(1)_1)": 0.0,
            "g'(z^(1)_2)": 1.0, "σ'(z^(2)_1)": a2[0] * (1 - a2[0]), "g'(z^(2))": list(a2 * (1 - a2)),
            "e_1": t[0] - a2[0], "e": list(t - a2), "residual_2": t[1] - a2[1], "y_1": 1.0, "t_2": 0.0,
            "dL/da^(2)_1": a2[0] - t[0]}


def _written(value) -> str:
    return f"[{', '.join(f'{v:.6f}' for v in value)}]" if isinstance(value, list) else f"{value:.6f}"


def _shifted(value):
    return [v + 0.1 for v in value] if isinstance(value, list) else value + 0.1


@pytest.mark.parametrize("address", list(_by_hand()))
def test_check_passes_the_right_value_and_fails_a_wrong_one(address):
    value = _by_hand()[address]
    right = check(loads(NET + f"expected:\n  {address}: {_written(value)}\n"))
    wrong = check(loads(NET + f"expected:\n  {address}: {_written(_shifted(value))}\n"))
    assert (right.passed, right.failed) == (1, 0)
    assert (wrong.passed, wrong.failed) == (0, 1)


@pytest.mark.parametrize("text, kind, layer, index", [
    ("g'(z^(1)_2)", "g_prime", 1, (1,)), ("σ'(z^(2))", "g_prime", 2, None), ("sigmoid'(z^(2)_1)", "g_prime", 2, (0,)),
    ("sigma'(z^(output)_2)", "g_prime", 2, (1,)), ("relu'(z^(1)_1)", "g_prime", 1, (0,)),
    ("f'( z^(1)_1 )", "g_prime", 1, (0,)), ("(W a)^(2)_1", "weighted", 2, (0,)), ("(Wa)^(1)", "weighted", 1, None),
    ("(W x)^(1)_2", "weighted", 1, (1,)), ("Wa^(2)_2", "weighted", 2, (1,)), ("(W^T a)^(2)_1", "weighted", 2, (0,)),
    ("e_2", "residual", 2, (1,)), ("e", "residual", 2, None), ("residual_1", "residual", 2, (0,)),
    ("y_1", "target", 2, (0,)), ("t", "target", 2, None), ("dL/da^(2)_1", "grad_act", 2, (0,)),
])
def test_the_new_addresses_parse(text, kind, layer, index):
    problem = loads(NET.replace("{units: 2, activation: sigmoid", "{name: output, units: 2, activation: sigmoid"))
    address = resolve(text, problem)
    assert (address.kind, address.layer, address.index) == (kind, layer, index)


def test_samples_are_indexed_like_every_other_quantity():
    problem = loads(NET.replace("input: [1.0, 2.0]", "input: [[1.0, 2.0], [0.5, -1.0]]")
                    .replace("target: [1, 0]", "target: [[1, 0], [0, 1]]"))
    result = solve(problem)
    a2 = result.layers[-1].act
    assert lookup(resolve("e_{2,1}", problem), result) == 0 - a2[1, 0]
    assert lookup(resolve("e_21", problem), result) == 0 - a2[1, 0]
    assert lookup(resolve("y_{2,2}", problem), result) == 1
    assert lookup(resolve("σ'(z^(2)_{2,1})", problem), result) == pytest.approx(a2[1, 0] * (1 - a2[1, 0]))


@pytest.mark.parametrize("text, words", [
    ("tanh'(z^(2)_1)", "expected g' or sigmoid' for layer 2 (sigmoid), found tanh'"),
    ("g'(a^(2)_1)", "expected a pre-activation inside g'(...)"),
    ("dL/d(W a)^(2)_1", "its gradient is the delta's"),
    ("(W a)^(0)_1", "expected a layer from 1 to 2"),
    ("dL/de_1", "the residual has no gradient and no update"),
    ("y_3", "for 'y_3', found '_3'"),
])
def test_addresses_that_name_nothing_say_why(text, words):
    with pytest.raises(AddressError) as raised:
        resolve(text, loads(NET))
    assert words in str(raised.value)


SOFTMAX = """
network:
  inputs: 2
  layers:
    - {units: 2, activation: tanh, weights: [[0.5, -0.4], [0.3, 0.9]]}
    - {units: 3, activation: softmax, weights: [[1.1, -0.6], [0.4, 0.7], [0.2, 0.1]]}
input: [1.0, 2.0]
target: [0, 1, 0]
loss: {kind: categorical_cross_entropy}
"""


def test_g_prime_of_a_softmax_layer_is_refused_with_the_reason():
    problem = loads(SOFTMAX)
    with pytest.raises(AddressError) as raised:
        resolve("g'(z^(2)_1)", problem)
    message = str(raised.value)
    assert message == ("expected an elementwise activation in 'g'(z^(2)_1)', found softmax in layer 2: its "
                       "derivative is not one factor per unit (each output depends on every z); check δ or "
                       "dL/da there instead")
    assert "\n" not in message
    report = check(loads(SOFTMAX + "expected:\n  g'(z^(2)): [0.1, 0.2, 0.3]\n  tanh'(z^(1)_1): 0.5\n"))
    (unreadable,) = report.unreadable
    assert "softmax" in unreadable.reason and report.failed == 2  # the wrong tanh' is still judged
    result = solve(problem)
    a1 = np.tanh(np.array([[0.5, -0.4], [0.3, 0.9]]) @ [1.0, 2.0])
    assert lookup(resolve("tanh'(z^(1)_1)", problem), result) == pytest.approx(1 - a1[0] ** 2)


def test_where_e_is_the_loss_the_residual_is_written_residual():
    problem = loads(NET.replace("network:", "notation: lfd\nnetwork:", 1))
    with pytest.raises(AddressError) as raised:
        resolve("e_1", problem)
    assert "residual_1" in str(raised.value) and "e is the loss" in str(raised.value)
    assert resolve("e", problem).kind == "loss"
    assert resolve("residual_1", problem).kind == "residual"
    assert resolve("g'(s^(2)_1)", problem).kind == "g_prime"
    renamed = loads(NET.replace("network:", "notation: {preset: lfd, residual: r}\nnetwork:", 1))
    assert resolve("r_1", renamed).kind == "residual"


def test_a_unit_of_a_mixed_layer_names_its_own_activation():
    problem = load(str(PROBLEMS / "examples" / "activations.yaml"))
    assert resolve("tanh'(z^(1)_4)", problem).kind == "g_prime"
    assert resolve("leaky_relu'(z^(1)_1)", problem).kind == "g_prime"
    assert resolve("g'(z^(1))", problem).kind == "g_prime"
    with pytest.raises(AddressError, match="found tanh'"):
        resolve("tanh'(z^(1)_3)", problem)
    with pytest.raises(AddressError, match="expected g' for layer 1"):
        resolve("tanh'(z^(1))", problem)


# -- diagnoses: the new quantities are judged like the others -----------------------------------------------

def _verdict(address: str, value) -> object:
    (only,) = check(loads(NET + f"expected:\n  {address}: {_written(value)}\n")).verdicts
    return only


def test_usual_mistakes_are_named_for_the_new_quantities():
    a1 = np.maximum(np.array([[0.5, -0.4], [0.3, 0.9]]) @ [1.0, 2.0] + [0.2, -0.1], 0.0)  # [0, 2]
    a2 = _sigmoid(np.array([[1.1, -0.6], [0.4, 0.7]]) @ a1 + [0.05, -0.3])
    at_a = _sigmoid(a2[0]) * (1 - _sigmoid(a2[0]))
    assert _verdict("σ'(z^(2)_1)", a2[0]).mistake == "activation for derivative"
    assert _verdict("σ'(z^(2)_1)", at_a).mistake == "derivative at activation"
    assert _verdict("(W a)^(2)", list(np.array([[1.1, -0.6], [0.4, 0.7]]) @ a1 + [0.05, -0.3])).mistake \
        == "quantity mix-up"  # z written, the bias added
    assert _verdict("e_1", a2[0] - 1).mistake == "sign"


def test_g_prime_follows_from_the_students_own_activation():
    problem = loads(NET + "expected:\n  a^(2)_1: 0.6\n  σ'(z^(2)_1): 0.24\n")
    first, second = check(problem).verdicts
    assert first.status == "wrong"
    assert second.status == "follows" and "a^(2)_1" in second.reason


# -- what run shows ---------------------------------------------------------------------------------------------

def test_json_carries_the_new_quantities():
    problem = loads(NET)
    result = solve(problem)
    doc = document(result)
    hand = _by_hand()
    hidden, output = doc["layers"]
    assert hidden["weighted_sum"] == [pytest.approx(hand["(W x)^(1)"])]
    assert hidden["activation_derivative"] == [[0.0, 1.0]]
    assert output["activation_derivative"] == [pytest.approx(hand["g'(z^(2))"])]
    assert doc["residual"] == [pytest.approx(hand["e"])]
    assert doc["conventions"]["notation"]["residual"] == "e"
    softmax = document(solve(loads(SOFTMAX)))
    assert softmax["layers"][1]["activation_derivative"] == [[None, None, None]]


def test_the_tables_show_g_prime_and_the_weighted_sum():
    text = render(build(solve(loads(NET))))
    assert "relu'(z^(1)_j)" in text and "σ'(z^(2)_j)" in text and "(W a)^(2)_j" in text
    assert "e = y − ŷ = [" in text  # under the squared error
    softmax = render(build(solve(loads(SOFTMAX))))
    assert "(W a)" not in softmax  # no bias: W a is z itself
    output = softmax.split("layer 2")[1].split("loss")[0]
    assert "g'(z^(2)_j)" in output and output.count("—") == 3


# -- the example file ---------------------------------------------------------------------------------------------

def _factors_by_hand() -> dict[str, float | list[float]]:
    """problems/examples/factors.yaml worked in plain NumPy (its numbers copied here)."""
    x = np.array([[1.0, 2.0], [0.5, -1.0]])
    t = np.array([[0.5], [-0.2]])
    w1, b1 = np.array([[0.4, -0.3], [0.2, 0.8]]), np.array([0.1, -0.2])
    w2, b2 = np.array([[1.2, -0.7]]), np.array([0.3])
    s1 = x @ w1.T
    a1 = _sigmoid(s1 + b1)
    s2 = a1 @ w2.T
    a2 = np.tanh(s2 + b2)
    return {"(W a)^(1)_{1,2}": s1[0, 1], "z^(1)_{1,2}": s1[0, 1] + b1[1],
            "σ'(z^(1)_{1,2})": a1[0, 1] * (1 - a1[0, 1]), "(W a)^(2)": list(s2[:, 0]),
            "g'(z^(2))": list(1 - a2[:, 0] ** 2), "tanh'(z^(2)_{2,1})": 1 - a2[1, 0] ** 2, "y_{2,1}": t[1, 0],
            "e_{1,1}": t[0, 0] - a2[0, 0], "e": list(t[:, 0] - a2[:, 0]), "dL/da^(2)_{2,1}": a2[1, 0] - t[1, 0]}


def test_the_example_file_answers_are_the_independent_derivation():
    path = PROBLEMS / "examples" / "factors.yaml"
    written = yaml.safe_load(path.read_text(encoding="utf-8"))["expected"]
    hand = _factors_by_hand()
    assert list(written) == list(hand)
    for address, value in hand.items():
        np.testing.assert_allclose(written[address], value, rtol=5e-6, atol=1e-12, err_msg=address)
    report = check(load(str(path)))
    assert (report.passed, report.failed) == (len(hand), 0)
    kinds = {v.answer.address.kind for v in report.verdicts}
    assert {"weighted", "g_prime", "residual", "target", "grad_act"} <= kinds
