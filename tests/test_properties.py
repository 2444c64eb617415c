"""Property tests: random networks in every convention agree with autograd and central differences."""

from __future__ import annotations

import numpy as np
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from backprop_cli import loads, solve
from agreement import assert_agrees
from conftest import central_difference
from reference import arguments, objective

KINKED = {"relu", "leaky_relu", "elu"}
SMOOTH = ["identity", "sigmoid", "tanh", "softplus"]
ALL = SMOOTH + ["relu", {"name": "leaky_relu", "slope": 0.1}, {"name": "elu", "alpha": 0.7}]

small = st.floats(-1.5, 1.5, allow_nan=False).map(lambda v: round(v, 3))


@st.composite
def problems(draw) -> dict:
    """A random problem file (as a dict) using a random mix of the format's conventions."""
    orientation = draw(st.sampled_from(["out_in", "in_out"]))
    folded = draw(st.booleans())
    inputs = draw(st.integers(1, 3))
    sizes = draw(st.lists(st.integers(1, 3), min_size=1, max_size=3))
    loss_kind = draw(st.sampled_from(["squared_error", "binary_cross_entropy", "categorical_cross_entropy"]))
    if loss_kind == "categorical_cross_entropy":
        sizes[-1] = max(sizes[-1], 2)
    shared = {"p": draw(small), "q": draw(small)}
    doc: dict = {"parameters": {"p": shared["p"], "q": {"value": shared["q"], "frozen": draw(st.booleans())}}}
    layers, fan_in = [], inputs
    for index, units in enumerate(sizes):
        last = index == len(sizes) - 1
        rows, cols = (units, fan_in + folded) if orientation == "out_in" else (fan_in + folded, units)
        entry = st.one_of(small, small, small, st.sampled_from([None, "p", "q"]))
        weights = draw(st.lists(st.lists(entry, min_size=cols, max_size=cols), min_size=rows, max_size=rows))
        layer: dict = {"units": units, "weights": weights}
        if last and loss_kind == "binary_cross_entropy":
            layer["activation"] = "sigmoid"
        elif last and loss_kind == "categorical_cross_entropy":
            layer["activation"] = "softmax"
        elif draw(st.booleans()):
            layer["activation"] = draw(st.lists(st.sampled_from(ALL), min_size=units, max_size=units))
        else:
            layer["activation"] = draw(st.sampled_from(ALL))
        if not folded:
            form = draw(st.sampled_from(["vector", "fill", "name", "sugar", "none", "threshold"]))
            value = {"vector": draw(st.lists(small, min_size=units, max_size=units)), "fill": draw(small),
                     "name": "p", "sugar": {"shared": draw(small)}, "none": None,
                     "threshold": draw(st.lists(small, min_size=units, max_size=units))}[form]
            if value is not None:
                layer["threshold" if form == "threshold" else "bias"] = value
        frozen = draw(st.sampled_from([[], ["weights"], ["bias"], ["threshold"], True]))
        if frozen and (frozen is True or frozen[0] in layer):
            layer["frozen"] = frozen
        layers.append(layer)
        fan_in = units
    samples = draw(st.integers(1, 3))
    samples_are = draw(st.sampled_from(["rows", "columns"]))
    x = [[draw(small) for _ in range(inputs)] for _ in range(samples)]
    if loss_kind == "squared_error":
        y = [[draw(small) for _ in range(sizes[-1])] for _ in range(samples)]
    elif loss_kind == "binary_cross_entropy":
        y = [[draw(st.sampled_from([0.0, 0.25, 1.0])) for _ in range(sizes[-1])] for _ in range(samples)]
    else:
        y = [[float(v) for v in np.eye(sizes[-1])[draw(st.integers(0, sizes[-1] - 1))]] for _ in range(samples)]
    if samples_are == "columns":
        x, y = [list(r) for r in zip(*x)], [list(r) for r in zip(*y)]
    doc.update({
        "network": {"inputs": inputs, "orientation": orientation, "fold_bias": folded, "layers": layers},
        "samples_are": samples_are, "input": x, "target": y,
        "loss": {"kind": loss_kind, "factor": draw(st.sampled_from([1, 0.5, 2])),
                 "outputs": draw(st.sampled_from(["sum", "mean"])),
                 "samples": draw(st.sampled_from(["sum", "mean"]))},
        "train": {"learning_rate": draw(st.sampled_from([0.1, 0.5, 1.0]))},
    })
    if draw(st.booleans()):
        doc["train"]["l2"] = {"lambda": draw(st.sampled_from([0.01, 0.1])), "include_bias": draw(st.booleans())}
    return doc


def _away_from_kinks(result) -> bool:
    for layer in result.layers:
        kinked = np.array([a.name in KINKED for a in layer.activations])
        if kinked.any() and (np.abs(layer.pre[:, np.broadcast_to(kinked, (layer.units,))]) < 1e-3).any():
            return False
    return True


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_random_networks_agree_with_autograd_and_central_differences(doc):
    problem = loads(yaml.safe_dump(doc), "random.yaml")
    result = solve(problem)
    assume(_away_from_kinks(result))
    assume(np.isfinite(result.loss.value))
    assert_agrees(problem, result)

    args = arguments(problem)
    for i, layer in enumerate(result.layers):
        def loss_of(w, i=i):
            moved = [list(a) if isinstance(a, list) else a for a in args]
            moved[0][i] = w
            return float(objective(problem, *moved))

        numeric = central_difference(loss_of, args[0][i], h=1e-5)
        own = layer.weights.entries.own_mask
        own = np.ones(numeric.shape, bool) if own is None else own
        np.testing.assert_allclose(layer.weights.grad[own], numeric[own], rtol=1e-6, atol=1e-8)
        rate = problem.training.learning_rate
        expected = layer.weights.value[own] if layer.weights.frozen else \
            layer.weights.value[own] - rate * layer.weights.grad[own]
        np.testing.assert_allclose(layer.weights.updated[own], expected, rtol=1e-12, atol=1e-15)
