"""Training past the first step: the loss before each step, the parameters and loss after the last."""

from __future__ import annotations

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
