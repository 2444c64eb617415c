"""How long training would take here, estimated before it starts, so that a file cannot ask for hours.

The figures were measured on the 2-core machine the project is tested on: each recorded op costs about
8 µs per step (forward, backward and update together), each multiply-add of a matrix product about
3 ns over its three products, each value about 10 ns.
"""

from __future__ import annotations

import numpy as np

from .tape import Tape

SECONDS_PER_OP = 8e-6
SECONDS_PER_MULTIPLY_ADD = 3e-9
SECONDS_PER_VALUE = 1e-8
MAX_TRAINING_SECONDS = 30.0  # estimated; longer training is refused with the estimate in the message


def training_seconds(steps: int, ops: int, multiply_adds: int, values: int) -> float:
    """Estimated seconds for ``steps`` training steps of a computation of the given size."""
    per_step = ops * SECONDS_PER_OP + multiply_adds * SECONDS_PER_MULTIPLY_ADD + values * SECONDS_PER_VALUE
    return steps * per_step


def tape_seconds(tape: Tape, steps: int) -> float:
    """The estimate for a recorded computation."""
    multiply_adds = 0
    for step in tape.steps:
        if step.op.name.startswith("matmul"):
            left = tape.values[step.inputs[0]]
            multiply_adds += int(tape.values[step.out].size) * (left.shape[-1] if left.ndim else 1)
    values = sum(int(np.size(tape.values[step.out])) for step in tape.steps)
    return training_seconds(steps, len(tape.steps), multiply_adds, values)


def refusal(seconds: float, steps: int) -> str:
    """The message for training that would take too long."""
    most = max(1, int(steps * MAX_TRAINING_SECONDS / seconds))
    return (f"expected training that takes at most about {MAX_TRAINING_SECONDS:g} s here, found about "
            f"{seconds:,.0f} s for {steps:,} steps (at most about {most:,} steps fit)")
