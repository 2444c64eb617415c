"""Computation graphs: what ``work`` needs to solve one (record, initial parameters, update, the
result of the first step laid out node by node, warnings)."""

from __future__ import annotations

import numpy as np

from ..engine import graph, losses, optimizers
from ..engine.formula import Expr
from ..engine.graph import GraphProgram, Rewrite
from ..engine.model import GraphProblem
from ..engine.optimizers import Moments
from ..engine.tape import Interpreter
from .results import GraphResult, LossResult, SharedResult, Value


def record(problem: GraphProblem, by_hand: bool = False, rewrite: Rewrite | None = None,
           compact: bool = False) -> GraphProgram:
    """The graph recorded on a tape, with formulas rewritten by ``rewrite`` (``by_hand`` matters only
    where a loss can be taken from logits, which graphs never do; ``compact``: for training)."""
    return graph.record(problem, rewrite, compact=compact and not by_hand)


def samples(problem: GraphProblem) -> int:
    return 1  # a graph's inputs are one sample


def batch(problem: GraphProblem, indices: np.ndarray) -> GraphProblem:
    return problem


def batch_leaves(program: GraphProgram, problem: GraphProblem, indices: np.ndarray) -> dict[int, np.ndarray]:
    return {}


def trained_leaves(problem: GraphProblem, program: GraphProgram) -> frozenset[int]:
    """The parameter slots training moves."""
    return frozenset(program.names[name] for name in problem.params if name not in problem.frozen)


def with_parameters(problem: GraphProblem, params: dict[str, np.ndarray]) -> GraphProblem:
    """The problem with these parameter values as its initial ones."""
    return problem._replace(params={name: np.array(value, copy=True) for name, value in params.items()})


def initial(problem: GraphProblem) -> dict[str, np.ndarray]:
    return {name: value.copy() for name, value in problem.params.items()}


def lay_out(problem: GraphProblem, program: GraphProgram, values: list, grads: list,
            updated: dict[str, np.ndarray]) -> GraphResult:
    """The result of the first step, node by node."""
    names = program.names

    def grad(name: str) -> np.ndarray:
        slot = names[name]
        return np.zeros_like(values[slot]) if grads[slot] is None else np.asarray(grads[slot], dtype=float)

    nodes = [Value(s.name, s.text, values[names[s.name]], grad(s.name)) for s in problem.nodes]
    inputs = [Value(name, "input", values[names[name]], grad(name)) for name in problem.inputs]
    shared = [SharedResult(name, values[names[name]], grad(name), updated[name], name in problem.frozen,
                           _used_by(problem, name)) for name in problem.params]
    loss = None
    if program.loss is not None:
        loss = LossResult(float(values[program.objective]), float(values[program.loss.total]),
                          0.0 if program.penalty is None else float(values[program.penalty]),
                          np.array(losses.per_sample(program.tape, program.loss, values), dtype=float),
                          losses.formula(problem.loss, problem.target.size, 1, problem.notation.loss))
    return GraphResult(problem, nodes, inputs, shared, loss)


def update(problem: GraphProblem, params: dict[str, np.ndarray], program: GraphProgram, grads: list,
           interpreter: Interpreter, moments: Moments) -> dict[str, np.ndarray]:
    """One step of the problem's optimizer; frozen parameters stay as they are."""
    rate = problem.training.learning_rate
    settle = interpreter.update
    moments.t += 1
    updated = {}
    for name, value in params.items():
        grad = grads[program.names[name]]
        if name in problem.frozen or rate == 0 or grad is None:
            updated[name] = value
        else:
            moved = optimizers.step(moments, name, rate, value, grad)
            updated[name] = moved if settle is None else settle(moved)
    return updated


def _used_by(problem: GraphProblem, name: str) -> list[str]:
    """The nodes whose formulas name a parameter."""
    return [spec.name for spec in problem.nodes if name in _names(spec.expr)]


def _names(expr: Expr) -> set[str]:
    found = {expr.value} if expr.kind == "name" else set()
    for arg in expr.args:
        found |= _names(arg)
    return found


def warnings(result: GraphResult) -> list[str]:
    """Values or gradients that are not finite, updates that overflow."""
    found = [f"'{v.name}' has non-finite values or gradients" for v in [*result.inputs, *result.nodes, *result.shared]
             if not (np.isfinite(v.value).all() and np.isfinite(v.grad).all())]
    if result.trained and not all(np.isfinite(p.updated).all() for p in result.shared) \
            and all(np.isfinite(p.grad).all() for p in result.shared):
        found.append("the update gives parameters that are not finite (an overflow: is the learning rate right?)")
    return found
