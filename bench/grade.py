"""Benchmark grading a class: 300 generated answer sheets for a 4-4-3-3 homework.

Each sheet answers the key's 10 questions; in the "mistakes" class every sheet has 1 to 3 planted
mistakes (a sign flipped, a factor 2, a value of another element, a digit slip), chosen by a seeded
generator; in the "all correct" class every answer is right. Both classes are graded through the
library (``grade_paths``, as ``backprop grade`` does) with one process and with two, and the time per
submission is printed with the ratios; the grades of one process and two are compared.

Usage::

    python bench/grade.py [--sheets 300] [--seed 7]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

KEY = """\
title: 4-4-3-3 network, tanh hidden layers, linear output, 1/2 sum of squares
notation: {preset: standard, activation: h}
network:
  inputs: 4
  layers:
    - {name: hidden 1, units: 4, activation: tanh, weights: [[0.1, -0.2, 0.3, 0.1], [0.2, 0.1, -0.1, 0.3], [-0.3, 0.2, 0.1, 0.2], [0.1, 0.1, 0.2, -0.2]], bias: 0.1}
    - {name: hidden 2, units: 3, activation: tanh, weights: [[0.2, -0.1, 0.3, 0.1], [0.1, 0.2, -0.2, 0.3], [-0.1, 0.3, 0.1, 0.2]], bias: 0.1}
    - {name: output, units: 3, activation: identity, weights: [[0.3, 0.1, -0.2], [0.2, -0.3, 0.1], [0.1, 0.2, 0.3]], bias: 0.1}
input: [1, 0, 1, 0]
target: [0, 1, 0]
loss: {kind: squared_error, factor: 1/2}
train: {learning_rate: 0.1}
grading:
  questions:
    z^(1): 1
    h^(1): 1
    z^(2): 1
    z^(3): 1
    L: 1
    δ^(3): 1
    δ^(2): 1
    dL/dw^(3)_11: 1
    dL/db^(1)_2: 1
    w^(2)_12': 1
"""


def write_class(folder: Path, count: int, seed: int, mistakes: bool) -> None:
    """``count`` sheets, every answer right, or with 1 to 3 planted mistakes each."""
    from backprop_cli import loads, solve
    from backprop_cli.solving.kinds import lookup, resolve
    problem = loads(KEY)
    result = solve(problem)
    addresses = ["z^(1)", "h^(1)", "z^(2)", "z^(3)", "L", "δ^(3)", "δ^(2)", "dL/dw^(3)_11", "dL/db^(1)_2",
                 "w^(2)_12'"]
    right = {a: lookup(resolve(a, problem), result) for a in addresses}
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        values = dict(right)
        if mistakes:
            for address in rng.choice(addresses, size=rng.integers(1, 4), replace=False):
                values[address] = _mistake(values[address], rng)
        lines = [f"student: s{n:03d}", "answers:"]
        lines += [f"  {a}: {_written(v)}" for a, v in values.items()]
        (folder / f"s{n:03d}.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _mistake(value: np.ndarray, rng) -> np.ndarray:
    value = np.array(value, dtype=float)
    kind = rng.integers(4)
    if kind == 0:
        return -value
    if kind == 1:
        return 2 * value
    if kind == 2 and value.size > 1:
        return np.roll(value, 1)
    return value * 1.1 + 0.01


def _written(value) -> str:
    value = np.asarray(value, dtype=float)
    if value.ndim:
        return "[" + ", ".join(f"{v:.5f}" for v in value.ravel()) + "]"
    return f"{float(value):.5f}"


def time_grading(key: str, folder: Path, jobs: int):
    from backprop_cli.checking.classroom import grade_paths, read_keys
    start = time.perf_counter()
    grades = grade_paths(read_keys(key), [str(folder)], jobs=jobs)
    return time.perf_counter() - start, grades


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sheets", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-grade-") as work:
        work_dir = Path(work)
        key = work_dir / "key.yaml"
        key.write_text(KEY, encoding="utf-8")
        classes = {"all correct": work_dir / "correct", "1-3 mistakes each": work_dir / "mistakes"}
        write_class(classes["all correct"], args.sheets, args.seed, mistakes=False)
        write_class(classes["1-3 mistakes each"], args.sheets, args.seed, mistakes=True)
        print(f"Grading {args.sheets} sheets of 10 answers (4-4-3-3 tanh net), {os.cpu_count()} CPUs")
        figures = {}
        for name, folder in classes.items():
            for jobs in (1, 2):
                seconds, grades = time_grading(str(key), folder, jobs)
                figures[name, jobs] = (seconds, grades)
                per = seconds / args.sheets * 1e3
                print(f"  {name:18s} --jobs {jobs}: {seconds:6.2f} s  {per:6.1f} ms per submission")
        for name in classes:
            one, two = figures[name, 1][1], figures[name, 2][1]
            same = [(g.sheet.student, g.score) for g in one.graded] == [(g.sheet.student, g.score) for g in two.graded]
            print(f"  {name}: --jobs 2 is {figures[name, 1][0] / figures[name, 2][0]:.2f}x as fast; "
                  f"same grades as --jobs 1: {same}")
        ratio = figures["1-3 mistakes each", 1][0] / figures["all correct", 1][0]
        print(f"  mistakes against all correct (--jobs 1): {ratio:.1f}x")


if __name__ == "__main__":
    main()
