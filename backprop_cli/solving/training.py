"""Training past the first step: the loss before each step, the parameters and loss after the last."""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from ..engine.tape import Interpreter


PROGRESS_EVERY = 500  # steps between two reports of progress


@np.errstate(all="ignore")  # once for every step (``Interpreter.repeated``)
def train(result, problem, kind, first, interpreter: Interpreter, after_first: Any, moments, update: Callable,
          progress: Callable[[int, int], None] | None = None) -> None:
    """Take the training steps after the first one, replaying a recorded program with the parameters
    (and, with mini-batches, the samples) of each step; record the loss before each step, the
    optimizer's state after the steps that are asked about, and the parameters and loss after the last
    (over every sample).

    ``first`` is the program of the first step and ``after_first`` the parameters after it;
    ``update(params, grads, program, interpreter)`` takes one step.
    """
    training = problem.training
    result.history.append(float(first.tape.values[first.objective]))
    params = after_first
    steps = training.steps
    kept = {step for step in _asked_steps(problem) if 1 <= step <= steps} | {steps}
    if 1 in kept:
        result.after[1] = params
    stateful = bool(moments.optimizer.state_names)
    samples = kind.samples(problem)
    programs = {len(training.batch(samples, 1)): (first, interpreter)}  # by batch size: at most two
    program, worker = first, interpreter
    passes: dict[int, Callable] = {}  # by program: its pass of a step, towards the gradients training uses
    for step in range(2, steps + 1):
        if training.batch_size is None:  # every sample, every step: the leaves as recorded
            leaves = program.leaves(params)
        else:
            batch = training.batch(samples, step)
            if len(batch) not in programs:
                recorded = kind.record(kind.batch(problem, batch), compact=True)
                programs[len(batch)] = (recorded, Interpreter(recorded.tape))
            program, worker = programs[len(batch)]
            leaves = {**program.leaves(params), **kind.batch_leaves(program, problem, batch)}
        run = passes.get(id(program))
        if run is None:
            run = passes[id(program)] = worker.repeated(program.objective, kind.trained_leaves(problem, program))
        values, grads = run(leaves)
        result.history.append(float(values[program.objective]))
        params = update(params, grads, program, worker)
        if step in kept:
            result.after[step] = params
            if stateful:
                result.moments[step] = moments.snapshot()
        if progress is not None and (step % PROGRESS_EVERY == 0 or step == steps):
            progress(step, steps)
    result.final = params
    every = first if training.batch_size is None else kind.record(problem)
    result.final_loss = float(Interpreter(every.tape).forward(every.leaves(params))[every.objective])


def _asked_steps(problem) -> set[int]:
    """The steps after which an expected answer asks for the optimizer's state or the parameters."""
    return {getattr(answer.address, "step", 1) for answer in problem.expected} | \
        {getattr(answer.address, "after", 0) for answer in problem.expected}


def training_warnings(result) -> list[str]:
    """A loss that stops being finite during training (divergence or overflow)."""
    if result.final_loss is None or math.isfinite(result.final_loss):
        return []
    steps = result.problem.training.steps
    before = next((i + 1 for i, loss in enumerate(result.history) if not math.isfinite(loss)), None)
    when = f"from step {before} on" if before else "after the last update" if steps == 1 else f"after {steps} steps"
    return [f"training diverged: the loss is not finite {when} (is the learning rate too large?)"]
