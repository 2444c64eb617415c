"""Training past the first step: the loss before each step, the parameters and loss after the last."""

from __future__ import annotations

import math
from typing import Any, Callable

from ..engine.tape import Interpreter


PROGRESS_EVERY = 500  # steps between two reports of progress


def train(result, program, interpreter: Interpreter, after_first: Any, moments, update: Callable,
          progress: Callable[[int, int], None] | None = None) -> None:
    """Take the training steps after the first one, replaying the recorded ``program`` with the
    parameters of each step; record the loss before each step, the optimizer's state after the steps
    that are asked about, and the parameters and loss after the last.

    ``after_first`` are the parameters after the first step; ``update(params, grads)`` takes one step.
    """
    objective = program.objective
    result.history.append(float(program.tape.values[objective]))
    params = after_first
    steps = result.problem.training.steps
    kept = {step for step in _asked_steps(result.problem) if 1 < step <= steps} | {steps}
    stateful = bool(moments.optimizer.state_names)
    for step in range(2, steps + 1):
        values, grads = interpreter.run(objective, program.leaves(params))
        result.history.append(float(values[objective]))
        params = update(params, grads)
        if stateful and step in kept:
            result.moments[step] = moments.snapshot()
        if progress is not None and (step % PROGRESS_EVERY == 0 or step == steps):
            progress(step, steps)
    result.final = params
    result.final_loss = float(interpreter.forward(program.leaves(params))[objective])


def _asked_steps(problem) -> set[int]:
    """The steps whose optimizer state an expected answer asks for."""
    return {getattr(answer.address, "step", 1) for answer in problem.expected}


def training_warnings(result) -> list[str]:
    """A loss that stops being finite during training (divergence or overflow)."""
    if result.final_loss is None or math.isfinite(result.final_loss):
        return []
    steps = result.problem.training.steps
    before = next((i + 1 for i, loss in enumerate(result.history) if not math.isfinite(loss)), None)
    when = f"from step {before} on" if before else "after the last update" if steps == 1 else f"after {steps} steps"
    return [f"training diverged: the loss is not finite {when} (is the learning rate too large?)"]
