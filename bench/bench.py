"""Benchmark the backprop CLI's startup and the graph engine's speed against plain baselines.

Two figures, both measured in the same run:

1. Startup: wall time of ``backprop run problems/seeds/exercise-7-1.yaml`` (stdout to /dev/null, so the
   plain-text renderer is used) against ``python -c "import numpy, yaml"``. Both are subprocesses of
   the interpreter running this script (the ``backprop`` script is looked up next to
   ``sys.executable``), run alternately so that machine noise hits both alike. Goal: ratio <= 1.25.

   Bytecode: by default (``--bytecode cache``) the children get a private, temporary
   ``PYTHONPYCACHEPREFIX`` and no ``PYTHONDONTWRITEBYTECODE``, so every module is compiled once in the
   warm-up and loaded from cached bytecode afterwards, as in a normal install; nothing is written into
   the repository. ``--bytecode env`` passes the environment through unchanged (if it sets
   ``PYTHONDONTWRITEBYTECODE`` and the package has no ``__pycache__``, as with an editable install in
   such an environment, the package's sources are recompiled on every run while NumPy and PyYAML load
   their installed bytecode).

2. Engine: one SGD step of a 1024-2048-2048-10 MLP (tanh, tanh, identity output) on 1024 samples,
   loss L = 1/2 * mean over samples of the sum over outputs of (y_hat - y)^2, float64, learning rate
   0.01. The network is recorded on a tape once; the engine's step replays it with the current
   parameters (``Interpreter.run``: forward and backward) and applies the update (exactly what
   ``solving.work.solve`` does for each training step). The baseline is a hand-written NumPy
   forward, backward and update. The updated parameters of both are compared with ``np.allclose``.
   Goal: ratio <= 1.10. ``--solve`` also times the full ``solve`` (recording, the Result, the
   non-finite scan) for context.

Usage (from anywhere)::

    python bench/bench.py [--startup-runs 15] [--engine-repeats 5] [--warmup 2]
                                        [--bytecode cache|env] [--solve] [--skip-startup|--skip-engine]

Medians (and minima, less sensitive to other load on the machine) are printed in milliseconds; the
goals apply to the ratio of medians. The environment (including OPENBLAS_CORETYPE and thread
settings) is passed through to BLAS as it is.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
SEED_PROBLEM = "problems/seeds/exercise-7-1.yaml"
STARTUP_GOAL = 1.25
ENGINE_GOAL = 1.10
SIZES = (1024, 2048, 2048, 10)  # inputs, hidden 1, hidden 2, outputs
SAMPLES = 1024
LEARNING_RATE = 0.01


# -- startup -------------------------------------------------------------------------------------
def child_env(bytecode: str, prefix: str | None) -> dict[str, str]:
    """The environment for the timed children: inherited, or with a private bytecode cache."""
    env = dict(os.environ)
    if bytecode == "cache":
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = prefix
    return env


def wall_time(command: list[str], env: dict[str, str]) -> float:
    """Seconds taken by one run of a command, stdout and stderr discarded; fails on a non-zero exit."""
    start = time.perf_counter()
    completed = subprocess.run(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if completed.returncode != 0:
        sys.exit(f"bench: {' '.join(command)} exited with {completed.returncode}:\n"
                 f"{completed.stderr.decode(errors='replace')}")
    return elapsed


def bench_startup(runs: int, warmup: int, bytecode: str) -> None:
    """Median wall time of the CLI on a seed problem against importing NumPy and PyYAML."""
    backprop = Path(sys.executable).parent / "backprop"
    if not backprop.exists():
        sys.exit(f"bench: no backprop script next to {sys.executable}")
    commands = {
        "backprop run": [str(backprop), "run", SEED_PROBLEM],
        "import numpy, yaml": [sys.executable, "-c", "import numpy, yaml"],
    }
    prefix = tempfile.mkdtemp(prefix="bench-pycache-") if bytecode == "cache" else None
    if prefix:
        warmup = max(warmup, 1)  # the first run fills the private bytecode cache
    try:
        env = child_env(bytecode, prefix)
        times: dict[str, list[float]] = {name: [] for name in commands}
        for i in range(warmup + runs):
            for name, command in commands.items():  # alternate, so noise falls on both alike
                elapsed = wall_time(command, env)
                if i >= warmup:
                    times[name].append(elapsed)
    finally:
        if prefix:
            shutil.rmtree(prefix, ignore_errors=True)
    cli, base = (statistics.median(times[name]) for name in commands)
    ratio = cli / base
    print(f"Startup ({runs} runs after {warmup} warm-up, bytecode: {bytecode}, "
          f"PYTHONDONTWRITEBYTECODE={os.environ.get('PYTHONDONTWRITEBYTECODE', 'unset')})")
    print(f"  backprop run {SEED_PROBLEM} > /dev/null : {cli * 1e3:8.1f} ms  "
          f"(min {min(times['backprop run']) * 1e3:.1f})")
    print(f"  python -c 'import numpy, yaml'                 : {base * 1e3:8.1f} ms  "
          f"(min {min(times['import numpy, yaml']) * 1e3:.1f})")
    print(f"  ratio of medians {ratio:.3f}x  (goal <= {STARTUP_GOAL}x: "
          f"{'met' if ratio <= STARTUP_GOAL else 'NOT met'}); ratio of minima "
          f"{min(times['backprop run']) / min(times['import numpy, yaml']):.3f}x")


# -- engine --------------------------------------------------------------------------------------
def make_problem(seed: int = 0):
    """The benchmark MLP as a Problem built in memory (Xavier-normal weights, small random biases)."""
    from backprop_cli.engine.model import Activation, Entries, Layer, Loss, Network, Problem, Training

    rng = np.random.default_rng(seed)
    layers = []
    for index, (fan_in, units) in enumerate(zip(SIZES, SIZES[1:]), start=1):
        weights = rng.normal(0.0, np.sqrt(2.0 / (fan_in + units)), (units, fan_in))
        bias = rng.normal(0.0, 0.1, units)
        activation = "identity" if index == len(SIZES) - 1 else "tanh"
        layers.append(Layer(f"layer {index}", units, (Activation(activation),), Entries(weights),
                            Entries(bias)))
    return Problem(source="<bench>", title="bench MLP",
                   network=Network(SIZES[0], tuple(layers), orientation="out_in"),
                   inputs=rng.normal(size=(SAMPLES, SIZES[0])),
                   targets=rng.normal(size=(SAMPLES, SIZES[-1])),
                   loss=Loss("squared_error", factor=0.5, outputs="sum", samples="mean"),
                   training=Training(learning_rate=LEARNING_RATE))


def engine_step(problem, program, interpreter, params):
    """A replay of the recorded network (forward, backward) and the update, as solve() does each step."""
    from backprop_cli.engine.optimizers import Moments
    from backprop_cli.solving.layered import update

    values, grads = interpreter.run(program.objective, program.leaves(params))
    moments = Moments(problem.training.optimizer)
    return float(values[program.objective]), update(problem, params, program, grads, interpreter, moments)


def hand_step(x, y, weights, biases, rate):
    """The same step written out in NumPy: samples as rows, W is (out, in), tanh hidden layers."""
    acts = [x]
    for i, (w, b) in enumerate(zip(weights, biases)):
        z = acts[-1] @ w.T + b
        acts.append(z if i == len(weights) - 1 else np.tanh(z))
    diff = acts[-1] - y
    loss = 0.5 * np.mean(np.sum(diff * diff, axis=1))
    delta = diff / len(x)  # dL/dz of the output layer (identity)
    new_w, new_b = [None] * len(weights), [None] * len(biases)
    for i in reversed(range(len(weights))):
        grad_w, grad_b = delta.T @ acts[i], delta.sum(axis=0)
        if i:
            a = acts[i]
            delta = (delta @ weights[i]) * (1.0 - a * a)
        new_w[i], new_b[i] = weights[i] - rate * grad_w, biases[i] - rate * grad_b
    return float(loss), new_w, new_b


def timed(function, *args):
    """(seconds, result) of one call."""
    start = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - start, result


def bench_engine(repeats: int, warmup: int, with_solve: bool) -> None:
    """Median time of one SGD step through the engine against the hand-written NumPy step."""
    from backprop_cli.engine.network import Parameters, record
    from backprop_cli.engine.tape import Interpreter

    problem = make_problem()
    params = Parameters.initial(problem)
    program = record(problem)
    interpreter = Interpreter(program.tape)
    x, y = problem.inputs, problem.targets
    engine_times, hand_times, solve_times = [], [], []
    for i in range(warmup + repeats):  # alternate, so noise falls on both alike
        engine_time, (engine_loss, updated) = timed(engine_step, problem, program, interpreter, params)
        hand_time, (hand_loss, hand_w, hand_b) = timed(hand_step, x, y, params.weights, params.biases,
                                                        LEARNING_RATE)
        if i >= warmup:
            engine_times.append(engine_time)
            hand_times.append(hand_time)
    if with_solve:
        from backprop_cli import solve
        for i in range(warmup + repeats):
            solve_time, _ = timed(solve, problem)
            if i >= warmup:
                solve_times.append(solve_time)

    pairs = list(zip(updated.weights, hand_w)) + list(zip(updated.biases, hand_b))
    agree = all(np.allclose(e, h) for e, h in pairs) and np.isclose(engine_loss, hand_loss)
    worst = max(float(np.max(np.abs(e - h))) for e, h in pairs)
    engine, hand = statistics.median(engine_times), statistics.median(hand_times)
    ratio = engine / hand
    shape = "-".join(map(str, SIZES))
    print(f"Engine: one SGD step, {shape} MLP (tanh, tanh, identity), {SAMPLES} samples, float64, "
          f"L = 1/2 mean_n sum_k (y_hat - y)^2, lr {LEARNING_RATE} ({repeats} repeats after {warmup} warm-up)")
    print(f"  engine (a replay of the tape, forward and backward, + update): {engine * 1e3:8.1f} ms  "
          f"(min {min(engine_times) * 1e3:.1f})")
    print(f"  hand-written NumPy                                          : {hand * 1e3:8.1f} ms  "
          f"(min {min(hand_times) * 1e3:.1f})")
    print(f"  ratio of medians {ratio:.3f}x  (goal <= {ENGINE_GOAL}x: "
          f"{'met' if ratio <= ENGINE_GOAL else 'NOT met'}); ratio of minima "
          f"{min(engine_times) / min(hand_times):.3f}x")
    if solve_times:
        solve_median = statistics.median(solve_times)
        print(f"  for context, solve (adds recording, the Result, the non-finite scan): "
              f"{solve_median * 1e3:.1f} ms = {solve_median / hand:.3f}x hand")
    print(f"  updated parameters agree (np.allclose): {agree}; max |engine - hand| = {worst:.3g}; "
          f"loss {engine_loss:.12g} vs {hand_loss:.12g}")


def main(argv: list[str] | None = None) -> None:
    """Parse options and run the selected benchmarks."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--startup-runs", type=int, default=15, help="timed runs of each command (15)")
    parser.add_argument("--engine-repeats", type=int, default=5, help="timed SGD steps of each kind (5)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed runs before timing (2)")
    parser.add_argument("--bytecode", choices=("cache", "env"), default="cache",
                        help="startup children: private bytecode cache (default) or environment as is")
    parser.add_argument("--solve", action="store_true", help="also time solve on the MLP")
    parser.add_argument("--skip-startup", action="store_true", help="do not run the startup benchmark")
    parser.add_argument("--skip-engine", action="store_true", help="do not run the engine benchmark")
    args = parser.parse_args(argv)
    if min(args.startup_runs, args.engine_repeats) < 1 or args.warmup < 0:
        parser.error("runs and repeats must be at least 1, warm-up at least 0")
    sys.dont_write_bytecode = True  # leave no __pycache__ in the checkout
    sys.path.insert(0, str(REPO))  # the package from this checkout, even if not installed
    print(f"python {sys.version.split()[0]} ({sys.executable}), numpy {np.__version__}, "
          f"{os.cpu_count()} CPUs, OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', 'unset')}")
    if not args.skip_startup:
        bench_startup(args.startup_runs, args.warmup, args.bytecode)
    if not args.skip_engine:
        bench_engine(args.engine_repeats, args.warmup, args.solve)


if __name__ == "__main__":
    main()
