"""Reports: titled tables of already-formatted text, and the helpers every kind's layout shares."""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..engine.record import Fresh, Record


class Table(Record):
    """A titled table of already-formatted cells, with optional lines under it."""

    title: str
    columns: list[str]
    rows: list[list[str]]
    notes: list[str] = Fresh(list)
    left: int = 1  # how many leading columns are text (left-aligned); the rest are numbers
    markup: bool = False  # the cells are already in the markup of the page they go to (formulas as math)


class Report(Record):
    """The title, the conventions in words, then the tables in reading order."""

    title: str
    lines: list[str]
    tables: list[Table]


def respelt(report: Report, spell: Callable[[str], str]) -> Report:
    """The same report with every piece of text passed through ``spell`` (ASCII for a narrow encoding)."""
    tables = [Table(spell(t.title), [spell(c) for c in t.columns], [[spell(c) for c in row] for row in t.rows],
                    [spell(n) for n in t.notes], t.left) for t in report.tables]
    return Report(spell(report.title), [spell(line) for line in report.lines], tables)


def number(value: float, precision: int) -> str:
    """A value rounded for display to ``precision`` significant digits."""
    if np.isnan(value):
        return "nan"
    if np.isinf(value):
        return "inf" if value > 0 else "-inf"
    text = f"{value:.{precision}g}"
    return "0" if text == "-0" else text


def values(array, precision: int, missing: str = "null", most: int | None = None) -> str:
    """A scalar, vector or matrix as it would be written; NaN shown as ``missing``. Past ``most``
    values, the shape and the first few values."""
    array = np.asarray(array, dtype=float)
    if most is not None and array.size > most:
        first = ", ".join(number(float(v), precision) for v in array.ravel()[:4])
        return f"{'×'.join(map(str, array.shape))} values: {first}, … (--format json has all)"
    if array.ndim == 0:
        return missing if np.isnan(array) else number(float(array), precision)
    return "[" + ", ".join(values(row, precision, missing) for row in array) + "]"


def index_label(position: tuple[int, ...], offset: tuple[int, ...]) -> str:
    """Matrix indices as on a sheet: 1-based, or 0 for a folded bias row; commas past 9."""
    indices = [str(p + o) for p, o in zip(position, offset)]
    return ("," if any(len(i) > 1 for i in indices) else "").join(indices)


def shared_table(result, fmt, title: str = "shared parameters") -> Table:
    """Named parameters: value, gradient summed over their uses, update, where they are used."""
    problem = result.problem
    n = problem.notation
    kept_names = problem.training.optimizer.state_names if result.trained else ()
    first = result.moments.get(1, {})
    rows = []
    for i, p in enumerate(result.shared):
        row = [p.name, fmt(p.value), fmt(p.grad)]
        kept = first.get(p.name) if problem.kind == "graph" else first.get(("shared",))
        for name in kept_names:  # a graph's parameter keeps arrays of its own; a layered one, an entry of a vector
            array = None if kept is None or name not in kept else kept[name] if problem.kind == "graph" else kept[name][i]
            row.append("" if array is None else values(array, 6) if np.ndim(array) else fmt(array))
        if result.trained:
            row.append(fmt(p.updated) + (" (frozen)" if p.frozen else ""))
        rows.append(row + [", ".join(p.uses) or "unused"])
    columns = (["name", "value", f"∂{n.loss}/∂name (sum over uses)"] + [STATE_TITLES[k] for k in kept_names]
               + (["updated"] if result.trained else []) + ["used in"])
    return Table(title, columns, rows, [optimizer_note(problem.training)] if kept_names else [])


MAX_HISTORY = 21  # steps shown in full; past that, the first, the last and evenly spaced ones
CURVE = "▁▂▃▄▅▆▇█"
CURVE_WIDTH = 60


def history_table(result, fmt) -> Table:
    """The loss before each training step (a readable count of them) and after the last; past that
    count, the loss curve of every step in one line."""
    n = result.problem.notation
    history = result.history
    shown = shown_steps(len(history))
    rows = [[str(i + 1), fmt(history[i])] for i in shown]
    rows.append(["after", fmt(result.final_loss)])
    notes = []
    if len(shown) < len(history):  # the rows no longer tell the whole story: a curve does
        notes.append(f"showing {len(shown)} of {len(history)} steps; --format json has every one")
        curve, scale = loss_curve([*history, result.final_loss])
        if curve:
            notes.append(f"{n.loss} from step 1 to the end{scale}: {curve}")
    return Table("training", ["step", f"{n.loss} before the step"], rows, notes)


def shown_steps(count: int) -> list[int]:
    """Which steps (from 0) a history of ``count`` shows: all, or the first and last five and steps
    evenly spaced between them."""
    if count <= MAX_HISTORY:
        return list(range(count))
    inner = MAX_HISTORY - 10
    spaced = {5 + round(k * (count - 11) / (inner + 1)) for k in range(1, inner + 1)}
    return sorted({*range(5), *spaced, *range(count - 5, count)})


def loss_curve(losses: list[float]) -> tuple[str, str]:
    """The losses in one line of block characters (the mean over equal runs of steps), low to high,
    on a log scale when they are positive and span more than a factor 10 (then the second item says
    so); empty when a loss is not finite or there is nothing to draw."""
    values = np.asarray(losses, dtype=float)
    if values.size < 3 or not np.isfinite(values).all():
        return "", ""
    buckets = np.array([chunk.mean() for chunk in np.array_split(values, min(CURVE_WIDTH, values.size))])
    scale = ""
    if buckets.min() > 0 and buckets.max() > 10 * buckets.min():
        buckets, scale = np.log10(buckets), " (log scale)"
    low, high = buckets.min(), buckets.max()
    if high == low:
        return CURVE[0] * len(buckets), scale
    levels = np.minimum(((buckets - low) / (high - low) * len(CURVE)).astype(int), len(CURVE) - 1)
    return "".join(CURVE[level] for level in levels), scale


STATE_TITLES = {"v": "v", "s": "s", "m": "m", "m_hat": "m̂", "v_hat": "v̂"}  # columns of an optimizer's state


def optimizer_note(training) -> str:
    """The optimizer's update rule as the tables show it (its state after the first step)."""
    opt = training.optimizer
    rate, g = f"η = {training.learning_rate:g}", "g"
    decay = f"; g ← g + {opt.decay:g} p first (weight decay)" if opt.decay and opt.name != "adamw" else ""
    if opt.name == "sgd":
        mu = f"{opt.momentum:g}"
        if opt.form == "classical":
            rule = f"v ← {mu} v − η {g}, " + (f"p ← p + {mu} v − η {g}" if opt.nesterov else "p ← p + v")
        else:
            damp = f"(1 − {opt.dampening:g}) " if opt.dampening else ""
            rule = f"v ← {g} at step 1, then v ← {mu} v + {damp}{g}; " + \
                (f"p ← p − η ({g} + {mu} v)" if opt.nesterov else "p ← p − η v")
    elif opt.name == "rmsprop":
        rule = f"s ← {opt.alpha:g} s + {1 - opt.alpha:g} g², p ← p − η g / (√s + {opt.epsilon:g})"
    elif opt.name == "adagrad":
        rule = f"s ← s + g², p ← p − η g / (√s + {opt.epsilon:g})"
    else:
        b1, b2 = opt.betas
        hats = "m̂ = m / (1 − β1^t), v̂ = v / (1 − β2^t)" if opt.bias_correction else "m̂ = m, v̂ = v (no bias correction)"
        root = f"√(v̂ + {opt.epsilon:g})" if opt.eps_inside else f"(√v̂ + {opt.epsilon:g})"
        first = f"p ← p − η {opt.decay:g} p, then " if opt.name == "adamw" and opt.decay else ""
        rule = (f"m ← {b1:g} m + {1 - b1:g} g, v ← {b2:g} v + {1 - b2:g} g², {hats}; {first}"
                f"p ← p − η m̂ / {root}")
    return f"{opt.name} ({rate}): {rule}{decay}; the state shown is after step 1"

