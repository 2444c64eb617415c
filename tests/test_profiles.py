"""Convention profiles (``convention: NAME``): each example file's answers against values derived here
with NumPy in the book's own formulas (and its sign conventions against central differences), each
file passed by ``backprop check``, each profile's settings, overridden key by key, and unknown names."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from backprop_cli import ProblemError, loads, solve
from backprop_cli.cli import main
from backprop_cli.read.profiles import PROFILES
from conftest import PROBLEMS, ROOT, central_difference

EXAMPLES = PROBLEMS / "examples"


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


# -- the worked examples, derived by hand ---------------------------------------------------------------

def hagan():
    """Hagan & Demuth, Neural Network Design, ch. 11: F = e^T e, s^M = -2 F'(n^M) (t - a),
    s^m = F'(n^m) (W^(m+1))^T s^(m+1), W(k+1) = W(k) - α s (a^(m-1))^T."""
    p, t, alpha = np.array([1.0]), 1 + math.sin(math.pi / 4), 0.1
    W1, b1 = np.array([[-0.27], [-0.41]]), np.array([-0.48, -0.13])
    W2, b2 = np.array([[0.09, -0.17]]), np.array([0.48])

    def forward(shift1=np.zeros(2), shift2=np.zeros(1)):
        n1 = W1 @ p + b1 + shift1
        a1 = sigmoid(n1)
        n2 = W2 @ a1 + b2 + shift2
        return a1, n2  # purelin: a^2 = n^2

    a1, a2 = forward()
    e = t - a2
    s2 = -2 * 1.0 * e
    s1 = (1 - a1) * a1 * (W2.T @ s2)
    F = lambda a: float(np.sum((t - a) ** 2))  # noqa: E731
    np.testing.assert_allclose(central_difference(lambda d: F(forward(shift2=d)[1]), np.zeros(1)), s2, rtol=1e-7)
    np.testing.assert_allclose(central_difference(lambda d: F(forward(shift1=d)[1]), np.zeros(2)), s1, rtol=1e-6)
    return {"a^1": a1, "a^2": a2, "e": e, "s^2": s2, "s^1": s1,
            "W^2'": W2 - alpha * np.outer(s2, a1), "b^2'": b2 - alpha * s2,
            "W^1'": W1 - alpha * np.outer(s1, p), "b^1'": b1 - alpha * s1}


def learning_from_data():
    """Learning From Data, e-Chapter 7: s^(l) = (W^(l))^T x^(l-1) with x_0 = 1, x^(l) = tanh(s^(l)),
    e = (x^(L) - y)^2, δ^(L) = 2 (x^(L) - y) θ'(s^(L)), δ^(l) = θ'(s^(l)) ⊗ [W^(l+1) δ^(l+1)] without row 0,
    ∂e/∂W^(l) = x^(l-1) (δ^(l))^T."""
    y = 1.0
    W = [np.array([[0.1, 0.2], [0.3, 0.4]]), np.array([[0.2], [1.0], [-3.0]]), np.array([[1.0], [2.0]])]

    def forward(shifts=(0.0, 0.0, 0.0)):
        x, xs, ss = np.array([2.0]), [np.array([2.0])], []
        for Wl, shift in zip(W, shifts):
            s = Wl.T @ np.concatenate([[1.0], x]) + shift
            x = np.tanh(s)
            ss.append(s)
            xs.append(x)
        return ss, xs

    s, x = forward()
    d3 = 2 * (x[3] - y) * (1 - x[3] ** 2)
    d2 = (1 - x[2] ** 2) * (W[2][1:] @ d3)
    d1 = (1 - x[1] ** 2) * (W[1][1:] @ d2)
    e = lambda shifts: float(np.sum((forward(shifts)[1][3] - y) ** 2))  # noqa: E731
    for layer, delta in ((0, d1), (1, d2), (2, d3)):
        def shifted(d, layer=layer):
            shifts = [np.zeros(len(w.T)) for w in W]
            shifts[layer] = d
            return e(shifts)
        np.testing.assert_allclose(central_difference(shifted, np.zeros(len(delta))), delta, rtol=1e-6)
    return {"s^(1)": s[0], "x^(1)": x[1], "s^(2)": s[1], "x^(2)": x[2], "s^(3)": s[2], "x^(3)": x[3],
            "δ^(3)": d3, "δ^(2)": d2, "δ^(1)": d1, "∂e/∂W^(1)": np.outer(np.array([1.0, 2.0]), d1)}


def negnevitsky():
    """Negnevitsky, Artificial Intelligence, ch. 6: y = sigmoid(Σ x w - θ), e = y_d - y,
    δ = y (1 - y) e at the output, δ_j = y_j (1 - y_j) δ_k w_jk behind it, Δw = α y δ, Δθ = α (-1) δ."""
    x1 = x2 = 1.0
    yd, alpha = 0.0, 0.1
    w13, w14, w23, w24, w35, w45 = 0.5, 0.9, 0.4, 1.0, -1.2, 1.1
    t3, t4, t5 = 0.8, -0.1, 0.3

    def output(shift5=0.0):
        y3 = sigmoid(x1 * w13 + x2 * w23 - t3)
        y4 = sigmoid(x1 * w14 + x2 * w24 - t4)
        return y3, y4, sigmoid(y3 * w35 + y4 * w45 - t5 + shift5)

    y3, y4, y5 = output()
    e = yd - y5
    d5 = y5 * (1 - y5) * e
    d3 = y3 * (1 - y3) * d5 * w35
    d4 = y4 * (1 - y4) * d5 * w45
    E = lambda d: 0.5 * (yd - output(d[0])[2]) ** 2  # noqa: E731
    assert abs(-central_difference(E, np.zeros(1))[0] - d5) < 1e-9  # δ = −∂E/∂net for E = ½ e²
    return {"y3": y3, "y4": y4, "y5": y5, "e": e, "delta5": d5, "delta3": d3, "delta4": d4,
            "w13'": w13 + alpha * x1 * d3, "w23'": w23 + alpha * x2 * d3, "w14'": w14 + alpha * x1 * d4,
            "w24'": w24 + alpha * x2 * d4, "w35'": w35 + alpha * y3 * d5, "w45'": w45 + alpha * y4 * d5,
            "theta3'": t3 - alpha * d3, "theta4'": t4 - alpha * d4, "theta5'": t5 - alpha * d5}


def default():
    """z = W a + b, a = σ(z) then identity, L = (ŷ - y)^2, δ = ∂L/∂z, p ← p - η ∂L/∂p."""
    x, y, eta = np.array([0.5, -1.0]), 0.3, 0.1
    W1, b1 = np.array([[0.2, -0.3], [0.4, 0.1]]), np.array([0.1, -0.2])
    W2, b2 = np.array([[0.7, -0.5]]), np.array([0.05])
    z1 = W1 @ x + b1
    a1 = sigmoid(z1)
    y_hat = W2 @ a1 + b2
    d2 = 2 * (y_hat - y)
    d1 = a1 * (1 - a1) * (W2.T @ d2)
    return {"z^(1)": z1, "a^(1)": a1, "ŷ": y_hat, "L": np.sum((y_hat - y) ** 2), "δ^(2)": d2, "δ^(1)": d1,
            "dL/dw^(1)": np.outer(d1, x), "w^(2)'": W2 - eta * np.outer(d2, a1), "b^(1)'": b1 - eta * d1}


DERIVED = {"convention-sensitivity.yaml": hagan, "convention-lfd.yaml": learning_from_data,
           "convention-delta-rule.yaml": negnevitsky, "convention-default.yaml": default}


def written_answers(name: str) -> dict:
    """The file's expected: answers as the text written (YAML read without converting numbers)."""
    return yaml.load((EXAMPLES / name).read_text(encoding="utf-8"), Loader=yaml.BaseLoader)["expected"]


def flat(value) -> list[str]:
    return [text for item in value for text in flat(item)] if isinstance(value, list) else [value]


def test_every_profile_has_an_example():
    names = {yaml.safe_load((EXAMPLES / n).read_text(encoding="utf-8"))["convention"] for n in DERIVED}
    assert names == set(PROFILES)


@pytest.mark.parametrize("name", DERIVED)
def test_the_written_answers_are_the_derived_values_to_the_digits_written(name):
    derived, written = DERIVED[name](), written_answers(name)
    assert set(written) == set(derived)
    for address, value in written.items():
        texts = flat(value)
        exact = np.ravel(derived[address])
        assert len(texts) == len(exact), address
        for text, true in zip(texts, exact):
            decimals = len(text.split(".")[1]) if "." in text else 0
            assert abs(float(text) - true) <= 0.5 * 10.0 ** -decimals * (1 + 1e-9), (address, text, true)


@pytest.mark.parametrize("name", DERIVED)
def test_backprop_check_passes_each_example(name):
    result = CliRunner().invoke(main, ["check", str(EXAMPLES / name)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == f"{len(written_answers(name))} passed, 0 failed"


# -- each profile's settings ---------------------------------------------------------------------------

NETWORK = """\
network:
  inputs: 2
  layers:
    - {units: 1, activation: tanh, weights: WEIGHTS}
input: [[1, 2], [0.5, -1]]
target: [[1], [-1]]
"""
OUT_IN, IN_OUT, FOLDED_OUT_IN, FOLDED_IN_OUT = "[[0.1, 0.2]]", "[[0.1], [0.2]]", "[[0.3, 0.1, 0.2]]", \
    "[[0.3], [0.1], [0.2]]"

# profile: (pre, act, delta, loss symbols), δ's sign, orientation, stated, folded, (kind, factor, outputs, samples)
SETTINGS = {
    "default": (("z", "a", "δ", "L"), 1.0, "out_in", False, False, None),
    "delta-rule": (("net", "out", "δ", "E"), -1.0, "out_in", True, False, ("squared_error", 0.5, "sum", "sum")),
    "lfd": (("s", "x", "δ", "e"), 1.0, "in_out", True, True, ("squared_error", 1.0, "sum", "mean")),
    "sensitivity": (("n", "a", "s", "F"), 1.0, "out_in", True, False, ("squared_error", 1.0, "sum", "sum")),
}


def problem(text: str):
    return loads(text, "profile.yaml")


def described(p) -> tuple:
    n, net = p.notation, p.network
    return ((n.pre, n.act, n.delta, n.loss), n.delta_sign, net.orientation, net.orientation_stated,
            net.folded_bias, (p.loss.kind, p.loss.factor, p.loss.outputs, p.loss.samples))


@pytest.mark.parametrize("name", SETTINGS)
def test_each_profile_gives_its_settings(name):
    symbols, sign, orientation, stated, folded, loss = SETTINGS[name]
    weights = {("out_in", False): OUT_IN, ("in_out", False): IN_OUT, ("in_out", True): FOLDED_IN_OUT}
    text = f"convention: {name}\n" + NETWORK.replace("WEIGHTS", weights[orientation, folded])
    if loss is None:
        text += "loss: squared_error\n"
    p = problem(text)
    assert described(p) == (symbols, sign, orientation, stated, folded, loss or ("squared_error", 1.0, "sum", "sum"))
    assert p.convention == name
    assert set(SETTINGS) == set(PROFILES)


def test_the_readme_has_a_row_per_profile_with_its_settings():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name, (symbols, sign, orientation, _, folded, loss) in SETTINGS.items():
        row = next(line for line in readme.splitlines() if line.startswith(f"| `{name}` |"))
        assert ", ".join(symbols) in row and ("`-dL/dz`" if sign < 0 else "`dL/dz`") in row, row
        assert f"`orientation: {orientation}`" in row and f"`fold_bias: {str(folded).lower()}`" in row, row
        if loss is not None:
            assert "squared_error" in row and ("factor: 1/2" in row) == (loss[1] == 0.5), row
            assert ("samples: mean" in row) == (loss[3] == "mean"), row


def test_lfd_averages_the_loss_over_the_points():
    p = problem("convention: lfd\n" + NETWORK.replace("WEIGHTS", FOLDED_IN_OUT))
    x, y = np.array([[1, 2], [0.5, -1]]), np.array([1, -1])
    out = np.tanh(0.3 + x @ np.array([0.1, 0.2]))
    assert solve(p).loss.value == pytest.approx(np.mean((out - y) ** 2), rel=1e-12)


# -- overridden key by key -----------------------------------------------------------------------------

def lfd(extra: str = "", weights: str = FOLDED_IN_OUT, network: str = "") -> str:
    text = NETWORK.replace("WEIGHTS", weights).replace("  inputs: 2\n", "  inputs: 2\n" + network)
    return "convention: lfd\n" + extra + text


def test_an_explicit_orientation_is_kept_and_the_other_settings_stay():
    p = problem(lfd(weights=FOLDED_OUT_IN, network="  orientation: out_in\n"))
    assert described(p) == (("s", "x", "δ", "e"), 1.0, "out_in", True, True, ("squared_error", 1.0, "sum", "mean"))


def test_an_explicit_fold_bias_and_bias_are_kept():
    text = lfd(weights=IN_OUT, network="  fold_bias: false\n").replace("weights: [[0.1], [0.2]]",
                                                                           "weights: [[0.1], [0.2]], bias: 0.3")
    p = problem(text)
    assert not p.network.folded_bias and p.network.layers[0].bias is not None
    assert solve(p).loss.value == pytest.approx(solve(problem(lfd())).loss.value, rel=1e-12)


def test_a_notation_mapping_starts_from_the_profiles_and_a_preset_replaces_it():
    mapped = problem(lfd("notation: {activation: h}\n")).notation
    assert (mapped.pre, mapped.act, mapped.loss) == ("s", "h", "e")
    assert problem(lfd("notation: standard\n")).notation.pre == "z"


def test_loss_keys_override_one_by_one():
    assert problem(lfd("loss: {samples: sum}\n")).loss.samples == "sum"
    rule = "convention: delta-rule\n" + NETWORK.replace("WEIGHTS", OUT_IN).replace("[[1], [-1]]", "[[1], [0]]")
    assert (problem(rule + "loss: {factor: 1}\n").loss.factor, problem(rule).loss.factor) == (1.0, 0.5)
    assert problem(rule + "loss: {factor: 1}\n").loss.kind == "squared_error"
    # a kind named alone keeps the profile's factor and reductions: ½ Σ of the cross-entropy
    bce = problem(rule.replace("tanh", "sigmoid") + "loss: binary_cross_entropy\n").loss
    assert (bce.kind, bce.factor) == ("binary_cross_entropy", 0.5)


def test_an_explicit_delta_convention_is_kept():
    rule = "convention: delta-rule\nconventions: {delta: dL/dz}\n" + NETWORK.replace("WEIGHTS", OUT_IN)
    assert problem(rule).notation.delta_sign == 1.0


def test_the_convention_is_shown_by_run():
    text = lfd()
    result = CliRunner().invoke(main, ["run", "-", "--format", "json"], input=text)
    assert json.loads(result.stdout)["conventions"]["convention"] == "lfd"
    lines = CliRunner().invoke(main, ["run", "-", "--no-color"], input=text).stdout.splitlines()
    assert lines[1] == "convention: lfd"


# -- errors ----------------------------------------------------------------------------------------------

def errors(text: str) -> list[str]:
    with pytest.raises(ProblemError) as caught:
        problem(text)
    return [d.format() for d in caught.value.diagnostics]


def test_an_unknown_profile_is_one_positioned_line_with_the_names_and_a_hint():
    assert errors(lfd().replace("convention: lfd", "convention: lfdd")) == [
        "profile.yaml:1:13: error: convention: expected convention one of: default, delta-rule, lfd, sensitivity, "
        "found 'lfdd' (did you mean 'lfd'?)"]


def test_the_cli_reports_an_unknown_profile_with_exit_2():
    result = CliRunner().invoke(main, ["run", "-"], input=lfd().replace("convention: lfd", "convention: haykin"))
    assert result.exit_code == 2
    assert result.stderr == ("<stdin>:1:13: error: convention: expected convention one of: default, delta-rule, lfd, "
                             "sensitivity, found 'haykin'\n")


def test_loss_is_required_only_when_the_profile_gives_none():
    text = "convention: default\n" + NETWORK.replace("WEIGHTS", OUT_IN)
    missing = ["profile.yaml:1:1: error: expected a key 'loss', found none"]
    assert errors(text) == missing and errors(text.replace("convention: default\n", "")) == missing


def test_a_bias_under_a_profile_that_folds_it_says_where_the_folding_comes_from():
    text = lfd().replace("weights: [[0.3], [0.1], [0.2]]", "weights: [[0.3], [0.1], [0.2]], bias: 0.3")
    assert errors(text) == [
        "profile.yaml:5:74: error: network.layers[1].bias: expected no separate bias: network.fold_bias (the "
        "default of convention: lfd) puts the bias in the weights (fold_bias: false under network: keeps it "
        "separate)"]


def test_a_mapping_under_convention_points_to_conventions():
    assert errors(lfd().replace("convention: lfd", "convention: {delta: -dL/dz}")) == [
        "profile.yaml:1:13: error: convention: expected convention one of: default, delta-rule, lfd, sensitivity, "
        "found a mapping (conventions: {delta: ...}, with an s, sets the sign of δ alone)"]
