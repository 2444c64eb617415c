"""Benchmark training: many full-batch steps of a small net through ``solve`` against a plain NumPy loop.

The problem is ``problems/mazur.yaml`` (the 2-2-2 sigmoid net of Mazur's worked example: 1/2 sum of
squared errors, one shared bias per layer, frozen, learning rate 0.5) with ``steps: 10000`` and no
expected answers. ``backprop_cli.solve`` works it end to end: recording, the first step laid out, then
every training step (the recorded tape replayed with the current parameters, forward and backward,
and the optimizer's update), the final loss and the warnings. The baseline is the same training
written out in NumPy from the textbook rules: the forward pass, the loss of every step, the deltas,
the weight gradients and the update, in a loop.

Both run alternately, a few times each (noise on a shared machine falls on both alike); the medians
and minima are printed in milliseconds, with the ratio of medians against the goal (at most 2x). The
final losses of both must agree to 1e-12 relative. A last, separate run of ``solve`` with timers on
the replay (the pass ``Interpreter.repeated`` gives) and the update (the kind's ``update``) shows
where its time goes.

Usage (from anywhere)::

    python bench/train.py [--steps 10000] [--repeats 5] [--warmup 1]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
PROBLEM = REPO / "problems" / "mazur.yaml"
GOAL = 2.0  # solve may take at most twice the NumPy loop
AGREE = 1e-12  # relative difference allowed between the two final losses


def load_problem(steps: int):
    """The problem file with ``steps`` training steps and its expected answers dropped."""
    from backprop_cli import load

    problem = load(str(PROBLEM))
    return problem._replace(training=problem.training._replace(steps=steps), expected=[])


def numpy_training(problem) -> tuple[list[float], float]:
    """The same training in plain NumPy: (loss before each step, loss after the last)."""
    hidden, output = problem.network.layers
    assert {a.name for a in hidden.activations + output.activations} == {"sigmoid"}
    x, y = problem.inputs, problem.targets  # one sample per row
    w1, w2 = hidden.weights.values.copy(), output.weights.values.copy()  # (units, inputs)
    b1, b2 = (p.value for p in problem.shared)  # one bias per layer, frozen
    rate, steps = problem.training.learning_rate, problem.training.steps
    history = []
    for _ in range(steps):
        a1 = 1.0 / (1.0 + np.exp(-(x @ w1.T + b1)))
        a2 = 1.0 / (1.0 + np.exp(-(a1 @ w2.T + b2)))
        error = a2 - y
        history.append(0.5 * float(np.sum(error * error)))
        delta2 = error * a2 * (1.0 - a2)  # dE/dz of the output layer
        delta1 = (delta2 @ w2) * a1 * (1.0 - a1)
        w2 = w2 - rate * (delta2.T @ a1)
        w1 = w1 - rate * (delta1.T @ x)
    a1 = 1.0 / (1.0 + np.exp(-(x @ w1.T + b1)))
    a2 = 1.0 / (1.0 + np.exp(-(a1 @ w2.T + b2)))
    return history, 0.5 * float(np.sum((a2 - y) ** 2))


def timed(function, *args):
    """(seconds, result) of one call."""
    start = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - start, result


def breakdown(problem) -> dict[str, float]:
    """Seconds of one ``solve`` spent replaying the tape and updating the parameters (timers wrapped
    around the pass of each training step, from ``Interpreter.repeated``, and around the layered kind's
    ``update``), and in all."""
    from backprop_cli import solve
    from backprop_cli.engine.tape import Interpreter
    from backprop_cli.solving import layered

    spent = {"replay": 0.0, "update": 0.0}

    def clocked(name, function):
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent[name] += time.perf_counter() - start
        return wrapper

    repeated, update = Interpreter.repeated, layered.update
    Interpreter.repeated = lambda self, *args, **kwargs: clocked("replay", repeated(self, *args, **kwargs))
    layered.update = clocked("update", update)
    try:
        spent["solve"], _ = timed(solve, problem)
    finally:
        Interpreter.repeated, layered.update = repeated, update
    return spent


def main(argv: list[str] | None = None) -> None:
    """Parse options, time both alternately, print the figures and check the losses agree."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=10000, help="training steps (10000)")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs of each (5)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed runs of each first (1)")
    args = parser.parse_args(argv)
    if args.steps < 1 or args.repeats < 1 or args.warmup < 0:
        parser.error("steps and repeats must be at least 1, warm-up at least 0")
    sys.dont_write_bytecode = True  # leave no __pycache__ in the checkout
    sys.path.insert(0, str(REPO))  # the package from this checkout, even if not installed
    from backprop_cli import solve

    print(f"python {sys.version.split()[0]} ({sys.executable}), numpy {np.__version__}, {os.cpu_count()} CPUs")
    problem = load_problem(args.steps)
    engine_times, numpy_times = [], []
    for i in range(args.warmup + args.repeats):  # alternate, so noise falls on both alike
        engine_time, result = timed(solve, problem)
        numpy_time, (history, numpy_loss) = timed(numpy_training, problem)
        if i >= args.warmup:
            engine_times.append(engine_time)
            numpy_times.append(numpy_time)

    engine, plain = statistics.median(engine_times), statistics.median(numpy_times)
    ratio = engine / plain
    print(f"Training: {PROBLEM.relative_to(REPO)}, {args.steps} full-batch steps "
          f"({args.repeats} runs of each after {args.warmup} warm-up, alternated)")
    print(f"  backprop_cli.solve : {engine * 1e3:8.1f} ms  (min {min(engine_times) * 1e3:.1f})  "
          f"= {engine / args.steps * 1e6:.1f} us a step")
    print(f"  plain NumPy loop   : {plain * 1e3:8.1f} ms  (min {min(numpy_times) * 1e3:.1f})  "
          f"= {plain / args.steps * 1e6:.1f} us a step")
    print(f"  ratio of medians {ratio:.2f}x  (goal <= {GOAL:g}x: {'met' if ratio <= GOAL else 'NOT met'}); "
          f"ratio of minima {min(engine_times) / min(numpy_times):.2f}x")

    spent = breakdown(problem)
    rest = spent["solve"] - spent["replay"] - spent["update"]
    print(f"  where solve's time goes (one more run, timers on): {spent['solve'] * 1e3:.1f} ms = "
          f"replay (forward and backward) {spent['replay'] * 1e3:.1f} ms ({spent['replay'] / spent['solve']:.0%}) "
          f"+ update {spent['update'] * 1e3:.1f} ms ({spent['update'] / spent['solve']:.0%}) "
          f"+ the rest {rest * 1e3:.1f} ms ({rest / spent['solve']:.0%})")

    difference = abs(result.final_loss - numpy_loss) / abs(numpy_loss)
    agree = difference <= AGREE and len(result.history) == len(history)
    print(f"  final losses agree to {AGREE:g} relative: {agree} (solve {result.final_loss!r}, NumPy {numpy_loss!r}, "
          f"relative difference {difference:.2g}; {len(result.history)} and {len(history)} losses recorded)")
    if not agree:
        sys.exit("bench: the final losses disagree")


if __name__ == "__main__":
    main()
