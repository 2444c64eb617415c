"""Sections every kind of problem shares: title, notation, loss, targets, training, checking."""

from __future__ import annotations

import re

import numpy as np

from ..engine.losses import TERMS
from ..engine.model import L2, NOTATIONS, Loss, Notation, Training
from ..engine.optimizers import NAMES, PLAIN, Optimizer
from .fields import Fields
from .yaml_tree import Node

NOTATION_KEYS = {"pre_activation": "pre", "activation": "act", "delta": "delta", "loss": "loss",
                 "weight": "weight", "bias": "bias", "threshold": "threshold", "input": "input",
                 "residual": "residual", "target": "target"}
MAX_STEPS = 100_000


def title(top: dict[str, Node], f: Fields) -> str:
    return (f.text(top["title"]) if "title" in top else None) or ""


def student(top: dict[str, Node], f: Fields) -> str | None:
    """``student:`` the id of the student a variant of a problem was made for (matched by ``grade``)."""
    if "student" not in top:
        return None
    value = top["student"].value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return top["student"].raw or str(value)  # ids such as 00123 stay as written
    return f.text(top["student"], "a student id")


def notation(top: dict[str, Node], f: Fields, base: Notation = Notation()) -> Notation:
    """``notation:`` a preset name, or a mapping that starts from a preset (else from ``base``, the
    convention's) and changes single symbols."""
    if "notation" not in top:
        return base
    node = top["notation"]
    if not node.is_mapping:
        return NOTATIONS.get(f.choice(node, NOTATIONS, "notation"), base)
    keys = f.keys(node, ("preset", *NOTATION_KEYS)) or {}
    if "preset" in keys:
        preset = f.choice(keys["preset"], NOTATIONS, "notation")
        base = NOTATIONS.get(preset, base)
    symbols = {NOTATION_KEYS[k]: f.text(v, "a symbol") for k, v in keys.items() if k != "preset"}
    return base._replace(**{k: v for k, v in symbols.items() if v})


def loss(node: Node | None, f: Fields, default: Loss | None = None) -> Loss | None:
    """``loss:`` a kind, or a mapping with its factor and reductions; what it leaves out comes from
    ``default`` (a convention's loss), else factor 1 and sums. No node: the default."""
    if node is None:
        return default
    base = default or Loss("")
    if isinstance(node.value, str):
        kind = f.choice(node, TERMS, "loss")
        return None if kind is None else base._replace(kind=kind)
    keys = f.keys(node, ("kind", "factor", "outputs", "samples"), required=() if default else ("kind",))
    if keys is None or not (default or "kind" in keys):
        return None
    kind = f.choice(keys["kind"], TERMS, "loss") if "kind" in keys else base.kind
    factor = f.number(keys["factor"], "a number such as 0.5 or 1/2", 0.0, exclusive=True) \
        if "factor" in keys else base.factor
    outputs = f.choice(keys["outputs"], ("sum", "mean")) if "outputs" in keys else base.outputs
    samples = f.choice(keys["samples"], ("sum", "mean")) if "samples" in keys else base.samples
    if None in (kind, factor, outputs, samples):
        return None
    return Loss(kind, factor, outputs, samples)


def check_targets(node: Node, targets: np.ndarray, loss: Loss, f: Fields) -> None:
    """Targets a cross-entropy loss can take."""
    if loss.kind != "squared_error" and ((targets < 0).any() or (
            loss.kind == "binary_cross_entropy" and (targets > 1).any())):
        bound = "between 0 and 1" if loss.kind == "binary_cross_entropy" else "at least 0"
        f.error(node, f"expected targets {bound} for {loss.kind}, found {targets.min():g}..{targets.max():g}")


def training(top: dict[str, Node], f: Fields) -> Training:
    """``train:`` learning rate, steps and L2 penalty (no updates without it)."""
    if "train" not in top:
        return Training()
    keys = f.keys(top["train"], ("learning_rate", "steps", "l2", "optimizer", "batch_size", "epochs", "shuffle"),
                  required=("learning_rate",)) or {}
    rate = f.number(keys["learning_rate"], "a learning rate", 0.0) if "learning_rate" in keys else None
    steps = f.integer(keys["steps"], "a number of steps", 1, MAX_STEPS) if "steps" in keys else 1
    l2 = None
    if "l2" in keys:
        l2_node = keys["l2"]
        if l2_node.is_mapping:
            l2_keys = f.keys(l2_node, ("lambda", "include_bias"), required=("lambda",)) or {}
            strength = f.number(l2_keys["lambda"], "a penalty strength", 0.0) if "lambda" in l2_keys else None
            include = f.boolean(l2_keys["include_bias"]) if "include_bias" in l2_keys else False
            l2 = None if strength is None else L2(strength, bool(include))
        else:
            strength = f.number(l2_node, "a penalty strength or {lambda: ..., include_bias: ...}", 0.0)
            l2 = None if strength is None else L2(strength)
    optimizer = _optimizer(keys["optimizer"], f) if "optimizer" in keys else PLAIN
    batch_size = f.integer(keys["batch_size"], "a batch size", 1) if "batch_size" in keys else None
    epochs = f.integer(keys["epochs"], "a number of epochs", 1, MAX_STEPS) if "epochs" in keys else None
    seed = None
    if "shuffle" in keys:
        shuffle = f.keys(keys["shuffle"], ("seed",), required=("seed",)) or {}
        seed = f.integer(shuffle["seed"], "a seed", 0, 2**32 - 1) if "seed" in shuffle else None
    for key in ("epochs", "shuffle"):
        if key in keys and "batch_size" not in keys:
            f.error(keys[key], f"expected a batch_size with {key} (without one, every step takes every sample)")
    if "epochs" in keys and "steps" in keys:
        f.error(keys["epochs"], "expected steps or epochs, not both (an epoch is one pass over the samples)")
    return Training(rate or 0.0, steps or 1, l2, optimizer or PLAIN, batch_size, epochs, seed)


def batches(training: Training, samples: int, node: Node, f: Fields) -> Training:
    """The training with its steps counted from the epochs, once the number of samples is known."""
    if training.batch_size is None:
        return training
    if training.batch_size > samples:
        f.error(node, f"expected a batch_size of at most {samples} (the samples), found {training.batch_size}")
        return training
    if training.epochs is None:
        return training
    steps = training.epochs * -(-samples // training.batch_size)
    if steps > MAX_STEPS:
        f.error(node, f"expected at most {MAX_STEPS:,} steps in all, found {steps:,} ({training.epochs} epochs)")
        return training
    return training._replace(steps=steps)


OPTIMIZER_SETTINGS = {  # the settings each optimizer takes, besides its name and weight_decay
    "sgd": ("momentum", "dampening", "nesterov", "form"),
    "rmsprop": ("alpha", "eps"),
    "adagrad": ("eps",),
    "adam": ("betas", "eps", "bias_correction", "eps_inside"),
    "adamw": ("betas", "eps", "bias_correction", "eps_inside"),
}


def _optimizer(node: Node, f: Fields) -> Optimizer | None:
    """``optimizer:`` a name (``adam``), or a mapping with the name and PyTorch's settings."""
    if not node.is_mapping:
        name = f.choice(node, NAMES)
        return None if name is None else Optimizer(name)
    every = dict.fromkeys(s for names in OPTIMIZER_SETTINGS.values() for s in names)
    keys = f.keys(node, ("name", "weight_decay", *every), required=("name",)) or {}
    name = f.choice(keys["name"], NAMES) if "name" in keys else None
    if name is None:
        return None
    settings = {}
    for key, value in keys.items():
        if key == "name":
            continue
        if key != "weight_decay" and key not in OPTIMIZER_SETTINGS[name]:
            f.error(value, f"'{key}' is not a setting of {name}: expected one of "
                           f"{', '.join(('weight_decay', *OPTIMIZER_SETTINGS[name]))}")
        elif key in ("nesterov", "bias_correction", "eps_inside"):
            settings[key] = f.boolean(value)
        elif key == "form":
            settings[key] = f.choice(value, ("pytorch", "classical"))
        elif key == "betas":
            settings[key] = _betas(value, f)
        elif key == "eps":
            settings[key] = f.number(value, "an epsilon", 0.0, exclusive=True)
        else:
            settings[key] = f.number(value, f"a {key.replace('_', ' ')}", 0.0)
    for key in ("momentum", "dampening", "alpha"):
        if settings.get(key) is not None and settings[key] >= 1:
            f.error(keys[key], f"expected {key} below 1, found {settings[key]:g}")
            settings[key] = None
    if settings.get("nesterov") and not settings.get("momentum"):
        f.error(keys["nesterov"], "expected a momentum with nesterov: true (Nesterov momentum needs one)")
    elif settings.get("nesterov") and settings.get("dampening"):
        f.error(keys["dampening"], "expected no dampening with nesterov: true (as PyTorch requires)")
    for key in ("dampening", "form"):
        if settings.get(key) not in (None, 0, 0.0, "pytorch") and not settings.get("momentum"):
            f.error(keys[key], f"expected a momentum with {key} (it changes only how momentum is kept)")
    if settings.get("dampening") and settings.get("form") == "classical":
        f.error(keys["dampening"], "expected no dampening with form: classical (dampening is PyTorch's)")
    if None in settings.values():
        return None
    return Optimizer(name, **settings)


def _betas(node: Node, f: Fields) -> tuple[float, float] | None:
    items = node.value if node.is_sequence else None
    if items is None or len(items) != 2:
        f.error(node, f"expected two numbers [beta1, beta2], found {node.describe()}")
        return None
    betas = [f.number(item, "a beta", 0.0) for item in items]
    if None in betas:
        return None
    if max(betas) >= 1:
        f.error(node, f"expected betas below 1, found {betas[0]:g}, {betas[1]:g}")
        return None
    return betas[0], betas[1]


def conventions(top: dict[str, Node], f: Fields, notation: Notation, delta_sign: float = 1.0) -> Notation:
    """``conventions: {delta: -dL/dz}``: the sign of the error term δ the sheet uses (else
    ``delta_sign``, the convention's)."""
    notation = notation._replace(delta_sign=delta_sign)
    if "conventions" not in top:
        return notation
    keys = f.keys(top["conventions"], ("delta",), required=("delta",)) or {}
    if "delta" not in keys:
        return notation
    node = keys["delta"]
    text = str(node.value).replace(" ", "").replace("−", "-").replace("∂", "d")
    loss, pre = f"d({re.escape(notation.loss)}|L)", f"d({re.escape(notation.pre)}|z)"
    match = re.fullmatch(f"(-?){loss}/{pre}", text)
    if match is None:
        f.error(node, f"expected dL/dz or -dL/dz (as d{notation.loss}/d{notation.pre}), found {node.describe()}")
        return notation
    return notation._replace(delta_sign=-1.0 if match.group(1) else 1.0)


def check_settings(top: dict[str, Node], f: Fields):
    """The ``check:`` settings, or None (imported only by files that have them)."""
    if "check" not in top:
        return None
    from . import answers
    return answers.read_settings(top["check"], f)


def expected(problem, top: dict[str, Node], f: Fields, resolver: str) -> None:
    """The ``expected:`` answers, each address resolved against the built problem by the function of
    ``addresses`` named ``resolver`` (imported only by files that have answers); an answer that cannot
    be read is kept, with its reason, in ``problem.unreadable``."""
    if "expected" in top:
        from . import addresses, answers
        problem.expected, problem.unreadable = answers.read_answers(top["expected"], problem, f,
                                                                    getattr(addresses, resolver))
        f.raise_if_any()
