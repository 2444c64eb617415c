"""The first update of one parameter entry, worked out for each optimizer: what it keeps (velocity,
moments, accumulated squares) and the new value, with the numbers put in.

The state starts at zero, so the first step's formulas are written without it (``v = g`` for PyTorch's
momentum, ``m = (1 − β1) g`` for Adam). The values shown are the engine's own, kept after step 1.
"""

from __future__ import annotations

from ..engine.optimizers import Optimizer
from .maths import Call, Node, Num, Partial, State, Sym, add, div, mul, neg, power, sub
from .solution import Step

ETA = Sym("η")


def update_steps(opt: Optimizer, rate: float, key: tuple, symbol: Sym, updated: Sym, loss: Sym, value: float,
                 grad: float, kept: dict[str, float], new: float, uses: tuple, t: int = 1) -> list[Step]:
    """The steps of one entry's first update: the decayed gradient, the state (keys ``key + (name,)``),
    then ``p'`` (key ``key``)."""
    steps: list[Step] = []
    g, gn = Partial(loss, symbol), Num(grad)
    if opt.decay and opt.name != "adamw":  # coupled weight decay: g ← g + λ p
        decayed = grad + opt.decay * value
        target = State("g", symbol)
        steps.append(Step(key + ("g",), target, add(g, mul(Num(opt.decay), symbol)),
                          add(gn, mul(Num(opt.decay), Num(value))), decayed, uses, "weight decay"))
        g, gn, uses = target, Num(decayed), (key + ("g",),)

    def state(name: str, general: Node, substituted: Node, note: str = "") -> tuple[State, Num]:
        target = State(name, symbol)
        steps.append(Step(key + (name,), target, general, substituted, kept[name], uses + tuple(
            s.key for s in steps if s.key[-1] != "g"), note))
        return target, Num(kept[name])

    p, pn = symbol, Num(value)
    if opt.name == "sgd" and not opt.momentum:  # gradient descent with weight decay
        general, substituted = sub(p, mul(ETA, g)), sub(pn, mul(Num(rate), gn))
    elif opt.name == "sgd":
        mu = Num(opt.momentum)
        if opt.form == "classical":
            v, vn = state("v", neg(mul(ETA, g)), neg(mul(Num(rate), gn)), "v starts at 0")
            if opt.nesterov:
                general = sub(add(p, mul(mu, v)), mul(ETA, g))
                substituted = sub(add(pn, mul(mu, vn)), mul(Num(rate), gn))
            else:
                general, substituted = add(p, v), add(pn, vn)
        else:
            v, vn = state("v", g, gn, "at the first step v = g")
            if opt.nesterov:
                general, substituted = sub(p, mul(ETA, add(g, mul(mu, v)))), sub(pn, mul(Num(rate), add(gn, mul(mu, vn))))
            else:
                general, substituted = sub(p, mul(ETA, v)), sub(pn, mul(Num(rate), vn))
    elif opt.name in ("rmsprop", "adagrad"):
        share = Num(1 - opt.alpha) if opt.name == "rmsprop" else None
        square, squaren = power(g, Num(2.0)), power(gn, Num(2.0))
        s, sn = state("s", square if share is None else mul(share, square),
                      squaren if share is None else mul(share, squaren), "s starts at 0")
        eps = Num(opt.epsilon)
        general = sub(p, div(mul(ETA, g), add(Call("sqrt", (s,)), eps)))
        substituted = sub(pn, div(mul(Num(rate), gn), add(Call("sqrt", (sn,)), eps)))
    else:
        beta1, beta2 = opt.betas
        m, mn = state("m", mul(Num(1 - beta1), g), mul(Num(1 - beta1), gn), "m starts at 0")
        v, vn = state("v", mul(Num(1 - beta2), power(g, Num(2.0))), mul(Num(1 - beta2), power(gn, Num(2.0))),
                      "v starts at 0")
        if opt.bias_correction:
            m_hat, m_hatn = state("m_hat", div(m, sub(Num(1.0), power(Num(beta1), Num(float(t))))),
                                  div(mn, sub(Num(1.0), power(Num(beta1), Num(float(t))))))
            v_hat, v_hatn = state("v_hat", div(v, sub(Num(1.0), power(Num(beta2), Num(float(t))))),
                                  div(vn, sub(Num(1.0), power(Num(beta2), Num(float(t))))))
        else:
            m_hat, m_hatn, v_hat, v_hatn = m, mn, v, vn
        eps = Num(opt.epsilon)
        root = Call("sqrt", (add(v_hat, eps),)) if opt.eps_inside else add(Call("sqrt", (v_hat,)), eps)
        rootn = Call("sqrt", (add(v_hatn, eps),)) if opt.eps_inside else add(Call("sqrt", (v_hatn,)), eps)
        if opt.name == "adamw" and opt.decay:  # decoupled: p ← p − η λ p first
            p = sub(symbol, mul(ETA, Num(opt.decay), symbol))
            pn = sub(Num(value), mul(Num(rate), Num(opt.decay), Num(value)))
        general = sub(p, div(mul(ETA, m_hat), root))
        substituted = sub(pn, div(mul(Num(rate), m_hatn), rootn))
    steps.append(Step(key, updated, general, substituted, new,
                      tuple(s.key for s in steps), ""))
    return steps
