"""Computation graphs: formulas recorded on a tape, with what flows back into the output.

Inputs and parameters are trainable leaves (their gradients are reported). What is differentiated:
the loss of the output against the target; or, given only the upstream gradient g = dL/d(output), the
scalar sum(g * output), whose gradient is exactly g; or else the (scalar) output itself. Each named
node's slot is labelled ``("node", name)``; inputs and parameters ``("input", name)``, ``("param", name)``.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from . import losses
from .formula import Expr
from .model import MAX_VALUES, GraphProblem
from .record import Record
from .tape import Tape


class ShapeError(ValueError):
    """An op whose operands do not fit, at a formula's position."""

    def __init__(self, message: str, expr: Expr):
        super().__init__(message)
        self.expr = expr


def evaluate(tape: Tape, expr: Expr, env: dict[str, int], budget: list[int] | None = None) -> int:
    """Record the formula ``expr`` over the named slots in ``env``; return its slot.

    ``budget`` (a one-element list) is how many values may still be allocated; each op takes its
    result's size from it before computing, and one that would overdraw it is refused.
    """
    if expr.kind == "number":
        return tape.leaf(expr.value)
    if expr.kind == "name":
        return env[expr.value]
    args = [evaluate(tape, a, env, budget) for a in expr.args]
    size = _result_size(expr, [tape.values[a].shape for a in args])
    if size > MAX_VALUES:
        raise ShapeError(f"expected at most {MAX_VALUES:,} values, found {size:,}", expr)
    if budget is not None:
        budget[0] -= size
        if budget[0] < 0:
            raise ShapeError(f"expected at most {MAX_VALUES:,} values in all the formulas, found more", expr)
    try:
        if expr.kind == "index":
            key = tuple(np.asarray(k) if isinstance(k, list) else k for k in
                        (expr.value if isinstance(expr.value, tuple) else (expr.value,)))
            return tape.apply("index", args[0], key=key)
        if expr.kind == "stack":
            return tape.apply("stack", *args)
        if expr.value in ("maximum", "minimum"):
            result = args[0]
            for arg in args[1:]:
                result = tape.apply(expr.value, result, arg)
            return result
        return tape.apply(expr.value, *args, **expr.attrs)
    except (ValueError, IndexError, TypeError, OverflowError, MemoryError) as exc:
        shapes = " and ".join("×".join(map(str, tape.values[a].shape)) or "scalar" for a in args)
        raise ShapeError(f"expected operands that fit, found {shapes} ({exc})", expr) from None


def _result_size(expr: Expr, shapes: list[tuple[int, ...]]) -> int:
    """How many values an op would produce, worked out before anything is allocated."""
    sizes = [math.prod(s) for s in shapes]
    try:
        if expr.value in ("add", "sub", "mul", "div", "pow", "maximum", "minimum"):
            return math.prod(np.broadcast_shapes(*shapes))
    except ValueError:
        return 0  # operands that do not fit: the op itself reports it
    if expr.value == "matmul" and len(shapes) == 2 and shapes[0] and shapes[1]:
        rows = math.prod(shapes[0][:-1])
        return rows * (shapes[1][-1] if len(shapes[1]) > 1 else 1)
    if expr.kind == "stack" or expr.value == "concat":
        return sum(sizes)
    return max(sizes, default=1)


class GraphProgram(Record):
    """A graph problem recorded once: named slots, the loss, and what is differentiated."""

    tape: Tape
    names: dict[str, int]  # inputs, parameters and nodes by name
    loss: losses.LossSlots | None
    penalty: int | None
    objective: int

    def leaves(self, params: dict[str, np.ndarray]) -> dict[int, np.ndarray]:
        """The parameter slots set to the given values, for a replay."""
        return {self.names[name]: value for name, value in params.items()}


Rewrite = Callable[[str, Expr], Expr]


def record(problem: GraphProblem, rewrite: Rewrite | None = None, compact: bool = False) -> GraphProgram:
    """Record the graph; ``rewrite(name, formula)`` may give the formula a node is computed with;
    ``compact`` records the loss in one step, with the same numbers (``losses.record``), for training."""
    tape = Tape()
    names = {name: tape.leaf(value, trainable=True, label=("input", name))
             for name, value in problem.inputs.items()}
    names.update({name: tape.leaf(value, trainable=True, label=("param", name))
                  for name, value in problem.params.items()})
    for spec in problem.nodes:
        expr = spec.expr if rewrite is None else rewrite(spec.name, spec.expr)
        slot = evaluate(tape, expr, names)
        if slot in tape.labels:  # a node that only names another value gets its own slot and gradient
            slot = tape.apply("identity", slot)
        names[spec.name] = slot
        tape.label(slot, ("node", spec.name))
    output = names[problem.output]
    loss = None
    if problem.loss is not None:
        prediction = tape.apply("reshape", output, shape=(1, -1))
        loss = losses.record(tape, problem.loss, prediction, np.reshape(problem.target, (1, -1)), compact=compact)
        root = loss.total
    elif problem.upstream is not None:
        root = tape.apply("sum", tape.apply("mul", output, tape.leaf(problem.upstream, label=("upstream",))))
    else:
        root = tape.apply("sum", output)
    l2 = problem.training.l2
    penalty = None
    if l2 is not None and l2.strength and problem.params:
        squares = [losses.sum_of_squares(tape, names[name]) for name in problem.params]
        penalty = losses.penalty(tape, squares, l2.strength)
        root = tape.apply("add", root, penalty)
    tape.label(root, ("objective",))
    return GraphProgram(tape, names, loss, penalty, root)
