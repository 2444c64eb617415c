"""Benchmark diagnosing wrong answers: 200 sheets of a 4-4-3-3 homework, every answer right against
1 to 3 planted mistakes each.

Each sheet is the full hand calculation of one step (z, a and δ of every layer, the loss, the weight
and bias gradients, the updated weights), worked in plain NumPy as a student works it: every value
written to 5 decimals and carried on as written. In the "mistakes" set, each sheet makes 1 to 3 of the
usual mistakes (a derivative dropped in one layer, the residual's sign, a factor 2, deltas through
updated weights, digits transposed, one digit wrong, the bias not updated, the learning rate left out),
and everything after a mistake is worked from the wrong values. Both sets are checked file by file
through the library, as ``backprop check`` does (read, solve, judge), three times each, the two sets
in turn; the fastest run of each set counts (the others show the machine's noise). The time
per sheet is printed with the ratio, which the project keeps at or under 3x, and whether every run gave
the same verdicts and reasons.

Usage::

    python bench/diagnose.py [--sheets 200] [--seed 11] [--repeat 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

W = [np.array([[0.1, -0.2, 0.3, 0.1], [0.2, 0.1, -0.1, 0.3], [-0.3, 0.2, 0.1, 0.2], [0.1, 0.1, 0.2, -0.2]]),
     np.array([[0.2, -0.1, 0.3, 0.1], [0.1, 0.2, -0.2, 0.3], [-0.1, 0.3, 0.1, 0.2]]),
     np.array([[0.3, 0.1, -0.2], [0.2, -0.3, 0.1], [0.1, 0.2, 0.3]])]
B = [np.full(4, 0.1), np.full(3, 0.1), np.full(3, 0.1)]
X, Y, RATE, PLACES = np.array([1.0, 0.0, 1.0, 0.0]), np.array([0.0, 1.0, 0.0]), 0.1, 5
ACTIVATIONS = ["tanh", "tanh", "identity"]
PROBLEM = f"""\
title: 4-4-3-3 network, tanh hidden layers, linear output, 1/2 sum of squares
network:
  inputs: 4
  layers:
{"".join(f"    - {{units: {len(b)}, activation: {g}, weights: {w.tolist()}, bias: {b.tolist()}}}{chr(10)}"
         for w, b, g in zip(W, B, ACTIVATIONS))}input: {X.tolist()}
target: {Y.tolist()}
loss: {{kind: squared_error, factor: 1/2}}
train: {{learning_rate: {RATE}}}
"""
MISTAKES = ("derivative dropped", "residual sign", "factor 2", "stale weights", "digits transposed",
            "digit slip", "bias not updated", "rate left out")


def work(mistakes: dict[str, int]) -> dict[str, np.ndarray]:
    """The sheet's answers, worked by hand with the given mistakes (mistake -> layer)."""
    def r(value):
        return np.round(value, PLACES)
    sheet, a = {}, X
    zs, acts = [], [X]
    for l, (w, b, g) in enumerate(zip(W, B, ACTIVATIONS), start=1):
        z = r(w @ a + b)
        a = r(np.tanh(z) if g == "tanh" else z)
        sheet[f"z^({l})"], sheet[f"a^({l})"] = z, a
        zs.append(z)
        acts.append(a)
    sheet["L"] = r(0.5 * np.sum((a - Y) ** 2))
    grad = (Y - a) if "residual sign" in mistakes else (a - Y)
    grad = r(2 * grad if "factor 2" in mistakes else grad)
    deltas = {}
    for l in (3, 2, 1):
        g_prime = 1 - acts[l] ** 2 if ACTIVATIONS[l - 1] == "tanh" else np.ones_like(acts[l])
        delta = r(grad if mistakes.get("derivative dropped") == l else grad * g_prime)
        deltas[l] = sheet[f"δ^({l})"] = delta
        if l > 1:
            through = W[l - 1] - RATE * np.outer(delta, acts[l - 1]) if mistakes.get("stale weights") == l else W[l - 1]
            grad = r(through.T @ delta)
    for l in (1, 2, 3):
        gradient = r(np.outer(deltas[l], acts[l - 1]))
        sheet[f"dL/dw^({l})"], sheet[f"dL/db^({l})"] = gradient, deltas[l]
        rate = 1.0 if mistakes.get("rate left out") == l else RATE
        sheet[f"w^({l})'"] = r(W[l - 1] - rate * gradient)
        sheet[f"b^({l})'"] = B[l - 1] if mistakes.get("bias not updated") == l else r(B[l - 1] - rate * deltas[l])
    return sheet


def write(sheet: dict[str, np.ndarray], slips: dict[str, str]) -> str:
    def text(value) -> str:
        value = np.asarray(value, dtype=float)
        if value.ndim == 0:
            return f"{float(value):.{PLACES}f}"
        return "[" + ", ".join(text(v) for v in value) + "]"
    lines = [f"  {address}: {slips.get(address, text(value))}" for address, value in sheet.items()]
    return PROBLEM + "expected:\n" + "\n".join(lines) + "\n"


def _slip(value: float, kind: str) -> str | None:
    """One number with two adjacent digits swapped, or one digit changed; None if that changes nothing."""
    text = f"{value:.{PLACES}f}"
    digits = [i for i, c in enumerate(text) if c.isdigit()]
    i = digits[-3]
    if kind == "digits transposed":
        if text[i] == text[i + 1]:
            return None
        return text[:i] + text[i + 1] + text[i] + text[i + 2:]
    return text[:i] + str((int(text[i]) + 4) % 10) + text[i + 1:]


def sheets(count: int, seed: int) -> tuple[list[str], list[str]]:
    """The all-right sheets and the sheets with 1 to 3 planted mistakes each."""
    rng = np.random.default_rng(seed)
    right = write(work({}), {})
    wrong = []
    while len(wrong) < count:
        chosen = rng.choice(MISTAKES, size=rng.integers(1, 4), replace=False)
        mistakes = {str(m): int(rng.integers(2, 4)) if m in ("stale weights",) else int(rng.integers(1, 4))
                    for m in chosen if m not in ("digits transposed", "digit slip")}
        sheet = work(mistakes)
        slips = {}
        for kind in (m for m in chosen if m in ("digits transposed", "digit slip")):
            address = str(rng.choice([a for a in sheet if np.ndim(sheet[a]) == 0 or a.startswith("z")]))
            value = sheet[address] if np.ndim(sheet[address]) == 0 else sheet[address][0]
            slipped = _slip(float(value), str(kind))
            if slipped is not None:
                slips[address] = slipped if np.ndim(sheet[address]) == 0 else \
                    "[" + ", ".join([slipped] + [f"{v:.{PLACES}f}" for v in sheet[address][1:]]) + "]"
        text = write(sheet, slips)
        if text != right:
            wrong.append(text)
    return [right] * count, wrong


def check_all(texts: list[str]) -> tuple[float, list]:
    from backprop_cli import check, loads
    start = time.perf_counter()
    outcomes = [check(loads(text)) for text in texts]
    seconds = time.perf_counter() - start
    return seconds, [[(v.answer.address.text, v.status, v.reason) for v in o.verdicts] for o in outcomes]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sheets", type=int, default=200)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each set; the fastest counts")
    args = parser.parse_args(argv)
    right, wrong = sheets(args.sheets, args.seed)
    check_all(right[:5])  # imports and first-use costs out of the way
    right_runs, wrong_runs = [], []
    for _ in range(args.repeat):  # interleaved, so that a slow spell of the machine hits both sets
        right_runs.append(check_all(right))
        wrong_runs.append(check_all(wrong))
    right_seconds, right_verdicts = min(right_runs, key=lambda run: run[0])
    wrong_seconds, wrong_verdicts = min(wrong_runs, key=lambda run: run[0])
    failed = sum(status in ("follows", "wrong") for sheet in wrong_verdicts for _, status, _ in sheet)
    named = [reason for sheet in wrong_verdicts for _, status, reason in sheet if status == "wrong"]
    explained = sum(not reason.startswith("not explained") for reason in named)
    assert all(status in ("correct", "drift") for sheet in right_verdicts for _, status, _ in sheet)
    print(f"Checking {args.sheets} sheets of {len(right_verdicts[0])} answers (4-4-3-3 tanh net), one file each")
    print(f"  every answer right    {right_seconds:6.2f} s  {right_seconds / args.sheets * 1e3:6.1f} ms a sheet")
    print(f"  1-3 mistakes a sheet  {wrong_seconds:6.2f} s  {wrong_seconds / args.sheets * 1e3:6.1f} ms a sheet"
          f"  ({failed} answers failed, {len(named)} wrong, {explained} of them with a cause named)")
    same = all(run[1] == wrong_verdicts for run in wrong_runs)
    print(f"  ratio {wrong_seconds / right_seconds:.2f}x (goal: at most 3x); same verdicts and reasons in every "
          f"run: {same}")


if __name__ == "__main__":
    main()
