"""The symbolic interpreter: every problem made symbolic (each trainable entry a symbol) gives formulas
that agree with the numeric engine at random points, values and gradients."""

from __future__ import annotations

import numpy as np
import pytest

import backprop_cli as bp
from backprop_cli.engine.tape import Interpreter
from backprop_cli.solving.kinds import kind_of
from conftest import PROBLEM_FILES, ROOT

sympy = pytest.importorskip("sympy")
from backprop_cli.engine.symbolic import Symbolic, SymbolicError, simplified, symbols_for  # noqa: E402

MOST_SYMBOLS = 60  # problems with more trainable entries are left to the numeric tests (formulas grow)


def _made_symbolic(path):
    problem = bp.load(str(path))
    program = kind_of(problem).parts().record(problem)
    tape = program.tape
    size = sum(tape.values[slot].size for slot in tape.parameters)
    if size > MOST_SYMBOLS:
        pytest.skip(f"{size} trainable entries")
    leaves = {slot: symbols_for(f"p{slot}", tape.values[slot].shape) for slot in tape.parameters}
    return tape, program.objective, leaves


@pytest.mark.parametrize("path", PROBLEM_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_formulas_agree_with_the_engine_at_random_points(path):
    tape, root, leaves = _made_symbolic(path)
    try:
        values, grads = Symbolic(tape).run(root, leaves)
    except SymbolicError:
        pytest.skip("an op without a formula")
    generator = np.random.default_rng(7)
    for _ in range(2):
        point = {slot: generator.normal(0.0, 0.7, tape.values[slot].shape) for slot in leaves}
        binding = {symbol: sympy.Float(float(value)) for slot in leaves
                   for symbol, value in zip(leaves[slot].ravel(), point[slot].ravel())}
        numbers, numeric_grads = Interpreter(tape).run(root, {s: v.copy() for s, v in point.items()})
        assert np.isclose(float(values[root].item().xreplace(binding)), float(numbers[root]), rtol=1e-9, atol=1e-12)
        for slot in leaves:
            found = np.zeros(point[slot].shape, dtype=object) if grads[slot] is None else grads[slot]
            formula = np.vectorize(lambda e: float(sympy.sympify(e).xreplace(binding)), otypes=[float])(found)
            expected = np.zeros_like(point[slot]) if numeric_grads[slot] is None else numeric_grads[slot]
            assert np.allclose(formula, expected, rtol=1e-8, atol=1e-11), (slot, formula, expected)


def test_a_sheet_gradient_as_a_formula():
    """f = tanh(x1/x2) + σ(x1): the partial derivatives as written by hand."""
    problem = bp.load(str(ROOT / "problems" / "keys" / "assignment4-q2.yaml"))
    program = kind_of(problem).parts().record(problem)
    leaves = {program.names[n]: symbols_for(n, ()) for n in problem.inputs}
    values, grads = Symbolic(program.tape).run(program.objective, leaves)
    x1, x2 = sympy.symbols("x1 x2", real=True)
    s = 1 / (1 + sympy.exp(-x1))
    by_hand = {"x1": (1 - sympy.tanh(x1 / x2) ** 2) / x2 + s * (1 - s), "x2": -(1 - sympy.tanh(x1 / x2) ** 2) * x1 / x2 ** 2}
    for name, expected in by_hand.items():
        found = grads[program.names[name]].item()
        assert sympy.simplify((found - expected).rewrite(sympy.exp)) == 0
        assert sympy.simplify((simplified(found) - expected).rewrite(sympy.exp)) == 0
    assert sympy.simplify((values[program.objective].item() - (sympy.tanh(x1 / x2) + s)).rewrite(sympy.exp)) == 0


def test_numeric_problems_never_import_sympy():
    import subprocess
    import sys
    code = ("import sys, backprop_cli as bp; from backprop_cli.explaining import explain; "
            f"r = bp.solve(bp.load({str(ROOT / 'problems' / 'mazur.yaml')!r})); bp.check(r.problem); explain(r); "
            "print('sympy' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


SHEET = """
title: f = tanh(x1/x2) + sigmoid(x1), in formulas
graph:
  inputs: {x1: symbol, x2: symbol}
  params: {w: 0.5}
  nodes:
    h1: x1 / x2
    y: tanh(h1) + sigmoid(w * x1)
  output: y
"""


def test_a_file_with_symbols_is_worked_in_formulas():
    result = bp.solve(bp.loads(SHEET))
    assert result.symbolic and result.problem.symbols == ("x1", "x2")
    x1, x2 = sympy.symbols("x1 x2", real=True)
    s = 1 / (1 + sympy.exp(-x1 / 2))
    by_hand = {"y": sympy.tanh(x1 / x2) + s, "x1": (1 - sympy.tanh(x1 / x2) ** 2) / x2 + s * (1 - s) / 2,
               "x2": -(1 - sympy.tanh(x1 / x2) ** 2) * x1 / x2 ** 2, "w": x1 * s * (1 - s)}
    found = {"y": result.values["y"], **{name: result.grads[name] for name in ("x1", "x2", "w")}}
    for name, expected in by_hand.items():
        assert sympy.simplify((found[name] - expected).rewrite(sympy.exp)) == 0, name
    assert result.values["w"] == sympy.Rational(1, 2)  # the file's numbers stay exact


def test_run_prints_formulas_and_other_commands_refuse_symbols(tmp_path):
    import json

    from click.testing import CliRunner

    from backprop_cli.cli import main
    path = tmp_path / "sheet.yaml"
    path.write_text(SHEET, encoding="utf-8")
    runner = CliRunner()
    shown = runner.invoke(main, ["run", str(path)])
    assert shown.exit_code == 0 and "tanh(x1/x2) + 1/(1 + exp(-x1/2))" in shown.output
    document = json.loads(runner.invoke(main, ["run", str(path), "--format", "json"]).output)
    assert document["symbols"] == ["x1", "x2"] and "\\tanh" in document["values"]["y"]["latex"]
    for command in ("explain", "draw"):
        refused = runner.invoke(main, [command, str(path)])
        assert refused.exit_code == 2 and "found symbols (x1, x2)" in refused.output
    page = runner.invoke(main, ["run", str(path), "--format", "html"])
    assert page.exit_code == 0 and page.output.count("<math>") >= 8 and "<mi>tanh</mi>" in page.output
    markdown = runner.invoke(main, ["run", str(path), "--format", "markdown"])
    assert markdown.exit_code == 0 and "$\\tanh{\\left(\\frac{x_{1}}{x_{2}} \\right)}" in markdown.output


def test_a_page_of_formulas_shows_its_math_in_chromium(tmp_path):
    import viewers
    from click.testing import CliRunner

    from backprop_cli.cli import main
    viewers.require("chromium")
    target = tmp_path / "formulas.html"
    page = CliRunner().invoke(main, ["run", str(ROOT / "problems" / "keys" / "assignment4-q2-symbolic.yaml"),
                                     "--format", "html"])
    target.write_text(page.output, encoding="utf-8")
    opened = viewers.open_in_chromium(target, tmp_path, selector="math")
    assert not opened.problems, opened.problems
    boxes = [b for b in opened.boxes if b.width > 0 and b.height > 0]
    assert len(boxes) >= 8 and all(viewers.ink(opened.screenshot, b) > 0.02 for b in boxes[:4])


LAYERED = """
parameters: {w: symbol, b: symbol, v: 0.5}
network:
  inputs: 1
  layers:
    - {name: hidden, units: 1, activation: tanh, weights: [[w]], bias: [b]}
    - {name: out, units: 1, activation: sigmoid, weights: [[v]], bias: [0]}
input: [2]
target: [1]
loss: {kind: squared_error, factor: 1/2}
"""


def test_a_layered_network_with_symbols_among_its_parameters():
    """h = tanh(2w + b), o = σ(h/2), L = (o − 1)²/2, worked by hand with SymPy's own diff."""
    from backprop_cli.read.addresses import resolve_layered
    problem = bp.loads(LAYERED)
    result = bp.solve(problem)
    assert result.symbolic and problem.symbols == ("w", "b")
    w, b = sympy.symbols("w b", real=True)
    h = sympy.tanh(2 * w + b)
    o = 1 / (1 + sympy.exp(-h / 2))
    loss = (o - 1) ** 2 / 2
    by_hand = {"a^(1)_1": h, "a^(2)_1": o, "L": loss, "dL/dw": sympy.diff(loss, w), "dL/db": sympy.diff(loss, b),
               "dL/dz^(1)_1": sympy.diff(loss, w) / 2}
    for text, expected in by_hand.items():
        found = result.lookup(resolve_layered(text, problem))
        assert sympy.simplify((sympy.sympify(found) - expected).rewrite(sympy.exp)) == 0, text
    report = bp.check(bp.loads(LAYERED + 'expected:\n  dL/dw: "(σ(tanh(2w + b)/2) - 1) σ\'(tanh(2w+b)/2) (1/2) '
                                         '(1 - tanh(2w+b)^2) 2"\n'))
    assert report.failed == 0 and report.passed == 1


def test_symbols_written_in_entries_inputs_and_targets_named_by_the_sheet():
    text = """
names: {w5: w^(2)_11, w1: w^(1)_11, b1: b^(1)_1, x: x_1, y: y_1}
network:
  inputs: 2
  layers:
    - {name: hidden, units: 1, activation: identity, weights: [[symbol, 0.5]], bias: [symbol]}
    - {name: out, units: 1, activation: sigmoid, weights: [[symbol]], bias: [0]}
input: [symbol, 2]
target: [symbol]
loss: {kind: squared_error, factor: 1/2}
expected:
  dL/dw5: "(σ(w5 (w1 x + 1 + b1)) - y) σ'(w5 (w1 x + 1 + b1)) (w1 x + 1 + b1)"
"""
    problem = bp.loads(text)
    assert problem.symbols == ("w1", "b1", "w5", "x", "y")
    w1, b1, w5, x, y = sympy.symbols("w1 b1 w5 x y", real=True)
    h = w1 * x + sympy.Rational(1, 2) * 2 + b1
    loss = (1 / (1 + sympy.exp(-w5 * h)) - y) ** 2 / 2
    result = bp.solve(problem)
    assert sympy.simplify((result.loss - loss).rewrite(sympy.exp)) == 0
    report = bp.check(problem)
    assert report.passed == 1 and report.failed == 0
    unnamed = bp.solve(bp.loads(text.replace("names: {w5: w^(2)_11, w1: w^(1)_11, b1: b^(1)_1, x: x_1, y: y_1}\n", "")
                                .split("expected:")[0]))
    assert unnamed.problem.symbols == ("w^(1)_11", "b^(1)_1", "w^(2)_11", "x_1", "y_1")  # the tables' names
