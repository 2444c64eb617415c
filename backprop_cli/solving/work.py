"""Working a problem of any kind out: the first step, exact or by another interpreter, then training.

A kind's module (``layered``, ``graph``) supplies ``record``, ``initial``, ``update``, ``lay_out`` and
``warnings``; the steps around them are the same for every kind.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..engine.optimizers import Moments
from ..engine.tape import Interpreter
from .training import train, training_warnings


@np.errstate(all="ignore")  # overflow and invalid values get the tool's own warnings
def solve(kind, problem, progress: Callable[[int, int], None] | None = None):
    """The forward and backward pass, the update, and every training step the problem asks for
    (``progress(done, total)`` is told of the steps now and then)."""
    batch = problem.training.batch(kind.samples(problem), 1)
    first = kind.batch(problem, batch)  # the problem on the first step's samples
    program = kind.record(first, compact=problem.training.steps > 1)  # replayed at every step
    interpreter = Interpreter(program.tape)
    values = program.tape.values  # recorded at the initial parameters: nothing to compute again
    grads = interpreter.backward(values, program.objective)
    moments = Moments(problem.training.optimizer)
    updated = kind.update(first, kind.initial(problem), program, grads, interpreter, moments)
    result = kind.lay_out(first, program, values, grads, updated)
    result.moments[1] = moments.snapshot()
    result.batch, result.whole = (None, None) if first is problem else (batch, problem)
    if result.trained:
        train(result, problem, kind, program, interpreter, updated, moments,
              lambda params, grads, recorded, worker: kind.update(problem, params, recorded, grads, worker, moments),
              progress)
    result.warnings.extend(kind.warnings(result))
    result.warnings.extend(training_warnings(result))
    return result


@np.errstate(all="ignore")
def replay(kind, problem, interpreter: Callable[[object], Interpreter], by_hand: bool = False, rewrite=None,
           program=None):
    """The first step worked by another interpreter of the recorded problem (``by_hand``: the loss
    taken the long way, as on a sheet; ``rewrite``: formulas of a graph changed; ``program``: the
    problem recorded already that way)."""
    if program is None:
        program = kind.record(problem, by_hand=by_hand, rewrite=rewrite)
    worker = interpreter(program)
    values, grads = worker.run(program.objective)
    moments = Moments(problem.training.optimizer)
    updated = kind.update(problem, kind.initial(problem), program, grads, worker, moments)
    result = kind.lay_out(problem, program, values, grads, updated)
    result.moments[1] = moments.snapshot()
    return result
