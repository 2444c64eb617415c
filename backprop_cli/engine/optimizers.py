"""Optimizers: the update rule of each training step, with PyTorch's names and defaults.

Every rule takes a parameter, its gradient g and the state it keeps for that parameter, and gives the
new value (η is the learning rate, t the step, counted from 1):

- ``sgd``: p ← p − η g. With ``momentum`` μ, in PyTorch's form: b ← g at the first step, then
  b ← μ b + (1 − dampening) g, and p ← p − η b (Nesterov: p ← p − η (g + μ b)); in the classical
  form: v ← μ v − η g, p ← p + v (Nesterov: p ← p + μ v − η g).
- ``rmsprop``: s ← α s + (1 − α) g², p ← p − η g / (√s + ε).
- ``adagrad``: s ← s + g², p ← p − η g / (√s + ε).
- ``adam``: m ← β1 m + (1 − β1) g, v ← β2 v + (1 − β2) g², m̂ = m / (1 − β1^t), v̂ = v / (1 − β2^t),
  p ← p − η m̂ / (√v̂ + ε); ``bias_correction: false`` uses m and v themselves, ``eps_inside: true``
  divides by √(v̂ + ε).
- ``adamw``: Adam with the weight decay λ decoupled: p ← p − η λ p before the Adam step.

``weight_decay`` λ for the others is coupled, as in PyTorch: g ← g + λ p before the rule.
"""

from __future__ import annotations

import math
from functools import cached_property

import numpy as np

from .record import Fresh, Record

NAMES = ("sgd", "rmsprop", "adagrad", "adam", "adamw")
STATE = {"sgd": ("v",), "rmsprop": ("s",), "adagrad": ("s",), "adam": ("m", "v", "m_hat", "v_hat"),
         "adamw": ("m", "v", "m_hat", "v_hat")}  # what each keeps (and shows) per parameter


class Optimizer(Record):
    """The update rule and its settings (PyTorch's defaults)."""

    name: str = "sgd"
    momentum: float = 0.0
    dampening: float = 0.0
    nesterov: bool = False
    form: str = "pytorch"  # momentum as PyTorch writes it, or "classical" (v ← μ v − η g, p ← p + v)
    alpha: float = 0.99
    eps: float | None = None  # None: the optimizer's own default
    betas: tuple[float, float] = (0.9, 0.999)
    weight_decay: float | None = None  # None: 0.01 for adamw, else 0
    bias_correction: bool = True
    eps_inside: bool = False
    first_step: int = 1  # the number t of the first step taken (more than 1 for training resumed)

    @property
    def epsilon(self) -> float:
        if self.eps is not None:
            return self.eps
        return 1e-10 if self.name == "adagrad" else 1e-8

    @property
    def decay(self) -> float:
        if self.weight_decay is not None:
            return self.weight_decay
        return 0.01 if self.name == "adamw" else 0.0

    @cached_property  # asked at every step of training
    def plain(self) -> bool:
        """Plain gradient descent: no state, no decay."""
        return self.name == "sgd" and self.momentum == 0 and self.decay == 0

    @property
    def state_names(self) -> tuple[str, ...]:
        if self.name == "sgd":
            return ("v",) if self.momentum else ()
        return STATE[self.name]


PLAIN = Optimizer()  # gradient descent, the default


class Moments(Record):
    """The state an optimizer keeps, per parameter, and the number of steps taken."""

    optimizer: Optimizer
    state: dict = Fresh(dict)  # parameter key -> {name: array}
    t: int = 0  # the steps taken (the first counts as optimizer.first_step)

    def snapshot(self) -> dict:
        """A copy of the state now: parameter key -> {name: array}."""
        return {key: {name: np.array(value, copy=True) for name, value in kept.items()}
                for key, kept in self.state.items()}


def step(moments: Moments, key, rate: float, value: np.ndarray, grad: np.ndarray,
         moving: np.ndarray | None = None) -> np.ndarray:
    """The parameter after one step of the optimizer (``moments.t`` is this step's number; entries
    where ``moving`` is False keep their value and state)."""
    opt = moments.optimizer
    if opt.plain:
        moved = grad * -rate  # one new array, then in place: value - rate * grad
        moved += value
        return moved if moving is None else np.where(moving, moved, value)
    kept = moments.state.setdefault(key, {})
    g = grad + opt.decay * value if opt.decay and opt.name != "adamw" else grad
    new, updates = _RULES[opt.name](opt, moments.t + opt.first_step - 1, rate, value, g, kept)
    if moving is not None:
        new = np.where(moving, new, value)
        updates = {name: np.where(moving, array, kept.get(name, np.zeros_like(array)))
                   for name, array in updates.items()}
    kept.update(updates)
    return new


def _sgd(opt: Optimizer, t: int, rate: float, value, g, kept):
    mu = opt.momentum
    if not mu:
        return value - rate * g, {}
    if opt.form == "classical":
        v = mu * kept.get("v", np.zeros_like(g)) - rate * g
        new = value + mu * v - rate * g if opt.nesterov else value + v
        return new, {"v": v}
    v = g if "v" not in kept else mu * kept["v"] + (1 - opt.dampening) * g
    direction = g + mu * v if opt.nesterov else v
    return value - rate * direction, {"v": v}


def _rmsprop(opt: Optimizer, t: int, rate: float, value, g, kept):
    s = opt.alpha * kept.get("s", np.zeros_like(g)) + (1 - opt.alpha) * g * g
    return value - rate * g / (np.sqrt(s) + opt.epsilon), {"s": s}


def _adagrad(opt: Optimizer, t: int, rate: float, value, g, kept):
    s = kept.get("s", np.zeros_like(g)) + g * g
    return value - rate * g / (np.sqrt(s) + opt.epsilon), {"s": s}


def _adam(opt: Optimizer, t: int, rate: float, value, g, kept):
    beta1, beta2 = opt.betas
    if opt.name == "adamw" and opt.decay:
        value = value - rate * opt.decay * value
    m = beta1 * kept.get("m", np.zeros_like(g)) + (1 - beta1) * g
    v = beta2 * kept.get("v", np.zeros_like(g)) + (1 - beta2) * g * g
    if opt.bias_correction:
        m_hat, v_hat = m / (1 - math.pow(beta1, t)), v / (1 - math.pow(beta2, t))
    else:
        m_hat, v_hat = m, v
    denominator = np.sqrt(v_hat + opt.epsilon) if opt.eps_inside else np.sqrt(v_hat) + opt.epsilon
    return value - rate * m_hat / denominator, {"m": m, "v": v, "m_hat": m_hat, "v_hat": v_hat}


_RULES = {"sgd": _sgd, "rmsprop": _rmsprop, "adagrad": _adagrad, "adam": _adam, "adamw": _adam}
