"""Computation-graph problems: formulas evaluated on the engine, then one backward pass.

Inputs and parameters are leaves whose gradients are reported; parameters are also updated. What is
differentiated: the loss of the output against the target; or, given only the upstream gradient
g = dL/d(output), the scalar sum(g * output), whose gradient is exactly g; or else the (scalar)
output itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import losses
from .formula import Expr
from .graph import Node, apply, backward, constant, parameter
from .problem import MAX_VALUES, GraphProblem
from .solver import HandWork, LossResult, SharedResult, train_on


class ShapeError(ValueError):
    """An op whose operands do not fit, at a formula's position."""

    def __init__(self, message: str, expr: Expr):
        super().__init__(message)
        self.expr = expr


def evaluate(expr: Expr, env: dict[str, Node], rounder=None, budget: list[int] | None = None) -> Node:
    """The node a checked formula computes from the named nodes in ``env``.

    ``budget`` (a one-element list) is how many values may still be allocated; each op takes its
    result's size from it before computing, and one that would overdraw it is refused.
    """
    if expr.kind == "number":
        return constant(expr.value)
    if expr.kind == "name":
        return env[expr.value]
    args = [evaluate(a, env, rounder, budget) for a in expr.args]
    size = _result_size(expr, args)
    if size > MAX_VALUES:
        raise ShapeError(f"expected at most {MAX_VALUES:,} values, found {size:,}", expr)
    if budget is not None:
        budget[0] -= size
        if budget[0] < 0:
            raise ShapeError(f"expected at most {MAX_VALUES:,} values in all the formulas, found more", expr)
    try:
        with np.errstate(all="ignore"):
            if expr.kind == "index":
                key = tuple(np.asarray(k) if isinstance(k, list) else k for k in
                            (expr.value if isinstance(expr.value, tuple) else (expr.value,)))
                return apply("index", args[0], key=key, rounder=rounder)
            if expr.kind == "stack":
                return apply("stack", *args, rounder=rounder)
            if expr.value in ("maximum", "minimum"):
                result = args[0]
                for arg in args[1:]:
                    result = apply(expr.value, result, arg, rounder=rounder)
                return result
            return apply(expr.value, *args, rounder=rounder, **expr.attrs)
    except (ValueError, IndexError, TypeError) as exc:
        shapes = " and ".join("×".join(map(str, a.value.shape)) or "scalar" for a in args)
        raise ShapeError(f"expected operands that fit, found {shapes} ({exc})", expr) from None


def _result_size(expr: Expr, args: list[Node]) -> int:
    """How many values an op would produce, worked out before anything is allocated."""
    shapes = [a.value.shape for a in args]
    sizes = [int(np.prod(s)) for s in shapes]
    try:
        if expr.value in ("add", "sub", "mul", "div", "pow", "maximum", "minimum"):
            return int(np.prod(np.broadcast_shapes(*shapes)))
    except ValueError:
        return 0  # operands that do not fit: the op itself reports it
    if expr.value == "matmul" and len(shapes) == 2 and shapes[0] and shapes[1]:
        rows = int(np.prod(shapes[0][:-1]))
        return rows * (shapes[1][-1] if len(shapes[1]) > 1 else 1)
    if expr.kind == "stack" or expr.value == "concat":
        return sum(sizes)
    return max(sizes, default=1)


@dataclass(eq=False)
class Value:
    """A named value of the graph with the gradient of the objective with respect to it."""

    name: str
    text: str  # the formula, or 'input' / 'parameter'
    value: np.ndarray
    grad: np.ndarray


@dataclass(eq=False)
class GraphResult:
    """The worked graph: nodes in dependency order, inputs, parameters (as shared parameters)."""

    problem: GraphProblem
    nodes: list[Value]
    inputs: list[Value]
    shared: list[SharedResult]
    loss: LossResult | None
    history: list[float] = field(default_factory=list)
    final_loss: float | None = None
    final: dict[str, np.ndarray] | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def trained(self) -> bool:
        return self.problem.training.learning_rate > 0


def _run(problem: GraphProblem, params: dict[str, np.ndarray], work: HandWork | None = None):
    rounder = work.rounder() if work else None
    env: dict[str, Node] = {name: parameter(value, name) for name, value in problem.inputs.items()}
    env.update({name: parameter(value, name) for name, value in params.items()})
    for spec in problem.nodes:
        expr = work.formula_for(spec.name, spec.expr) if work and work.formula_for else spec.expr
        env[spec.name] = evaluate(expr, env, rounder)
        env[spec.name].label = spec.name
        if work and work.on_value:
            work.on_value("node", spec.name, env[spec.name])
    output = env[problem.output]
    loss_nodes = None
    if problem.loss is not None:
        prediction = apply("reshape", output, shape=(1, -1))
        loss_nodes = losses.build(problem.loss, prediction, np.reshape(problem.target, (1, -1)), rounder=rounder)
        root = loss_nodes.total
    elif problem.upstream is not None:
        root = apply("sum", apply("mul", output, constant(problem.upstream)))
    else:
        root = apply("sum", output)
    l2 = problem.training.l2
    penalty = None
    if l2 is not None and l2.strength and params:
        penalty = losses.penalty([losses.sum_of_squares(env[n]) for n in params], l2.strength, rounder)
        root = apply("add", root, penalty)
    if work and work.before_backward:
        work.before_backward(env)
    backward(root, rounder=rounder, on_grad=work.on_grad if work else None,
             vjp_for=work.vjp_for if work else None)
    return env, root, loss_nodes, penalty


def solve_graph(problem: GraphProblem, work: HandWork | None = None) -> GraphResult:
    """Forward values, gradients of every node, input and parameter, and the updates asked for."""
    params = {name: value.copy() for name, value in problem.params.items()}
    env, root, loss_nodes, penalty = _run(problem, params, work)
    updated = _update(problem, params, env, work.rounder() if work else None)

    def grad(node: Node) -> np.ndarray:
        return np.zeros_like(node.value) if node.grad is None else np.asarray(node.grad, dtype=float)

    nodes = [Value(s.name, s.text, env[s.name].value, grad(env[s.name])) for s in problem.nodes]
    inputs = [Value(name, "input", env[name].value, grad(env[name])) for name in problem.inputs]
    shared = [SharedResult(name, env[name].value, grad(env[name]), updated[name], name in problem.frozen,
                           _used_by(problem, name)) for name in params]
    loss = None
    if loss_nodes is not None:
        loss = LossResult(float(root.value), float(loss_nodes.total.value),
                          0.0 if penalty is None else float(penalty.value), loss_nodes.per_sample.value.copy(),
                          losses.formula(problem.loss, problem.target.size, 1, problem.notation.loss))
    result = GraphResult(problem, nodes, inputs, shared, loss)
    if work is None and result.trained:
        def step(params):
            env, root, _, _ = _run(problem, params)
            return float(root.value), _update(problem, params, env)
        train_on(result, float(root.value), updated, step, lambda params: float(_run(problem, params)[1].value))
    if work is None:
        result.warnings = [f"'{v.name}' has non-finite values or gradients" for v in [*inputs, *nodes, *shared]
                           if not (np.isfinite(v.value).all() and np.isfinite(v.grad).all())]
    return result


def _update(problem: GraphProblem, params: dict[str, np.ndarray], env: dict[str, Node], rounder=None):
    rate = problem.training.learning_rate
    updated = {}
    for name, value in params.items():
        grad = env[name].grad
        if name in problem.frozen or rate == 0 or grad is None:
            updated[name] = value
        else:
            moved = value - rate * grad
            updated[name] = moved if rounder is None else rounder(moved)
    return updated


def _used_by(problem: GraphProblem, name: str) -> list[str]:
    """The nodes whose formulas name a parameter."""
    return [spec.name for spec in problem.nodes if name in _names(spec.expr)]


def _names(expr: Expr) -> set[str]:
    found = {expr.value} if expr.kind == "name" else set()
    for arg in expr.args:
        found |= _names(arg)
    return found
