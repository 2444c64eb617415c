"""Every op in the registry: its VJP for every input against central differences."""

from __future__ import annotations

import numpy as np
import pytest

from backprop_cli.engine.ops import OPS
from conftest import central_difference

# Inputs for each op, chosen away from kinks and outside each function's forbidden domain.
CASES = {
    "add": lambda r: [r.normal(size=(3, 4)), r.normal(size=(4,))],
    "sub": lambda r: [r.normal(size=(3, 1)), r.normal(size=(3, 4))],
    "mul": lambda r: [r.normal(size=(3, 4)), r.normal(size=(1, 4))],
    "div": lambda r: [r.normal(size=(3, 4)), r.uniform(0.5, 2.0, size=(3, 4))],
    "neg": lambda r: [r.normal(size=(2, 3))],
    "pow": lambda r: [r.uniform(0.5, 2.0, size=(3,)), r.uniform(-1.5, 2.5, size=(3,))],
    "matmul": lambda r: [r.normal(size=(3, 4)), r.normal(size=(4, 2))],
    "matmul_t": lambda r: [r.normal(size=(3, 4)), r.normal(size=(2, 4))],
    "transpose": lambda r: [r.normal(size=(3, 4))],
    "sum": lambda r: [r.normal(size=(3, 4))],
    "mean": lambda r: [r.normal(size=(3, 4))],
    "take": lambda r: [r.normal(size=(5,))],
    "mask": lambda r: [r.normal(size=(3, 4))],
    "assemble": lambda r: [r.normal(size=(2, 3)), r.normal(size=(2,))],
    "concat": lambda r: [r.normal(size=(2, 3)), r.normal(size=(2, 2))],
    "index": lambda r: [r.normal(size=(3, 4))],
    "stack": lambda r: [r.normal(size=(3,)), r.normal(size=(3,))],
    "reshape": lambda r: [r.normal(size=(2, 3))],
    "max": lambda r: [r.permutation(12).reshape(3, 4) + r.uniform(0, 0.5, size=(3, 4))],
    "min": lambda r: [r.permutation(12).reshape(3, 4) + r.uniform(0, 0.5, size=(3, 4))],
    "maximum": lambda r: [r.normal(size=(3, 4)), r.normal(size=(4,))],
    "minimum": lambda r: [r.normal(size=(3, 4)), r.normal(size=(4,))],
    "exp": lambda r: [r.normal(size=(4,))],
    "sin": lambda r: [r.normal(size=(4,))],
    "cos": lambda r: [r.normal(size=(4,))],
    "tan": lambda r: [r.uniform(-1.2, 1.2, size=(4,))],
    "square": lambda r: [r.normal(size=(3, 4))],
    "log": lambda r: [r.uniform(0.2, 3.0, size=(4,))],
    "sqrt": lambda r: [r.uniform(0.2, 3.0, size=(4,))],
    "abs": lambda r: [r.choice([-1, 1], size=4) * r.uniform(0.2, 2.0, size=4)],
    "identity": lambda r: [r.normal(size=(3, 4))],
    "sigmoid": lambda r: [r.normal(scale=3, size=(3, 4))],
    "tanh": lambda r: [r.normal(size=(3, 4))],
    "relu": lambda r: [r.choice([-1, 1], size=(3, 4)) * r.uniform(0.1, 2.0, size=(3, 4))],
    "leaky_relu": lambda r: [r.choice([-1, 1], size=(3, 4)) * r.uniform(0.1, 2.0, size=(3, 4))],
    "softplus": lambda r: [r.normal(scale=3, size=(3, 4))],
    "elu": lambda r: [r.choice([-1, 1], size=(3, 4)) * r.uniform(0.1, 2.0, size=(3, 4))],
    "softmax": lambda r: [r.normal(size=(3, 4))],
    "square_diff": lambda r: [r.normal(size=(3, 4)), r.normal(size=(3, 4))],
    "bce": lambda r: [r.uniform(0.1, 0.9, size=(3, 4)), r.uniform(0, 1, size=(3, 4))],
    "bce_logits": lambda r: [r.normal(scale=3, size=(3, 4)), r.uniform(0, 1, size=(3, 4))],
    "cce": lambda r: [r.uniform(0.1, 0.9, size=(3, 4)), r.uniform(0, 1, size=(3, 4))],
    "softmax_cce": lambda r: [r.normal(size=(3, 4)), r.dirichlet(np.ones(4), size=3)],
    "loss": lambda r: [r.uniform(0.1, 0.9, size=(3, 4)), r.uniform(0, 1, size=(3, 4))],
}
ATTRS = {
    "sum": [{"axis": None}, {"axis": 0}, {"axis": 1, "keepdims": True}],
    "mean": [{"axis": None}, {"axis": 1}],
    "take": [{"index": np.array([[4, 0], [0, 2]])}, {"index": np.array([2, 4, 3, 0, 1])}],
    "concat": [{"axis": 1}],
    "mask": [{"keep": np.array([1.0, 0.0, 1.0, 1.0])}],
    # a weight matrix using shared scalar 0 at (0, 1) and (1, 2), scalar 1 at (1, 0), its own entry
    # at (0, 0) and no connection at (0, 2)
    "assemble": [{"keep": np.array([[1.0, 0, 0], [0, 1.0, 0]]), "index": np.array([[0, 0, 0], [1, 0, 0]]),
                  "where": np.array([[0, 1.0, 0], [1.0, 0, 1.0]])}],
    "index": [{"key": (1, slice(0, 3))}, {"key": (np.array([2, 0, 2]),)}, {"key": (slice(None), 2)}],
    "reshape": [{"shape": (3, 2)}, {"shape": (6,)}],
    "max": [{"axis": None}, {"axis": 0}, {"axis": 1}],
    "min": [{"axis": None}, {"axis": 1}],
    "leaky_relu": [{}, {"slope": 0.2}],
    "elu": [{}, {"alpha": 0.5}],
    "loss": [{"term": "square_diff"}, {"term": "square_diff", "outputs": "mean", "samples": "mean", "factor": 0.5},
             {"term": "bce", "factor": 2.0}, {"term": "bce_logits", "outputs": "mean"},
             {"term": "cce", "samples": "mean"}, {"term": "softmax_cce", "factor": 0.25}],
}


def test_every_op_has_a_case():
    assert set(CASES) == set(OPS)


@pytest.mark.parametrize("name", sorted(OPS))
def test_vjp_matches_central_differences(name, rng):
    op = OPS[name]
    for attrs in ATTRS.get(name, [{}]):
        inputs = CASES[name](rng)
        out = op.forward(*inputs, **attrs)
        weights = rng.normal(size=np.shape(out))  # a random upstream gradient

        for i in range(len(inputs)):
            def scalar(x, i=i):
                args = list(inputs)
                args[i] = x
                return float(np.sum(weights * op.forward(*args, **attrs)))

            analytic = op.vjp(i)(weights, out, *inputs, **attrs)
            numeric = central_difference(scalar, inputs[i])
            assert np.shape(analytic) == np.shape(inputs[i])
            np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8,
                                       err_msg=f"{name} input {i + 1} {attrs}")


@pytest.mark.parametrize("z", [-800.0, -40.0, 0.0, 40.0, 800.0])
def test_stable_forms_stay_finite_for_large_inputs(z):
    values = np.array([z])
    for name in ("sigmoid", "softplus", "elu", "softmax"):
        assert np.isfinite(OPS[name].forward(values)).all(), name
    # softplus(z) - y z is the exact BCE of sigmoid(z); at |z| = 800 it is |z| or 0
    assert OPS["bce_logits"].forward(values, np.array([0.0]))[0] == pytest.approx(max(z, 0.0) + np.log1p(np.exp(-abs(z))))
    assert np.isfinite(OPS["softmax_cce"].forward(np.array([[z, 0.0]]), np.array([[0.0, 1.0]]))).all()


def test_ties_share_the_gradient_of_max_and_maximum():
    a = np.array([1.0, 3.0, 3.0])
    assert OPS["max"].vjp(0)(np.array(1.0), np.array(3.0), a).tolist() == [0.0, 0.5, 0.5]
    assert OPS["maximum"].vjp(0)(np.ones(3), a, a, a).tolist() == [0.5, 0.5, 0.5]


def test_missing_gradient_rule_names_the_op():
    with pytest.raises(NotImplementedError, match="'neg' has no gradient rule for input 2"):
        OPS["neg"].vjp(1)
