"""backprop check: tolerances, verdicts, and a constructed wrong answer for every diagnosis."""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from click.testing import CliRunner

from backprop_cli import cli, loads, solve
from backprop_cli.read.addresses import AddressError
from backprop_cli.solving.kinds import lookup, resolve
from backprop_cli.checking.verdicts import check
from backprop_cli.read.answers import written_decimals
from conftest import PROBLEMS

NET = """
network:
  inputs: 2
  layers:
    - {name: hidden, units: 3, activation: tanh, weights: [[0.1, 0.4], [-0.2, 0.5], [0.3, -0.6]], bias: [0.1, 0.2, 0.3]}
    - {name: output, units: 3, activation: sigmoid, weights: [[0.7, 0.2, 0.1], [0.5, -0.3, 0.4], [0.2, 0.6, -0.9]], bias: [0.1, 0.2, -0.1]}
input: [0.5, 0.2]
target: [1, 0, 1]
loss: {kind: binary_cross_entropy}
train: {learning_rate: 0.1}
"""
BATCH = """
network:
  inputs: 1
  layers:
    - {units: 3, activation: identity, weights: [[0.5], [-0.25], [1.5]], bias: 0.1}
input: [[1], [2], [-1]]
target: [[0, 1, 0], [1, 0, 0], [0, 0, 1]]
loss: {kind: squared_error, outputs: mean, samples: mean}
train: {learning_rate: 0.5}
"""


def text(value) -> str:
    """An answer written to 6 decimals, as a YAML flow value."""
    value = np.asarray(value, dtype=float)
    if value.ndim == 0:
        return f"{float(value):.6f}"
    return "[" + ", ".join(text(v) for v in value) + "]"


def verdict(base: str, address: str, value, extra: str = ""):
    """The verdict on one answer written into the base problem."""
    problem = loads(base + extra + f"expected:\n  {address}: {value if isinstance(value, str) else text(value)}\n")
    (only,) = check(problem).verdicts
    return only


def exact(base: str, address: str) -> np.ndarray:
    problem = loads(base)
    return lookup(resolve(address, problem), solve(problem))


# -- tolerance and verdicts --------------------------------------------------------------------------------

@pytest.mark.parametrize("raw, decimals", [("0.60", 2), ("4", 0), ("-1.855", 3), ("1.5e-3", 4), ("2E2", -2)])
def test_decimals_are_read_from_the_text_as_written(raw, decimals):
    assert written_decimals(raw) == decimals


def test_written_decimals_set_the_tolerance():
    value = float(exact(NET, "a^(2)_1"))
    assert abs(round(value, 2) - value) > 5e-4  # so that a third decimal 0 makes a difference
    assert verdict(NET, "a^(2)_1", f"{value:.2f}").status == "correct"  # within ±0.005
    assert verdict(NET, "a^(2)_1", f"{round(value, 2) + 0.01:.2f}").status == "wrong"
    assert verdict(NET, "a^(2)_1", f"{value:.2f}0").status == "wrong"  # 3 decimals: within ±0.0005 only


def test_explicit_tolerances_override_the_written_decimals():
    value = float(exact(NET, "a^(2)_1"))
    assert verdict(NET, "a^(2)_1", f"{{value: {value + 0.02:.4f}, abs: 0.05}}").status == "correct"
    assert verdict(NET, "a^(2)_1", f"{{value: {value * 1.01:.6f}, rel: 0.02}}").status == "correct"
    assert verdict(NET, "a^(2)_1", f"{value + 0.02:.6f}", "check: {abs: 0.05}\n").status == "correct"


def test_a_missing_connection_is_written_null():
    base = NET.replace("[[0.1, 0.4], [-0.2, 0.5]", "[[0.1, null], [-0.2, 0.5]")
    value = exact(base, "w^(1)")
    assert verdict(base, "w^(1)", "[[0.1, null], [-0.2, 0.5], [0.3, -0.6]]").status == "correct"
    assert np.isnan(value[0, 1])


def test_rounding_drift_is_recognised_and_passes():
    text = ("network: {inputs: 1, layers: [{units: 1, activation: tanh, weights: 0.37},"
            " {units: 1, weights: 1.3}]}\ninput: 0.5\ntarget: 0\nloss: squared_error\n")
    # by hand, rounding every step to 2 decimals: z1 = 0.18, a1 = tanh(0.18) = 0.18, z2 = 1.3 · 0.18 = 0.23,
    # dL/dz2 = 2 · 0.23 = 0.46, dL/dw2 = 0.46 · 0.18 = 0.0828 -> 0.08; exactly it is 0.08699 -> 0.09
    a1 = round(math.tanh(round(0.37 * 0.5, 2)), 2)
    hand = round(round(2 * round(1.3 * a1, 2), 2) * a1, 2)
    assert hand == 0.08 and round(float(exact(text, "dL/dw^(2)_11")), 2) == 0.09
    result = verdict(text, "dL/dw^(2)_11", "0.08", "check: {round: 2}\n")
    assert result.status == "drift" and result.passed and "2 decimals" in result.reason


def test_an_answer_that_follows_from_an_earlier_wrong_one_is_marked_so():
    wrong_a = exact(NET, "a^(1)") + np.array([0.1, 0.0, 0.0])
    z = float(np.dot([0.7, 0.2, 0.1], wrong_a) + 0.1)  # z^(2)_1 from the written a^(1), by hand
    problem = loads(NET + f"expected:\n  a^(1): {text(wrong_a)}\n  z^(2)_1: {z:.6f}\n")
    first, second = check(problem).verdicts
    assert first.status == "wrong"
    assert second.status == "follows" and "a^(1)" in second.reason and not second.passed


# -- one constructed wrong answer per diagnosis -------------------------------------------------------------

def _diagnosis(base: str, address: str, value) -> str:
    result = verdict(base, address, value)
    assert result.status == "wrong", result.reason
    return result.reason


def test_sign_flipped():
    assert _diagnosis(NET, "dL/dw^(2)_11", -exact(NET, "dL/dw^(2)_11")) == "sign flipped"


def test_truncation_instead_of_rounding():
    value = float(exact(NET, "a^(2)_1"))
    places = next(d for d in range(2, 9) if round(value, d) != math.trunc(value * 10 ** d) / 10 ** d)
    truncated = math.trunc(value * 10 ** places) / 10 ** places
    assert _diagnosis(NET, "a^(2)_1", f"{truncated:.{places}f}") == "truncated instead of rounded"


@pytest.mark.parametrize("factor, words", [(2, "factor 2"), (0.5, "factor 1/2")])
def test_off_by_a_factor_two(factor, words):
    assert words in _diagnosis(NET, "dL/dz^(2)", factor * exact(NET, "dL/dz^(2)"))


@pytest.mark.parametrize("factor, words", [(3, "factor 3: sum and mean over the samples"),
                                           (1 / 3, "factor 1/3: sum and mean over the samples")])
def test_sum_and_mean_confused(factor, words):
    reason = _diagnosis(BATCH, "dL/dw^(1)", factor * exact(BATCH, "dL/dw^(1)"))
    assert words in reason or words.replace("samples", "outputs") in reason


def test_transposed_matrix_and_element():
    assert _diagnosis(NET, "w^(2)'", exact(NET, "w^(2)'").T) == "transposed"
    assert "row and column swapped" in _diagnosis(NET, "dL/dw^(2)_12", exact(NET, "dL/dw^(2)_21"))


def test_gradient_ascent():
    before, grad = exact(NET, "w^(1)_21"), exact(NET, "dL/dw^(1)_21")
    assert "gradient ascent" in _diagnosis(NET, "w^(1)_21'", before + 0.1 * grad)


def test_another_learning_rate():
    before, grad = exact(NET, "w^(2)"), exact(NET, "dL/dw^(2)")
    assert "learning rate 0.5 used instead of 0.1" in _diagnosis(NET, "w^(2)'", before - 0.5 * grad)


def test_index_and_layer_mix_ups():
    assert "element (3)" in _diagnosis(NET, "z^(2)_1", exact(NET, "z^(2)_3"))
    assert "layer 1" in _diagnosis(NET, "z^(2)_2", exact(NET, "z^(1)_2"))


def test_log_base_10():
    assert "log base 10" in _diagnosis(NET, "L", exact(NET, "L") / math.log(10))


def test_derivative_at_the_activation_instead_of_the_pre_activation():
    """Worked by hand with every derivative taken the wrong way, as a student would throughout."""
    result = solve(loads(NET))
    hidden, output = result.layers
    a1, z1, a2, z2 = hidden.act[0], hidden.pre[0], output.act[0], output.pre[0]
    y = np.array([1.0, 0.0, 1.0])
    dl_da2 = (a2 - y) / (a2 * (1 - a2))

    def sigmoid(v):
        return 1 / (1 + np.exp(-v))

    delta2 = dl_da2 * sigmoid(a2) * (1 - sigmoid(a2))  # σ' evaluated at a
    at_a = (output.weights.value.T @ delta2) * (1 - np.tanh(a1) ** 2)
    assert "at the activation" in _diagnosis(NET, "dL/dz^(1)", at_a)
    delta2 = dl_da2 * z2 * (1 - z2)  # the formula a(1 - a) fed z
    at_z = (output.weights.value.T @ delta2) * (1 - z1 ** 2)
    assert "evaluated at z" in _diagnosis(NET, "dL/dz^(1)", at_z)


def test_hidden_deltas_through_already_updated_weights():
    result = solve(loads(NET))
    w2_new, delta2 = result.layers[1].weights.updated, result.layers[1].delta[0]
    a1 = result.layers[0].act[0]
    delta1 = (w2_new.T @ delta2) * (1 - a1 ** 2)  # by hand, with the updated W^(2)
    assert "already-updated weights" in _diagnosis(NET, "dL/dz^(1)", delta1)


def test_a_path_through_one_output_left_out():
    result = solve(loads(NET))
    w2, delta2, a1 = result.layers[1].weights.value, result.layers[1].delta[0], result.layers[0].act[0]
    kept = np.array([1.0, 1.0, 0.0])  # output 3's path left out
    delta1 = (w2.T @ (delta2 * kept)) * (1 - a1 ** 2)
    assert "output 3 left out" in _diagnosis(NET, "dL/dz^(1)", delta1)


def test_a_slip_no_usual_mistake_reproduces_is_not_given_a_cause():
    """Any wrong product can be blamed on some factor; such a reason is never offered as the cause."""
    result = solve(loads(NET))
    upstream, delta, a = result.layers[1].grad_act[0, 0], result.layers[1].delta[0, 0], result.layers[0].act[0, 1]
    slipped = upstream * (delta / upstream) * (a * 1.2)  # the input a^(1)_2 misread
    reason = _diagnosis(NET, "dL/dw^(2)_12", slipped)
    assert reason.startswith("not explained by a usual mistake") and "g'(" not in reason


def test_nothing_usual_is_said_when_nothing_fits():
    assert _diagnosis(NET, "z^(1)_1", "123.5") == "not explained by a usual mistake"


# -- addresses ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("address, message", [
    ("q^(1)", "expected a quantity"),
    ("z^(7)", "expected a layer from 1 to 2"),
    ("z^(hiden)", "did you mean"),
    ("w^(1)_45", "expected indices from (1, 1) to (3, 2)"),
    ("dL/dδ^(1)", "expected a value"),
    ("z^(1)@5", "expected a step from 0 to 1"),
])
def test_bad_addresses_say_what_was_expected(address, message):
    problem = loads(NET)
    with pytest.raises(AddressError) as error:
        resolve(address, problem)
    assert message in str(error.value) + error.value.hint


def test_addresses_follow_the_notation_and_the_file_layout():
    lfd = loads(NET.replace("network:", "notation: lfd\nnetwork:"))
    assert resolve("s^(1)_2", lfd).kind == "pre" and resolve("x^(2)", lfd).kind == "act"
    assert resolve("de/dw^(2)_11", lfd).kind == "weights_grad"
    assert resolve("x^(0)", lfd).kind == "input"
    assert resolve("ŷ", lfd).layer == 2 and resolve("y_hat", lfd).layer == 2


def test_an_answer_that_cannot_be_read_is_an_error_for_that_answer_only():
    problem = loads(NET + "expected:\n  z^(1): [1, 2]\n  w^(9)_11: 1\n  L: 1000\n", "p.yaml")
    assert [d.format() for bad in problem.unreadable for d in bad.diagnostics] == [
        "p.yaml:12:10: error: expected.z^(1): expected 3 values, found a list of 2",
        "p.yaml:13:3: error: expected.w^(9)_11: expected a layer from 1 to 2, found 9",
    ]
    report = check(problem)
    assert [v.answer.address.text for v in report.verdicts] == ["L"]
    assert report.verdicts[0].status == "wrong"
    assert [getattr(e, "text", None) or e.answer.address.text for e in report.in_written_order()] == \
        ["z^(1)", "w^(9)_11", "L"]
    assert (report.passed, report.failed) == (0, 3)


def test_check_names_what_it_did_not_check_and_exits_2_on_unreadable_answers(tmp_path):
    _write(tmp_path, "a.yaml", NET + "expected:\n  z^(9): 1\n  L: 1000\n")
    _write(tmp_path, "b.yaml", NET)
    _write(tmp_path, "c.yaml", "network: [\n")
    result = CliRunner().invoke(cli.main, ["check", str(tmp_path)])
    assert result.exit_code == 2
    assert f"{tmp_path / 'a.yaml'}:12:3: error: expected.z^(9): expected a layer from 1 to 2, found 9" \
        in result.stderr
    assert "z^(9)   1        —        —    ✗ unreadable\n" in result.stdout
    assert "\n  z^(9)  expected a layer from 1 to 2, found 9\n" in result.stdout
    assert f"files not checked\n{tmp_path / 'b.yaml'}: skipped (no expected: section)\n" \
        f"{tmp_path / 'c.yaml'}: invalid (see the errors above)\n" in result.stdout
    assert result.stdout.endswith("0 passed, 2 failed (1 unreadable), 1 skipped, 1 invalid\n")


@pytest.mark.parametrize("files", [{}, {"b.yaml": NET}])
def test_nothing_to_check_is_exit_2_with_a_message(tmp_path, files):
    for name, body in files.items():
        _write(tmp_path, name, body)
    result = CliRunner().invoke(cli.main, ["check", str(tmp_path)])
    assert result.exit_code == 2
    why = "no file has an expected: section" if files else "no YAML files found"
    assert result.stderr == f"backprop: nothing to check: {why}\n"


# -- command line -------------------------------------------------------------------------------------------

def _write(folder, name, body):
    path = folder / name
    path.write_text(body)
    return path


def test_check_exit_codes_closing_line_junit_and_json(tmp_path):
    right = float(exact(NET, "a^(2)_1"))
    _write(tmp_path, "good.yaml", NET + f"expected:\n  a^(2)_1: {right:.4f}\n")
    _write(tmp_path, "bad.yaml", NET + f"expected:\n  a^(2)_1: {-right:.4f}\n  L: 1000\n")
    _write(tmp_path, "none.yml", NET)
    runner = CliRunner()
    result = runner.invoke(cli.main, ["check", str(tmp_path / "good.yaml")])
    assert result.exit_code == 0 and result.stdout.endswith("1 passed, 0 failed\n")

    junit = tmp_path / "report.xml"
    result = runner.invoke(cli.main, ["check", str(tmp_path), "--junit", str(junit)])
    assert result.exit_code == 1
    assert result.stdout.endswith("1 passed, 2 failed, 1 skipped\n")
    assert "✗ wrong" in result.stdout and "sign flipped" in result.stdout
    suites = ET.parse(junit).getroot()
    assert (suites.get("tests"), suites.get("failures"), suites.get("skipped")) == ("4", "2", "1")

    doc = json.loads(runner.invoke(cli.main, ["check", str(tmp_path / "*.yaml"), "--format", "json"]).stdout)
    assert doc["schema"] == "backprop-cli/check" and (doc["passed"], doc["failed"]) == (1, 2)
    answers = {a["answer"]: a for f in doc["files"] for a in f["answers"]}
    assert answers["L"]["correct"] == solve(loads(NET)).loss.value


def test_check_reports_invalid_files_and_exits_2(tmp_path):
    _write(tmp_path, "broken.yaml", NET + "expected:\n  q^(1): 1\n")
    result = CliRunner().invoke(cli.main, ["check", str(tmp_path), str(tmp_path / "nothing*.yaml")])
    assert result.exit_code == 2
    assert "broken.yaml:12:3: error: expected.q^(1): expected a quantity" in result.stderr
    assert "nothing*.yaml:1:1: error: expected a file, folder or glob that matches, found nothing" in result.stderr


def test_names_with_underscores_and_the_input_symbol_can_be_addressed():
    problem = loads(NET.replace("bias: [0.1, 0.2, 0.3]}", "bias: {shared: 0.1}}"))
    assert resolve("bias_hidden", problem).kind == "shared"
    assert resolve("dL/dbias_hidden", problem).kind == "shared_grad"
    assert resolve("x^(0)", problem).kind == "input" and resolve("x_2", problem).index == (1,)
    g = loads(graph_text := "graph:\n  inputs: {a_1: [1, 2]}\n  nodes: {h_2: sum(a_1 * a_1)}\n")
    assert resolve("a_1", g).kind == "input" and resolve("a_1_2", g).index == (1,)
    assert resolve("dL/da_1", g).kind == "input_grad" and resolve("h_2", g).kind == "node"
    assert graph_text


def test_an_unwritable_junit_file_is_an_input_error(tmp_path):
    _write(tmp_path, "good.yaml", NET + "expected:\n  L: 1\n")
    result = CliRunner().invoke(cli.main, ["check", str(tmp_path), "--junit", str(tmp_path / "no" / "r.xml")])
    assert result.exit_code == 2
    assert result.stderr.endswith("r.xml:1:1: error: --junit: expected a file that can be written, found: "
                                  "No such file or directory\n")


def test_an_internal_error_in_one_file_does_not_stop_the_others(tmp_path, monkeypatch):
    _write(tmp_path, "a.yaml", NET + "expected:\n  L: 1\n")
    _write(tmp_path, "b.yaml", NET.replace("0.5, 0.2", "0.5, 0.3") + "expected:\n  L: 1\n")
    import backprop_cli.checking.batch as batch
    real = batch.check

    def flaky(problem, rounding=None):
        if problem.inputs[0, 1] == 0.3:
            raise RuntimeError("boom")
        return real(problem, rounding)
    monkeypatch.setattr(batch, "check", flaky)
    result = CliRunner().invoke(cli.main, ["check", str(tmp_path)])
    assert result.exit_code == 2
    assert "b.yaml:1:1: error: internal error: RuntimeError: boom" in result.stderr
    assert result.stdout.endswith("0 passed, 1 failed, 1 invalid\n")


def test_a_term_left_out_of_a_sum():
    result = solve(loads(NET))
    w2, b2, a1 = result.layers[1].weights.value, result.layers[1].bias.value, result.layers[0].act[0]
    z = w2[1] @ a1 + b2[1] - w2[1, 2] * a1[2]  # z^(2)_2 by hand without its third term
    assert "term left out of the sum for z^(2)_2: the one with w^(2)_23" in _diagnosis(NET, "z^(2)_2", z)


def test_a_term_left_out_of_a_graph_node():
    text = ("graph:\n  inputs: {x: 2}\n  params: {w: 3}\n  nodes:\n    h: w * x + x * x + w\n    y: h * h\n")
    # dL/dw = 2h (x + 1) with h = 6 + 4 + 3 = 13; without the x * x term, h = 9: 2 · 9 · 3 = 54, by hand
    reason = verdict(text, "dL/dw", "54").reason
    assert reason == "a term left out of h = w * x + x * x + w: x * x"


def test_round_on_the_command_line_overrides_the_file(tmp_path):
    text = ("network: {inputs: 1, layers: [{units: 1, activation: tanh, weights: 0.37},"
            " {units: 1, weights: 1.3}]}\ninput: 0.5\ntarget: 0\nloss: squared_error\n"
            "check: {round: 6}\nexpected:\n  dL/dw^(2)_11: 0.08\n")
    path = _write(tmp_path, "p.yaml", text)
    assert CliRunner().invoke(cli.main, ["check", str(path), "--round", "2"]).exit_code == 0
    assert CliRunner().invoke(cli.main, ["check", str(path)]).exit_code == 1


def test_per_sample_answers_follow_the_file_layout():
    """Ŷ = W X with the samples as columns, worked by hand: [[1.5, 1.1], [1.2, 0]]."""
    base = (PROBLEMS / "seeds" / "dl-hw3-q1b.yaml").read_text(encoding="utf-8").split("expected:")[0]
    answers = "expected:\n  a^(1): [[1.5, 1.1], [1.2, 0.0]]\n  z^(1)_{1,2}: 1.1\n  a^(1)_21: 1.2\n"
    verdicts = check(loads(base + answers)).verdicts
    assert [v.status for v in verdicts] == ["correct"] * 3
    transposed = check(loads(base + "expected:\n  a^(1): [[1.5, 1.2], [1.1, 0.0]]\n")).verdicts[0]
    assert transposed.status == "wrong" and transposed.reason == "transposed"
