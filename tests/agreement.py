"""Assertions that a solved result agrees with the independent reference."""

from __future__ import annotations

import numpy as np

from backprop_cli.engine.model import Problem
from backprop_cli.solving.results import Result
from reference import arguments, objective, reference
from conftest import central_difference

RTOL, ATOL = 1e-9, 1e-12


def _close(actual, expected, what, rtol=RTOL, atol=ATOL):
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, err_msg=what)


def _present(param):
    return np.ones(param.value.shape, bool) if param.entries.absent is None else ~param.entries.absent


def assert_agrees(problem: Problem, result: Result) -> None:
    """Every value, delta, gradient and update of the first step against autograd (the update of
    gradient descent: other optimizers are checked in tests/test_optimizers.py)."""
    ref = reference(problem)
    _close(result.loss.value, ref.loss, "loss")
    rate = problem.training.learning_rate
    descent = problem.training.optimizer.plain
    for i, layer in enumerate(result.layers):
        name = f"layer {layer.index}"
        _close(layer.pre, ref.pre[i], f"{name} pre-activation")
        _close(layer.act, ref.act[i], f"{name} activation")
        _close(layer.delta, ref.delta[i], f"{name} delta")
        _close(layer.grad_act, ref.grad_act[i], f"{name} dL/da")
        for param, own_grad, used_grad, label in (
                (layer.weights, ref.grad_weights[i], ref.grad_weights_used[i], "weights"),
                (layer.bias, ref.grad_biases[i], ref.grad_biases_used[i], "bias")):
            if param is None:
                continue
            present = _present(param)
            expected = np.where(param.entries.own_mask if param.entries.own_mask is not None else True,
                                own_grad, used_grad)
            _close(param.grad[present], expected[present], f"{name} {label} gradient")
            if param.frozen:
                own = param.entries.own_mask if param.entries.own_mask is not None else present
                _close(param.updated[own], param.value[own], f"{name} frozen {label} unchanged")
            elif descent:
                own = param.entries.own_mask if param.entries.own_mask is not None else present
                _close(param.updated[own], param.value[own] - rate * own_grad[own], f"{name} {label} update")
    for k, shared in enumerate(result.shared):
        _close(shared.grad, ref.grad_shared[k], f"shared {shared.name} gradient")
        if shared.frozen or descent:
            expected = shared.value if shared.frozen else shared.value - rate * ref.grad_shared[k]
            _close(shared.updated, expected, f"shared {shared.name} update")


def assert_reference_matches_differences(problem: Problem, rtol=1e-6, atol=1e-7) -> None:
    """The reference's own gradients against central differences of its objective."""
    args = arguments(problem)
    ref = reference(problem)

    def along(position, slot, index):
        def f(x):
            moved = [list(a) if isinstance(a, list) else a for a in args]
            if isinstance(moved[position], list):
                moved[position][slot] = x
            else:
                moved[position] = x
            return float(objective(problem, *moved))
        return f

    for i in range(len(problem.network.layers)):
        _close(ref.grad_weights[i], central_difference(along(0, i, None), args[0][i]), "FD weights", rtol, atol)
        _close(ref.delta[i], central_difference(along(3, i, None), args[3][i]), "FD delta", rtol, atol)
    if len(args[2]):
        _close(ref.grad_shared, central_difference(along(2, None, None), args[2]), "FD shared", rtol, atol)


def _graph_objective(problem) -> float:
    """What a graph problem differentiates, computed by a fresh forward pass."""
    from backprop_cli import solve
    result = solve(problem)
    if result.loss is not None:
        return result.loss.value
    output = next(v for v in result.nodes if v.name == problem.output).value
    weights = problem.upstream if problem.upstream is not None else 1.0
    return float(np.sum(output * weights))


def assert_graph_agrees(problem, result) -> None:
    """Every input and parameter gradient of a graph against central differences, and the updates."""
    for where, items in (("inputs", result.inputs), ("params", result.shared)):
        for item in items:
            def moved(value, name=item.name, where=where):
                values = dict(getattr(problem, where))
                values[name] = value
                return _graph_objective(problem._replace(**{where: values}))
            numeric = central_difference(moved, getattr(problem, where)[item.name])
            _close(item.grad, numeric, f"{where} {item.name}", rtol=1e-6, atol=1e-8)
    rate = problem.training.learning_rate
    for param in result.shared:
        expected = param.value if param.frozen else param.value - rate * param.grad
        _close(param.updated, expected, f"update of {param.name}")
