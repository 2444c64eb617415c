"""The planned replay (``Replay``, ``Descent``) gives what the general interpreter gives, bit for bit:
every value and every gradient, of the same type, dtype and shape, on every problem file, on every op
and on random graphs. (How fast it is, is bench/train.py's business.)"""

from __future__ import annotations

import numpy as np
import pytest

from backprop_cli import load, solve
from backprop_cli.engine import losses
from backprop_cli.engine.model import Loss
from backprop_cli.engine.ops import OPS
from backprop_cli.engine.tape import Descent, Interpreter, Replay, Tape
from backprop_cli.solving.kinds import kind_of
from conftest import PROBLEM_FILES, PROBLEMS
from test_ops import ATTRS, CASES


class General(Interpreter):
    """The exact interpreter kept on its general path (a hook could be set at any time)."""

    def exact(self) -> bool:
        return False


def general(tape: Tape, root: int, leaves=None):
    return General(tape).run(root, leaves)


def planned(tape: Tape, root: int, leaves=None):
    """The same run through the plans, which a tape makes the second time they are asked for."""
    interpreter = Interpreter(tape)
    first = interpreter.run(root, leaves)  # asked for once: not planned yet
    assert isinstance(tape.replay(), Replay) and isinstance(tape.descent(root), Descent)
    assert_same(first, interpreter.run(root, leaves))
    return interpreter.run(root, leaves)


def same(a, b) -> bool:
    """Both None, or of one type, dtype and shape with the same bytes (NaNs, signed zeros and all)."""
    if a is None or b is None:
        return a is b
    return (type(a) is type(b) and np.shape(a) == np.shape(b) and np.asarray(a).dtype == np.asarray(b).dtype
            and np.asarray(a).tobytes() == np.asarray(b).tobytes())


def assert_same(expected, found) -> None:
    (values, grads), (fast_values, fast_grads) = expected, found
    assert len(values) == len(fast_values) and len(grads) == len(fast_grads)
    for slot, (a, b) in enumerate(zip(values, fast_values)):
        assert same(a, b), f"value of slot {slot}: {a!r} != {b!r}"
    for slot, (a, b) in enumerate(zip(grads, fast_grads)):
        assert same(a, b), f"gradient of slot {slot}: {a!r} != {b!r}"


def moved(tape: Tape, rng) -> dict[int, np.ndarray]:
    """New values for every parameter leaf, as a training step would give."""
    return {slot: tape.values[slot] + rng.normal(scale=0.1, size=np.shape(tape.values[slot]))
            for slot in tape.parameters}


@pytest.mark.parametrize("path", PROBLEM_FILES, ids=lambda p: str(p.relative_to(PROBLEMS)))
def test_every_problem_file_replays_bit_for_bit(path, rng):
    problem = load(str(path))
    for by_hand in (False, True):
        program = kind_of(problem).parts().record(problem, by_hand=by_hand)
        tape, root = program.tape, program.objective
        for leaves in (None, moved(tape, rng)):
            assert_same(general(tape, root, leaves), planned(tape, root, leaves))
        values = tape.values  # solve's first step: the recorded values, then backward alone
        assert_same((values, General(tape).backward(values, root)), (values, Interpreter(tape).backward(values, root)))


@pytest.mark.parametrize("path", PROBLEM_FILES, ids=lambda p: str(p.relative_to(PROBLEMS)))
def test_training_gives_the_same_numbers_either_way(path, monkeypatch):
    problem = load(str(path))
    rate = problem.training.learning_rate or 0.1  # a file that asks for no training is trained all the same
    problem = problem._replace(training=problem.training._replace(learning_rate=rate, steps=6))
    fast = solve(problem)
    with monkeypatch.context() as patch:
        patch.setattr(Interpreter, "exact", lambda self: False)
        slow = solve(problem)
    assert len(fast.history) == 6
    assert [float(x).hex() for x in fast.history] == [float(x).hex() for x in slow.history]
    assert float(fast.final_loss).hex() == float(slow.final_loss).hex()
    final, expected = _arrays(fast.final), _arrays(slow.final)
    assert len(final) == len(expected) and all(same(a, b) for a, b in zip(final, expected))


def _arrays(params) -> list:
    if isinstance(params, dict):
        return [params[name] for name in sorted(params)]
    return [*params.weights, *params.biases, params.shared]


@pytest.mark.parametrize("name", sorted(OPS))
def test_every_op_replays_bit_for_bit(name, rng):
    for attrs in ATTRS.get(name, [{}]):
        tape = Tape()
        inputs = [tape.leaf(x, trainable=True) for x in CASES[name](rng)]
        out = tape.apply(name, *inputs, **attrs)
        weights = tape.leaf(rng.normal(size=np.shape(tape.values[out])))
        root = tape.apply("sum", tape.apply("mul", out, weights))
        for slot in inputs:  # every input used again, so that gradients add up
            root = tape.apply("add", root, tape.apply("sum", tape.apply("mul", slot, slot)))
        for leaves in (None, moved(tape, rng)):
            assert_same(general(tape, root, leaves), planned(tape, root, leaves))


SHAPES = ((), (3,), (2, 3))  # any two broadcast together
UNARY = ("neg", "exp", "log", "sqrt", "abs", "identity", "sigmoid", "tanh", "relu", "leaky_relu", "softplus", "elu")
BINARY = ("add", "sub", "mul", "div", "pow", "maximum", "minimum", "square_diff", "bce_logits")
LOSS_TERMS = ("square_diff", "bce_logits")
SPECIAL = (0.0, -0.0, np.inf, -np.inf, np.nan, 1e308, -5e-324, 800.0, -800.0)


def _numbers(rng, shape) -> np.ndarray:
    values = rng.normal(scale=2.0, size=shape)
    if rng.random() < 0.2:  # now and then the values where the stable forms and the kinks matter
        values = np.where(rng.random(shape) < 0.5, rng.choice(SPECIAL, size=shape), values)
    return np.asarray(values, dtype=float)


def random_graph(rng) -> tuple[Tape, int]:
    """A random computation: a few leaves, most of them parameters, and ops on randomly chosen earlier
    slots (the same slot often several times), summed into a scalar."""
    tape = Tape()
    slots = [tape.leaf(_numbers(rng, SHAPES[rng.integers(3)]), trainable=bool(rng.random() < 0.8))
             for _ in range(rng.integers(2, 5))]
    for _ in range(rng.integers(4, 20)):
        a, b = (slots[int(i)] for i in rng.integers(len(slots), size=2))
        draw = rng.random()
        if draw < 0.35:
            name = UNARY[rng.integers(len(UNARY))]
            attrs = {"slope": 0.2} if name == "leaky_relu" else {"alpha": 0.5} if name == "elu" else {}
            slots.append(tape.apply(name, a, **attrs))
        elif draw < 0.85:
            name = BINARY[rng.integers(len(BINARY))]
            if name in LOSS_TERMS and np.shape(tape.values[a]) != np.shape(tape.values[b]):
                b = a  # a loss term compares a prediction with a target of its own shape
            slots.append(tape.apply(name, a, b))
        else:
            ndim = np.ndim(tape.values[a])
            axis = None if ndim == 0 or rng.random() < 0.5 else 0
            slots.append(tape.apply("sum" if rng.random() < 0.5 else "mean", a, axis=axis))
    root = tape.apply("sum", slots[-1])
    for slot in rng.choice(slots, size=3):
        root = tape.apply("add", root, tape.apply("sum", int(slot)))
    return tape, root


def test_random_graphs_replay_bit_for_bit():
    rng = np.random.default_rng(20261125)
    for _ in range(300):
        tape, root = random_graph(rng)
        leaves = {slot: _numbers(rng, np.shape(tape.values[slot])) for slot in tape.leaves}
        for given in (None, leaves):
            assert_same(general(tape, root, given), planned(tape, root, given))
        for seed in (1.0, -0.0, 2.5, np.array(-1.0), 1):
            values = tape.values
            assert_same((values, General(tape).backward(values, root, seed)),
                        (values, Interpreter(tape).backward(values, root, seed)))


def test_gradients_that_add_up_are_new_arrays():
    """x is used five times and the VJP of add gives g itself: x's gradient, a sum, is no other slot's
    array."""
    tape = Tape()
    x = tape.leaf([1.0, 2.0, 3.0], trainable=True)
    y = tape.apply("add", x, x)
    z = tape.apply("add", y, x)
    w = tape.apply("mul", z, x)
    root = tape.apply("sum", tape.apply("add", w, x))
    expected = general(tape, root)
    values, grads = planned(tape, root)
    assert_same(expected, (values, grads))
    owners = [g for slot, g in enumerate(grads) if g is not None and slot != x]
    assert not any(np.shares_memory(grads[x], g) for g in owners)


def test_hooks_are_seen_once_the_tape_is_planned():
    tape = Tape()
    x = tape.leaf([0.5, -1.0], trainable=True)
    root = tape.apply("sum", tape.apply("sigmoid", x))
    planned(tape, root)
    seen = []

    class Watching(Interpreter):
        def value(self, slot, value):
            seen.append(slot)
            return value

        def gradient(self, slot, grad):
            seen.append(("grad", slot))
            return grad

    Watching(tape).run(root)
    assert x in seen and root in seen and ("grad", x) in seen


def test_a_tape_that_grows_is_planned_again():
    tape = Tape()
    x = tape.leaf([0.5, -1.0], trainable=True)
    first = tape.apply("sum", tape.apply("tanh", x))
    planned(tape, first)
    root = tape.apply("mul", first, tape.leaf(3.0))
    assert tape.replay() is None  # asked for again from the start
    values, grads = planned(tape, root)
    assert_same(general(tape, root), (values, grads))
    assert len(values) == len(tape.values)


def test_solve_plans_only_a_tape_it_replays():
    """One step works the tape once: nothing is planned for it (a plan is made when asked for
    the second time)."""
    problem = load(str(PROBLEMS / "mazur.yaml"))
    program = kind_of(problem).parts().record(problem)
    Interpreter(program.tape).backward(program.tape.values, program.objective)
    assert not program.tape._plans


def test_each_backward_pass_has_a_seed_of_its_own():
    tape = Tape()
    x = tape.leaf([0.5, -1.0], trainable=True)
    root = tape.apply("tanh", x)
    _, grads = planned(tape, root)
    grads[root][:] = 7.0  # a caller may change what it was given
    assert Interpreter(tape).backward(tape.values, root)[root].tolist() == [1.0, 1.0]


def test_the_faster_forms_of_ops_give_the_numbers_of_their_plain_forms():
    """sigmoid with one division, sum as np.add.reduce, its VJP without np.broadcast_to, unbroadcast
    with its axes looked up once: the same bits as the plain NumPy forms."""
    rng = np.random.default_rng(7)
    z = np.concatenate([SPECIAL, np.negative(SPECIAL), rng.normal(scale=30, size=502)]).reshape(-1, 5)
    with np.errstate(all="ignore"):
        e = np.exp(-np.abs(z))
        assert same(OPS["sigmoid"].forward(z), np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e)))
        for axis, keepdims in ((None, False), (0, False), (1, False), (-1, True), ((0, 1), False)):
            total = np.sum(z, axis=axis, keepdims=keepdims)
            assert same(OPS["sum"].forward(z, axis=axis, keepdims=keepdims), total)
            g = rng.normal(size=np.shape(total))
            spread = np.broadcast_to(g if axis is None or keepdims else np.expand_dims(g, axis), z.shape)
            assert same(OPS["sum"].vjp(0)(g, total, z, axis=axis, keepdims=keepdims), np.array(spread))
        for shape in ((5,), (1, 5), (z.shape[0], 1), (1, 1), ()):
            assert same(OPS["add"].vjp(1)(z, z, z, np.zeros(shape)), _summed_down(z, shape))


def _summed_down(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """A broadcast gradient summed back down to ``shape``, the plain way."""
    grad = grad.sum(axis=tuple(range(grad.ndim - len(shape))))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    return (grad.sum(axis=axes, keepdims=True) if axes else grad).reshape(shape)


@pytest.mark.parametrize("path", PROBLEM_FILES, ids=lambda p: str(p.relative_to(PROBLEMS)))
def test_a_pass_towards_the_trained_leaves_gives_their_gradients_bit_for_bit(path, rng):
    """Training asks only for the gradients of the parameters it moves: those are the same bytes."""
    problem = load(str(path))
    parts = kind_of(problem).parts()
    program = parts.record(problem)
    tape, root = program.tape, program.objective
    wanted = parts.trained_leaves(problem, program)
    leaves = moved(tape, rng)
    _, grads = general(tape, root, leaves)
    interpreter = Interpreter(tape)
    interpreter.run(root, leaves, wanted)  # asked for once: not planned yet
    _, fast = interpreter.run(root, leaves, wanted)
    assert isinstance(tape.descent(root, wanted), Descent)
    for slot in wanted:
        assert same(grads[slot], fast[slot]), f"gradient of parameter slot {slot}"


def _labelled(tape: Tape, values: list) -> dict:
    return {label: values[slot] for label, slot in tape.slots.items()}


@pytest.mark.parametrize("path", PROBLEM_FILES, ids=lambda p: str(p.relative_to(PROBLEMS)))
def test_a_problem_recorded_compact_gives_the_same_numbers(path, rng):
    """A problem recorded for training (``compact``: fewer, larger steps): every labelled value and
    gradient, and each sample's loss, has the bytes of the problem recorded step by step."""
    problem = load(str(path))
    parts = kind_of(problem).parts()
    plain, compact = parts.record(problem), parts.record(problem, compact=True)
    assert len(compact.tape.steps) < len(plain.tape.steps) or compact.loss is None
    moved_values = {plain.tape.labels[slot]: value for slot, value in moved(plain.tape, rng).items()
                    if slot in plain.tape.labels}
    for leaves in (None, moved_values):
        runs = []
        for program in (plain, compact):
            tape = program.tape
            given = None if leaves is None else {tape.slots[label]: value for label, value in leaves.items()}
            for values, grads in (general(tape, program.objective, given), planned(tape, program.objective, given)):
                with np.errstate(all="ignore"):
                    rows = None if program.loss is None else losses.per_sample(tape, program.loss, values)
                runs.append((_labelled(tape, values), _labelled(tape, grads), rows))
        (values, grads, rows) = runs[0]
        assert set(values) - set(runs[-1][0]) <= {("loss per sample",)}
        for fast_values, fast_grads, fast_rows in runs[1:]:
            assert same(rows, fast_rows)
            for label in fast_values:
                assert same(values[label], fast_values[label]), f"value of {label}"
                assert same(grads[label], fast_grads[label]), f"gradient of {label}"


@pytest.mark.parametrize("kind", sorted(losses.TERMS))
def test_every_loss_in_one_step_gives_the_numbers_of_its_steps(kind):
    """Each loss, reduction and factor, from the activation and from logits where there is a form for
    it, on values where the stable forms matter: the same bytes in one step and step by step."""
    rng = np.random.default_rng(11)
    for outputs in ("sum", "mean"):
        for samples in ("sum", "mean"):
            for factor in (1.0, 0.5, 1 / 3):
                for from_logits in (False, True) if kind != "squared_error" else (False,):
                    loss = Loss(kind, factor, outputs, samples)
                    shape = (int(rng.integers(1, 5)), int(rng.integers(1, 5)))
                    if from_logits or kind == "squared_error":
                        prediction = _numbers(rng, shape)
                    else:
                        prediction = rng.uniform(0.0, 1.0, shape)
                    targets = rng.uniform(0.0, 1.0, shape)
                    runs = []
                    for compact in (False, True):
                        tape = Tape()
                        leaf = tape.leaf(prediction, trainable=True)
                        slots = losses.record(tape, loss, leaf, targets, from_logits, compact=compact)
                        for values, grads in (general(tape, slots.total), planned(tape, slots.total)):
                            with np.errstate(all="ignore"):
                                rows = losses.per_sample(tape, slots, values)
                            runs.append((values[slots.total], rows, grads[leaf]))
                    for found in runs[1:]:
                        assert all(same(a, b) for a, b in zip(runs[0], found)), (loss, from_logits)


def test_a_loss_in_one_step_over_one_sample_sums_as_numpy_does():
    """Over one sample the ``loss`` op adds 0 to the sample's loss rather than reducing: the bytes of
    NumPy's sum and mean of one number, -0 (which they make +0) and NaNs included."""
    for factor in (-0.5, 0.5):
        for prediction in ([[0.25, -0.0]], [[np.nan, 1.0]], [[np.inf, 0.0]], [[-5e-324, 0.0]]):
            for samples in ("sum", "mean"):
                loss = Loss("squared_error", factor, "sum", samples)
                runs = []
                for compact in (False, True):
                    tape = Tape()
                    leaf = tape.leaf(prediction, trainable=True)
                    slots = losses.record(tape, loss, leaf, np.array([[0.25, -0.0]]), compact=compact)
                    values, grads = general(tape, slots.total)
                    runs.append((values[slots.total], grads[leaf]))
                assert all(same(a, b) for a, b in zip(*runs)), (factor, prediction, samples)


def test_the_pass_training_repeats_works_again_only_what_changed():
    """``Interpreter.repeated``: step after step some leaves move (new arrays), others are the same
    arrays, and now and then one is left out (back to its recorded value) or given again; every value,
    and the gradient of every leaf asked for, is what the general interpreter gives for those leaves."""
    rng = np.random.default_rng(5)
    for _ in range(100):
        tape, root = random_graph(rng)
        wanted = frozenset(slot for slot in tape.parameters if rng.random() < 0.7) or None
        step = Interpreter(tape).repeated(root, wanted)
        leaves = {slot: _numbers(rng, np.shape(tape.values[slot])) for slot in tape.leaves}
        for _ in range(6):
            for slot in tape.leaves:
                draw = rng.random()
                if draw < 0.3:
                    leaves[slot] = _numbers(rng, np.shape(tape.values[slot]))
                elif draw < 0.4:
                    leaves.pop(slot, None)
            with np.errstate(all="ignore"):
                found_values, found_grads = step(dict(leaves))
            values, grads = general(tape, root, dict(leaves))
            assert len(found_values) == len(values)
            for slot, (a, b) in enumerate(zip(values, found_values)):
                assert same(a, b), f"value of slot {slot}"
            for slot in tape.parameters if wanted is None else wanted:
                assert same(grads[slot], found_grads[slot]), f"gradient of leaf {slot}"


def test_steps_on_leaves_that_stay_are_not_worked_again(monkeypatch):
    """A frozen parameter's own steps (a layer's shared bias, say) are worked once in training."""
    calls = []
    monkeypatch.setattr(OPS["square"], "forward", lambda a: calls.append(1) or np.square(a))
    tape = Tape()
    x = tape.leaf([0.5, -1.0], trainable=True)
    frozen = tape.leaf([2.0, 3.0], trainable=True)
    squared = tape.apply("square", frozen)
    root = tape.apply("sum", tape.apply("mul", x, squared))
    step = Interpreter(tape).repeated(root, frozenset({x}))
    kept = np.array([2.0, 3.0])
    with np.errstate(all="ignore"):
        for k in range(5):
            values, grads = step({x: np.array([0.5, -1.0]) * k, frozen: kept})
    assert len(calls) == 1 + 1  # recorded, then worked at the first step only
    assert values[squared].tolist() == [4.0, 9.0] and grads[x].tolist() == [4.0, 9.0]
    assert values[root] == 2.0 * 4.0 - 4.0 * 9.0  # x = [2, -4] at the last step
