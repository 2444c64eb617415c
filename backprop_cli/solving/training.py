"""Training past the first step: the loss before each step, the parameters and loss after the last."""

from __future__ import annotations

import math
from typing import Any, Callable


def train(result, first_loss: float, after_first: Any, step: Callable, loss_at: Callable) -> None:
    """Take the steps after the first one and record them in ``result``.

    ``step(params)`` returns (loss before, parameters after); ``loss_at(params)`` the loss there.
    """
    result.history.append(first_loss)
    params = after_first
    for _ in range(result.problem.training.steps - 1):
        loss, params = step(params)
        result.history.append(loss)
    result.final = params
    result.final_loss = loss_at(params)


def training_warnings(result) -> list[str]:
    """A loss that stops being finite during training (divergence or overflow)."""
    if result.final_loss is None or math.isfinite(result.final_loss):
        return []
    steps = result.problem.training.steps
    before = next((i + 1 for i, loss in enumerate(result.history) if not math.isfinite(loss)), None)
    when = f"from step {before} on" if before else "after the last update" if steps == 1 else f"after {steps} steps"
    return [f"training diverged: the loss is not finite {when} (is the learning rate too large?)"]
