"""Computation graphs: every formula op against central differences, random expression graphs,
safe parsing with positioned errors, and layered networks written as graphs."""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backprop_cli import cli, load, loads, solve
from backprop_cli.errors import ProblemError
from backprop_cli.engine.formula import FUNCTIONS
from conftest import PROBLEMS, central_difference


def graph(inputs: dict, nodes: dict, params: dict | None = None, tail: str = "") -> str:
    doc = {"graph": {"inputs": inputs, "params": params or {}, "nodes": nodes}}
    return yaml.safe_dump(doc, sort_keys=False) + tail


def gradients_by_differences(text: str, name: str, where: str = "inputs") -> np.ndarray:
    """d(output)/d(name) by central differences, re-running the whole file with one value moved."""
    doc = yaml.safe_load(text)
    base = np.array(doc["graph"][where][name], dtype=float)

    def value(moved):
        doc["graph"][where][name] = moved.tolist()
        result = solve(loads(yaml.safe_dump(doc, sort_keys=False)))
        return result.loss.value if result.loss is not None else float(np.sum(
            result.nodes[-1].value * (result.problem.upstream if result.problem.upstream is not None else 1.0)))
    return central_difference(value, base)


FORMULAS = {  # one formula per op of the formula language, on x (vector of 4) and M (2×4 matrix)
    "add": "x + M", "sub": "M - x", "mul": "x * M", "div": "M / (x * x + 1)", "pow": "(x * x + 1) ** 1.5",
    "neg": "-x", "matmul": "M @ x", "dot": "dot(x, x)", "transpose": "transpose(M) @ M[:, 0]",
    "exp": "exp(x)", "log": "log(x * x + 1)", "sqrt": "sqrt(x * x + 1)", "abs": "abs(x)",
    "sin": "sin(M)", "cos": "cos(x)", "tan": "tan(x / 4)", "square": "square(M)",
    "log2": "log(x * x + 1, 2) + pi * e", "power": "pow(x * x + 1, 1.5)",
    "sum": "sum(M, axis=0)", "mean": "mean(M)", "max": "max(M, axis=1)", "min": "min(x)",
    "maximum": "max(x, M[1])", "minimum": "min(M[0], x, 0.5)", "concat": "concat(x, M[1], x)",
    "index": "x[[2, 0, 3, 1]] * x[1:3][0]", "stack": "[x[0] * x[1], sum(x), 2]",
    **{name: f"{name}(M)" for name in ("identity", "sigmoid", "tanh", "relu", "softplus", "elu", "softmax")},
    "leaky_relu": "leaky_relu(M, slope=0.2)",
}


def _softmax(m):
    e = np.exp(m - m.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _sigmoid(m):
    return 1 / (1 + np.exp(-m))


NUMPY = {  # the same formulas written directly in NumPy: the forward values to compare with
    "add": lambda x, M: x + M, "sub": lambda x, M: M - x, "mul": lambda x, M: x * M,
    "div": lambda x, M: M / (x * x + 1), "pow": lambda x, M: (x * x + 1) ** 1.5, "neg": lambda x, M: -x,
    "matmul": lambda x, M: M @ x, "dot": lambda x, M: x @ x, "transpose": lambda x, M: M.T @ M[:, 0],
    "exp": lambda x, M: np.exp(x), "log": lambda x, M: np.log(x * x + 1), "sqrt": lambda x, M: np.sqrt(x * x + 1),
    "sin": lambda x, M: np.sin(M), "cos": lambda x, M: np.cos(x), "tan": lambda x, M: np.tan(x / 4),
    "square": lambda x, M: M * M, "log2": lambda x, M: np.log2(x * x + 1) + np.pi * np.e,
    "power": lambda x, M: (x * x + 1) ** 1.5,
    "abs": lambda x, M: np.abs(x), "sum": lambda x, M: M.sum(axis=0), "mean": lambda x, M: M.mean(),
    "max": lambda x, M: M.max(axis=1), "min": lambda x, M: x.min(), "maximum": lambda x, M: np.maximum(x, M[1]),
    "minimum": lambda x, M: np.minimum(np.minimum(M[0], x), 0.5),
    "concat": lambda x, M: np.concatenate([x, M[1], x]), "index": lambda x, M: x[[2, 0, 3, 1]] * x[1:3][0],
    "stack": lambda x, M: np.array([x[0] * x[1], x.sum(), 2.0]), "identity": lambda x, M: M,
    "sigmoid": lambda x, M: _sigmoid(M), "tanh": lambda x, M: np.tanh(M), "relu": lambda x, M: np.maximum(M, 0),
    "softplus": lambda x, M: np.log1p(np.exp(M)), "elu": lambda x, M: np.where(M > 0, M, np.expm1(M)),
    "softmax": lambda x, M: _softmax(M), "leaky_relu": lambda x, M: np.where(M > 0, M, 0.2 * M),
}


@pytest.mark.parametrize("op", sorted(FORMULAS))
def test_formula_values_match_numpy_written_directly(op):
    x = np.array([0.7, -1.3, 0.4, 1.9])
    m = np.array([[0.5, -0.2, 1.1, -0.8], [-1.4, 0.9, 0.3, 0.6]])
    problem = loads(graph({"x": x.tolist(), "M": m.tolist()}, {"out": FORMULAS[op], "total": "sum(out)"}))
    np.testing.assert_allclose(solve(problem).nodes[0].value, NUMPY[op](x, m), rtol=1e-14, atol=1e-15)


def test_every_function_of_the_formula_language_has_a_case():
    assert set(FUNCTIONS) - {"dot", "pow"} <= set(FORMULAS) | {"max", "min"} and {"dot", "power"} <= set(FORMULAS)
    assert {"max", "min", "maximum", "minimum", "matmul", "stack", "index"} <= set(FORMULAS)


@pytest.mark.parametrize("op", sorted(FORMULAS))
def test_formula_op_gradients_match_central_differences(op, rng):
    x = [0.7, -1.3, 0.4, 1.9]
    m = [[0.5, -0.2, 1.1, -0.8], [-1.4, 0.9, 0.3, 0.6]]
    probe = loads(graph({"x": x, "M": m}, {"out": FORMULAS[op], "total": "sum(out)"}))
    upstream = rng.normal(size=probe.nodes[0].shape).round(3).tolist()
    text = graph({"x": x, "M": m}, {"out": FORMULAS[op]}, tail=yaml.safe_dump({"upstream": upstream}))
    result = solve(loads(text))
    for value in result.inputs:
        numeric = gradients_by_differences(text, value.name)
        np.testing.assert_allclose(value.grad, numeric, rtol=1e-6, atol=1e-8, err_msg=f"{op}: {value.name}")


@st.composite
def expression_graphs(draw):
    """Random graphs: shared parameters, nodes reused, broadcasting between scalars and vectors."""
    names = ["x", "p", "q"]
    nodes = {}
    for i in range(draw(st.integers(2, 6))):
        a, b = draw(st.sampled_from(names)), draw(st.sampled_from(names))
        form = draw(st.sampled_from(["{a} * {b}", "{a} + {b}", "tanh({a}) - {b}", "sigmoid({a} * {b})",
                                     "{a} / (1 + {b} * {b})", "softplus({a}) * {b}", "exp(-{a} * {a}) + {b}"]))
        name = f"n{i}"
        nodes[name] = form.format(a=a, b=b)
        names.append(name)
    nodes["out"] = "sum(" + " + ".join(names[-3:]) + ")"
    x = draw(st.lists(st.floats(-2, 2).map(lambda v: round(v, 2)), min_size=3, max_size=3))
    return graph({"x": x}, nodes, {"p": draw(st.floats(-2, 2).map(lambda v: round(v, 2))),
                                   "q": draw(st.lists(st.floats(-2, 2).map(lambda v: round(v, 2)),
                                                      min_size=3, max_size=3))})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expression_graphs())
def test_random_expression_graphs_agree_with_central_differences(text):
    result = solve(loads(text))
    np.testing.assert_allclose(result.inputs[0].grad, gradients_by_differences(text, "x"), rtol=1e-6, atol=1e-7)
    for param in result.shared:
        np.testing.assert_allclose(param.grad, gradients_by_differences(text, param.name, "params"),
                                   rtol=1e-6, atol=1e-7)


# -- the same network written both ways ---------------------------------------------------------------------

def test_exercise_7_1_as_a_graph_gives_the_layered_gradients():
    layered = solve(load(str(PROBLEMS / "seeds" / "exercise-7-1.yaml")))
    spec = layered.problem.network.layers
    text = graph({"x": [0.5, 0.2]}, {"h": "relu(W1 @ x + b1)", "y": "sigmoid(W2 @ h + b2)"},
                 {"W1": spec[0].weights.values.tolist(), "b1": spec[0].bias.values.tolist(),
                  "W2": spec[1].weights.values.tolist(), "b2": spec[1].bias.values.tolist()},
                 "target: [1, 0]\nloss: {kind: binary_cross_entropy, outputs: mean}\n")
    as_graph = solve(loads(text))
    params = {p.name: p for p in as_graph.shared}
    for i, layer in enumerate(layered.layers, start=1):
        np.testing.assert_allclose(params[f"W{i}"].grad, layer.weights.grad, rtol=1e-12)
        np.testing.assert_allclose(params[f"b{i}"].grad, layer.bias.grad, rtol=1e-12)
    nodes = {v.name: v for v in as_graph.nodes}
    np.testing.assert_allclose(nodes["h"].grad, layered.layers[0].grad_act[0], rtol=1e-12)
    assert as_graph.loss.value == pytest.approx(layered.loss.value, rel=1e-15)


def test_shared_weight_network_gives_the_same_gradients_both_ways():
    layered = solve(load(str(PROBLEMS / "seeds" / "ece421-hw6-q2e.yaml")))
    text = graph({"x1": 1, "x2": 1, "x3": 1},
                 {"a1": "relu(w * x1)", "a2": "relu(w * x2)", "a3": "relu(w * x3)", "b2": "a2 + v * a1",
                  "y_hat": "a3 + v * b2"}, {"w": 1, "v": 1}, "target: 1\nloss: squared_error\n")
    as_graph = solve(loads(text))
    by_name = {p.name: p.grad for p in layered.shared}
    for param in as_graph.shared:
        assert param.grad == pytest.approx(by_name[param.name])


def test_upstream_gradient_and_scalar_output_modes():
    text = graph({"x": [1.0, 2.0, 3.0, 4.0, 5.0]}, {"F1": "x[[2, 4, 3, 0, 1]]"},
                 tail="upstream: [0.1, 0.2, 0.3, 0.4, 0.5]\n")
    result = solve(loads(text))
    # dL/dx_i is the upstream gradient at the position x_i moved to, by hand
    np.testing.assert_allclose(result.inputs[0].grad, [0.4, 0.5, 0.1, 0.3, 0.2])
    scalar = solve(loads(graph({"x1": 1.0, "x2": 2.0}, {"f": "tanh(x1 / x2) + sigmoid(x1)"})))
    s = 1 / (1 + np.exp(-1.0))
    expected_x1 = (1 - np.tanh(0.5) ** 2) / 2 + s * (1 - s)
    assert scalar.inputs[0].grad == pytest.approx(expected_x1)
    assert scalar.inputs[1].grad == pytest.approx(-(1 - np.tanh(0.5) ** 2) * 1 / 4)


# -- safe parsing, positioned errors --------------------------------------------------------------------------

@pytest.mark.parametrize("formula, message", [
    ("x.real", "4:8: error: graph.nodes.y: expected arithmetic, a function call, indexing or a name, found "
               "attribute access"),
    ("__import__('os')", "4:8: error: graph.nodes.y: expected a function (identity"),
    ("eval('1')", "4:8: error: graph.nodes.y: expected a function"),
    ("xx + 1", "4:8: error: graph.nodes.y: expected a name defined before this formula, found 'xx' "
               "(did you mean 'x'?)"),
    ("x + z", "4:12: error: graph.nodes.y: expected a name defined before this formula, found 'z', defined after"),
    ("y + 1", "4:8: error: graph.nodes.y: expected a name defined before this formula, found 'y', defined after"),
    ("x @ [1, 2]", "4:8: error: graph.nodes.y: expected operands that fit, found 3 and 2"),
    ("x[7]", "4:8: error: graph.nodes.y: expected operands that fit"),
    ("'lambda: 1'", "4:9: error: graph.nodes.y: expected arithmetic, a function call, indexing or a name, "
                    "found a lambda"),
    ("sum(x, keepdims=1)", "4:24: error: graph.nodes.y: expected keyword arguments among alpha, axis, slope"),
    ("\"x + 'a'\"", "4:13: error: graph.nodes.y: expected arithmetic, a function call, indexing or a name, "
                    "found a string or other constant"),
    ("x +", "4:8: error: graph.nodes.y: expected a formula, found a syntax error"),
])
def test_bad_formulas_are_reported_at_their_position(tmp_path, formula, message):
    path = tmp_path / "g.yaml"
    path.write_text(f"graph:\n  inputs: {{x: [1, 2, 3]}}\n  nodes:\n    y: {formula}\n    z: x\n")
    result = CliRunner().invoke(cli.main, ["run", str(path)])
    assert result.exit_code == 2, result.output
    first = result.stderr.splitlines()[0]
    assert first.startswith(f"{path}:{message}"), first
    assert "Traceback" not in result.output


def test_a_graph_without_loss_needs_a_scalar_output():
    with pytest.raises(ProblemError) as error:
        loads(graph({"x": [1, 2]}, {"y": "x * 2"}), "g.yaml")
    assert "expected a loss or an upstream gradient for the output 'y' of shape 2" in str(error.value)


def test_graph_runs_from_the_command_line_as_tables_and_json(tmp_path):
    path = tmp_path / "f.yaml"
    path.write_text(graph({"x1": 1, "x2": 2}, {"y": "tanh(x1 / x2) + sigmoid(x1)"}))
    result = CliRunner().invoke(cli.main, ["run", str(path)])
    assert result.exit_code == 0 and "nodes (in the order computed)" in result.stdout
    doc = __import__("json").loads(CliRunner().invoke(cli.main, ["run", str(path), "--format", "json"]).stdout)
    assert doc["schema"] == "backprop-cli/graph"
    assert doc["inputs"][1]["grad"] == solve(loads(path.read_text())).inputs[1].grad


def test_graph_update_with_l2_penalty_and_frozen_parameter():
    text = graph({"x": 2.0}, {"y": "w * x + c"}, {"w": 0.5, "c": {"value": 1.0, "frozen": True}},
                 "target: 0\nloss: squared_error\ntrain: {learning_rate: 0.1, l2: {lambda: 0.25}}\n")
    result = solve(loads(text))
    w, c = result.shared
    # L = (2w + c)² + 0.25 (w² + c²); by hand at w = 0.5, c = 1: dL/dw = 2·2·2 + 0.25 = 8.25
    assert w.grad == pytest.approx(8.25) and c.grad == pytest.approx(2 * 2 + 0.5)
    assert w.updated == pytest.approx(0.5 - 0.825) and c.updated == 1.0
    assert result.loss.penalty == pytest.approx(0.25 * 1.25)


def test_graph_targets_take_the_output_shape_and_arrays_are_at_most_matrices():
    text = graph({"M": [[1, 2], [3, 4]]}, {"y": "M * 2"}, tail="target: [[1, 1], [1, 1]]\nloss: squared_error\n")
    assert solve(loads(text)).loss.value == pytest.approx(1 + 9 + 25 + 49)
    with pytest.raises(ProblemError, match="in the output's shape 2×2, found 4"):
        loads(text.replace("[[1, 1], [1, 1]]", "[1, 1, 1, 1]"))
    with pytest.raises(ProblemError, match="expected a number, a list or a matrix"):
        loads(graph({"T": [[[1, 2]], [[3, 4]]]}, {"y": "sum(T)"}))


@pytest.mark.parametrize("formula, message", [
    ("x[1e400]", "expected a whole-number index"),
    ("sum(x, axis=0.7)", "expected a whole-number index"),
    ("-" * 3000 + "x", "nested less deeply"),
    (" + ".join(["x"] * 3000), "nested less deeply"),
])
def test_extreme_formulas_are_errors_not_crashes(formula, message):
    with pytest.raises(ProblemError, match=message):
        loads(graph({"x": [1.0, 2.0]}, {"y": formula, "s": "sum(y)"}))


def test_sizes_are_refused_before_allocating():
    import tracemalloc
    tracemalloc.start()
    with pytest.raises(ProblemError, match="expected at most 2,000,000 values, found 25,000,000"):
        loads(graph({"c": [[1.0]] * 5000, "r": [[1.0] * 5000]}, {"big": "c * r", "s": "sum(big)"}))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 100_000_000
    with pytest.raises(ProblemError, match="in all the formulas"):
        loads(graph({"c": [[1.0]] * 1000, "r": [[1.0] * 1000]}, {"big": "c * r + c * r", "s": "sum(big)"}))


def test_large_values_are_summarised_in_tables():
    from backprop_cli.render import graph as graph_report, text as plain
    result = solve(loads(graph({"x": list(range(100))}, {"y": "sum(x * x)"})))
    assert "100 values: 0, 1, 2, 3, … (--format json has all)" in plain.render(graph_report.build(result))


def test_power_zero_at_zero_has_a_zero_gradient_and_non_finite_values_are_warned():
    result = solve(loads(graph({"x": 0.0}, {"y": "x ** 0 + x"})))
    assert result.inputs[0].grad == 1.0 and result.warnings == []
    broken = solve(loads(graph({"x": 0.0}, {"y": "log(x)"})))
    assert broken.warnings == ["'x' has non-finite values or gradients", "'y' has non-finite values or gradients"]
