"""Answers written as formulas: equivalence decided by simplification or at random points, and wrong
formulas diagnosed only by a mistake that reproduces them."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

import backprop_cli as bp
from backprop_cli.cli import main

pytest.importorskip("sympy")

GRAPH = """
title: f = tanh(x1/x2) + sigmoid(x1), in formulas
graph:
  inputs: {x1: symbol, x2: symbol}
  nodes:
    h1: x1 / x2
    y: tanh(h1) + sigmoid(x1)
  output: y
expected:
"""


def _verdict(address: str, written: str):
    report = bp.check(bp.loads(GRAPH + f"  {address}: {written!r}\n"))
    assert not report.unreadable, [u.reason for u in report.unreadable]
    (verdict,) = report.verdicts
    return verdict


@pytest.mark.parametrize("address, written", [
    ("dL/dx1", "(1 - tanh(x1/x2)**2)/x2 + sigmoid(x1)*(1 - sigmoid(x1))"),
    ("dL/dx1", "(1 - tanh(x1/x2)^2)/x2 + σ(x1)(1 − σ(x1))"),  # as sheets write it
    ("dL/dx1", "sigmoid'(x1) + tanh'(x1/x2)/x2"),  # the derivatives by name
    ("dL/dx1", "1/(x2*cosh(x1/x2)**2) + exp(-x1)/(1 + exp(-x1))**2"),  # another form altogether
    ("dL/dx2", "-x1 (1 - tanh(x1/x2)**2) / x2**2"),
    ("y", "tanh(x1/x2) + 1/(1 + e**(-x1))"),
    ("h1", "x1/x2"),
])
def test_equal_formulas_pass(address, written):
    verdict = _verdict(address, written)
    assert verdict.status == "correct", verdict.reason
    assert verdict.reason.startswith(("equal: simplification", "equal at 12 random points"))


def test_equal_only_after_simplification_and_apart_from_a_point():
    """(x² − 1)/(x − 1) is x + 1 except at x = 1: equal as formulas."""
    problem = bp.loads("graph: {inputs: {x: symbol}, nodes: {y: x**2 + x}, output: y}\n"
                       "expected: {dL/dx: '(4*x**2 - 1)/(2*x - 1) + 0'}\n")
    (verdict,) = bp.check(problem).verdicts
    assert verdict.status == "correct", verdict.reason


@pytest.mark.parametrize("address, written, mistake, words", [
    ("dL/dx1", "(1 - tanh(x1/x2)^2)/x2", "term left out", "left out"),  # the seed sheet's slip
    ("dL/dx2", "x1 (1 - tanh(x1/x2)**2) / x2**2", "sign", "sign flipped"),
    ("dL/dh1", "2 (1 - tanh(x1/x2)**2)", "factor", "factor 2"),
    ("dL/dx1", "(1 - tanh(x1/x2)**2)/x2 + 2 σ(x1)(1 − σ(x1))", "term added", "counted twice"),
    ("y", "tanh(x1/x2) + sigmoid(x2)", "", "not explained"),
])
def test_wrong_formulas_are_diagnosed_only_when_the_mistake_reproduces_them(address, written, mistake, words):
    verdict = _verdict(address, written)
    assert verdict.status == "wrong" and verdict.mistake == mistake and words in verdict.reason
    assert "yours gives" in verdict.reason  # a point where the two differ, to see it for oneself


def test_a_number_for_a_formula_and_an_unreadable_formula():
    problem = bp.loads(GRAPH + "  y: 3\n  dL/dx1: 'x1 +* 2'\n")
    report = bp.check(problem)
    assert [v.status for v in report.verdicts] == ["wrong"]
    (bad,) = report.unreadable
    assert bad.line == 11 and "syntax error" in bad.reason


def test_check_on_the_command_line(tmp_path):
    """Node names stand for their formulas in an answer (h1 for x1/x2), as sheets write them."""
    import json
    path = tmp_path / "sheet.yaml"
    path.write_text(GRAPH + "  dL/dx2: '-x1 (1 - tanh(x1/x2)**2) / x2**2'\n  dL/dh1: '2 (1 - tanh(h1)**2)'\n",
                    encoding="utf-8")
    done = CliRunner().invoke(main, ["check", str(path), "--format", "json"])
    assert done.exit_code == 1
    answers = json.loads(done.output)["files"][0]["answers"]
    assert [a["verdict"] for a in answers] == ["correct", "wrong"] and answers[1]["mistake"] == "factor"
    assert answers[0]["correct"] == "(x1*tanh(x1/x2)**2 - x1)/x2**2"
    path.write_text(GRAPH + "  dL/dh1: '1 - tanh(q)**2'\n", encoding="utf-8")
    unreadable = CliRunner().invoke(main, ["check", str(path)])
    assert unreadable.exit_code == 2 and "'q'" in unreadable.output


def test_a_factor_written_wrong_is_named():
    """The seed sheet's ∂L/∂w1 for ŷ = w3 σ(w2 σ(w1 x)): the last factor written w1 where it is x."""
    problem = bp.loads("""
graph:
  inputs: {x: symbol, y: symbol}
  params: {w1: symbol, w2: symbol, w3: symbol}
  nodes: {s1: sigmoid(w1 * x), s2: sigmoid(w2 * s1), yhat: w3 * s2, L: (y - yhat)**2}
  output: L
expected:
  dL/dw2: "-2 (y - yhat) w3 σ'(w2 s1) s1"
  dL/dw1: "-2 (y - yhat) w3 σ'(w2 s1) w2 σ'(w1 x) w1"
""")
    right, wrong = bp.check(problem).verdicts
    assert right.status == "correct"
    assert wrong.mistake == "factor swapped" and "has the factor x, yours has w1" in wrong.reason


def test_the_sheets_symbolic_answers():
    """problems/seeds: each wrong formula of the sheets flagged with the mistake that reproduces it;
    problems/keys: the corrected formulas pass."""
    from conftest import PROBLEMS, SYMBOLIC_FILES
    seeds = {p.name: p for p in SYMBOLIC_FILES if p.parent.name == "seeds"}
    keys = [p for p in SYMBOLIC_FILES if p.parent.name == "keys"]
    assert len(seeds) == len(keys) >= 3
    for key in keys:
        report = bp.check(bp.load(str(key)))
        assert report.failed == 0 and report.passed >= 1, key.name
    wrong = {}
    for name, path in seeds.items():
        for verdict in bp.check(bp.load(str(path))).verdicts:
            if not verdict.passed:
                wrong[name, verdict.answer.address.text] = verdict.mistake
    assert wrong == {("assignment4-q2-symbolic.yaml", "dL/dx1"): "term left out",
                     ("dl-hw3-q2-regression-symbolic.yaml", "dL/dw1"): "factor swapped",
                     ("dl-hw3-q2b-symbolic.yaml", "dL/dw1"): "factor swapped",
                     ("ece421-hw6-q2e-symbolic.yaml", "dL/dx3"): ""}  # 2γ for 2Δ: no usual mistake gives it
    assert (PROBLEMS / "keys" / "assignment4-q2-symbolic.yaml").exists()


def test_a_symbolic_upstream_gradient_and_vectors_of_symbols():
    """dL/dx through x0 · x[perm] in terms of d0..d4, worked by hand: dF_i/dx_0 and dF_i/dx_perm(i)."""
    problem = bp.loads("""
graph:
  inputs: {x: [x0, x1, x2, x3, x4]}
  nodes: {F: "x[0] * x[[2, 4, 3, 0, 1]]"}
  output: F
upstream: [d0, d1, d2, d3, d4]
expected:
  dL/dx[0]: "d0 x2 + d1 x4 + d2 x3 + 2 d3 x0 + d4 x1"
  dL/dx: "[d0 x2 + d1 x4 + d2 x3 + 2 d3 x0 + d4 x1, d4 x0, d0 x0, d2 x0, d1 x0]"
  dL/dx[1]: "d1 x0"
""")
    first, whole, wrong = bp.check(problem).verdicts
    assert first.status == whole.status == "correct"
    assert wrong.status == "wrong" and "yours has d1" in wrong.reason


MATRICES = """
graph:
  inputs:
    W: [[w11, w12, w13], [w21, w22, w23]]
    X: [[x11, x12], [x21, x22], [x31, x32]]
    G: [[g11, g12], [g21, g22]]
  nodes: {P: W @ X, L: sum(G * P)}
  output: L
expected:
"""


@pytest.mark.parametrize("written, status, words", [
    ("G @ transpose(X)", "correct", "equal"),  # ∂L/∂W = ∂L/∂P Xᵀ, entry by entry
    ("X @ transpose(G)", "wrong", "transpose of the correct matrix"),
    ("transpose(X) @ G", "wrong", "shapes fit in the product, found 2×3 and 2×2"),
    ("G @ X", "wrong", "found 2×2 and 3×2"),
])
def test_a_matrix_identity_on_matrices_of_symbols(written, status, words):
    (verdict,) = bp.check(bp.loads(MATRICES + f"  dL/dW: {written}\n")).verdicts
    assert verdict.status == status and words in verdict.reason


@pytest.mark.parametrize("address, written, status", [
    # σ'(z) = e^-z / (1 + e^-z)²: σ'' = 0 only at z = 0, where σ' = 1/4; σ' → 0 as z → ±∞ and is positive.
    ("max g", "1/4", "correct"), ("max g", "0.25", "correct"), ("max g", "1/2", "wrong"),
    ("argmax g", "0", "correct"), ("range g", "'(0, 1/4]'", "correct"), ("range g", "'[0, 1/4]'", "wrong"),
    ("min g", "0", "wrong"),  # never attained: 0 is the infimum
    ("inf g", "0", "correct"),
    # σ(z) itself has no critical point: its supremum 1 is approached, never reached.
    ("sup s", "1", "correct"), ("max s", "1", "wrong"), ("range s", "'(0, 1)'", "correct"),
])
def test_questions_about_a_function_of_one_variable(address, written, status):
    problem = bp.loads("graph: {inputs: {z: symbol}, nodes: {s: sigmoid(z), g: s * (1 - s)}, output: g}\n"
                       f"expected: {{{address}: {written}}}\n")
    (verdict,) = bp.check(problem).verdicts
    assert verdict.status == status, verdict.reason


def test_a_property_needs_one_symbol_and_a_known_name():
    report = bp.check(bp.loads("graph: {inputs: {z: symbol}, nodes: {g: z**2}, output: g}\n"
                               "expected: {maxx g: 1, max h: 1}\n"))
    reasons = " ".join(u.reason for u in report.unreadable)
    assert "did you mean 'max'" in reasons and "expected a node name after 'max', found 'h'" in reasons


@pytest.mark.parametrize("written, words", [
    ("σ(w x) · x", "the derivative of sigmoid in y taken as sigmoid itself"),  # σ for σ'
    ("x", "the derivative of sigmoid in y left out"),
    ("(1 - tanh(w x)^2) · x", "the derivative of tanh used for that of sigmoid in y"),
])
def test_a_derivative_taken_wrong_is_named_by_replaying_it(written, words):
    """y = σ(w x): dy/dw = σ'(w x) x, and each wrong derivative of σ worked in by hand above."""
    problem = bp.loads("graph: {inputs: {x: symbol}, params: {w: symbol}, nodes: {y: sigmoid(w * x)}, output: y}\n"
                       f"expected: {{dL/dw: '{written}'}}\n")
    (verdict,) = bp.check(problem).verdicts
    assert verdict.status == "wrong" and verdict.mistake == "derivative" and words in verdict.reason
