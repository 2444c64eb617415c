"""Written answers against the computed ones: a verdict for each, and for a wrong one, its likely cause.

Verdicts: ``correct``; ``drift`` (wrong against the exact value, right when every intermediate is
rounded as by hand); ``follows`` (wrong, but right given the student's own earlier wrong value); and
``wrong``, with the usual mistake that explains it, if one does.
"""

from __future__ import annotations

import itertools

import numpy as np

from ..read.answers import Answer
from ..solving.kinds import lookup, solve
from . import mistakes
from .influence import Influence
from .judged import FileCheck, Verdict  # noqa: F401 (read from here too)
from .replays import GRADIENTS, Replays, Way, can_carry, kept_decimals

@np.errstate(all="ignore")  # mistakes that overflow are compared like any other value
def check(problem, rounding: int | None = None, result=None, replays: dict | None = None) -> FileCheck:
    """Check every expected answer of a problem.

    Answers are judged in the order a hand calculation meets them, so that each can be compared with
    what follows from the values written before it. ``result`` is the problem's worked result, when
    it is at hand already; ``replays`` keeps the replays that other answers to the same problem may use.
    """
    result = solve(problem) if result is None else result
    if getattr(result, "symbolic", False):
        from .formulas import check as by_formula
        return by_formula(problem, result)
    report = FileCheck(problem, result, unreadable=list(problem.unreadable))
    replays = Replays(problem, result, replays)
    if rounding is None and problem.check is not None:
        rounding = problem.check.rounding
    kept = kept_decimals(problem.expected)
    influence = None  # built when an answer is first found not exactly right
    verdicts: dict[int, Verdict] = {}
    earlier: list[Verdict] = []  # verdicts of a stage before the current one that can be carried
    for _, group in itertools.groupby(sorted(problem.expected, key=lambda a: a.address.stage),
                                      key=lambda a: a.address.stage):
        group = list(group)
        for answer in group:
            exact = lookup(answer.address, result)
            if answer.matches(exact):
                verdicts[id(answer)] = Verdict(answer, exact, "correct")
            else:
                influence = influence or Influence(replays.program(by_hand=True), replays.kind, problem)
                verdicts[id(answer)] = _judge(answer, exact, earlier, replays,
                                               _roundings(answer, problem, rounding, kept), influence)
        earlier += [verdicts[id(a)] for a in group if can_carry(a.address) and _in_shape(a)]
    report.verdicts = [verdicts[id(a)] for a in problem.expected]
    return report


def _in_shape(answer: Answer) -> bool:
    """Whether the answer was written in the shape of its quantity (so it can be carried forward)."""
    address = answer.address
    return address.index is not None or answer.written.size == int(np.prod(address.shape, dtype=int))


def _judge(answer: Answer, exact: np.ndarray, earlier: list[Verdict], replays: Replays, roundings: list,
           influence: Influence) -> Verdict:
    """Rounding drift, then an error carried forward, then the usual mistake that explains it."""
    passed = {id(v.answer): v.passed for v in earlier}
    sources = tuple(influence.sources(answer, [v.answer for v in earlier]))  # what it is computed from
    wrong = [a for a in sources if not passed[id(a)]]
    # The right values it is computed from, looking through wrong ones (a value copied wrong may have
    # been used right).
    passing = tuple(influence.sources(answer, [v.answer for v in earlier if v.passed]))
    if wrong and _far(answer, exact, replays, roundings[0]):  # too far off for rounding: carried, if anything
        follows = _follows(answer, exact, replays, sources, wrong, roundings)
        if follows is not None:
            return follows
    drift = [Way((), digits) for digits in roundings]
    if passing:
        drift += [Way(passing, digits) for digits in [None, *roundings]]
    skipped = tuple(a for a in passing if a.address.kind != "grad_act")
    if skipped != passing:  # dL/da written, but δ worked without it (as a − y for a loss taken from z)
        drift += [Way(skipped, digits) for digits in [None, *roundings]]
    for way in drift:
        value = lookup(answer.address, replays.run(way))
        if answer.matches(value):
            if answer.tolerance.is_set:  # the file's tolerance is a bound on every answer
                return Verdict(answer, exact, "wrong", f"{_drift_words(way, replays.problem)}, but further from the correct value "
                                                       "than the tolerance allows", mistake="rounding")
            return Verdict(answer, exact, "drift", _drift_words(way, replays.problem), value)
    follows = _follows(answer, exact, replays, sources, wrong, roundings) if wrong else None
    if follows is not None:
        return follows
    # The student's own values first, then the exact run, then rounded as the student rounds.
    ways = [Way(sources), Way(), Way(sources, roundings[0])] if sources else [Way(), Way((), roundings[0])]
    written = frozenset(_slot(v.answer, replays) for v in earlier if v.answer.address.index is None)
    acceptable = [replays.run(way) for way in drift]
    finding = mistakes.diagnose(answer, replays, list(dict.fromkeys(ways)), written, acceptable)
    reason = finding.reason
    if replays.exhausted and not finding.mistake:
        reason += " (not every usual mistake was tried: the file asks for more diagnoses than fit the time allowed)"
    return Verdict(answer, exact, "wrong", reason, mistake=finding.mistake)


def _follows(answer: Answer, exact: np.ndarray, replays: Replays, sources: tuple, wrong: list,
             roundings: list) -> Verdict | None:
    """'follows' when the student's own values, exact or rounded as they round, give the answer."""
    for digits in (None, roundings[0]):
        value = lookup(answer.address, replays.run(Way(sources, digits)))
        if answer.matches(value):
            names = ", ".join(w.address.text for w in wrong)
            return Verdict(answer, exact, "follows",
                           f"follows from your value{'s' if len(wrong) > 1 else ''} of {names}", value)
    return None


def _far(answer: Answer, exact: np.ndarray, replays: Replays, digits) -> bool:
    """Whether the answer is a hundred times further from the correct value than rounding every step
    moves it (then rounding drift is out of the question, and an error carried forward is tried first)."""
    if answer.written.shape != exact.shape:
        return True
    rounded = lookup(answer.address, replays.run(Way((), digits)))
    scale = np.nan_to_num(np.abs(rounded - exact)) + answer.limits(exact)
    return bool(np.any(np.abs(answer.written - exact) > 100 * scale))  # NaN (an entry that is not there) is not


def _slot(answer: Answer, replays: Replays) -> tuple:
    label, _ = replays.kind.slot(answer.address, replays.problem)
    return label, answer.address.kind in GRADIENTS


def _drift_words(way: Way, problem) -> str:
    if way.answers:
        how = "" if way.digits is None else ", " + _rounded_words(way.digits, problem)
        return f"right from the rounded values written before it{how}"
    return "right when " + _rounded_words(way.digits, problem)


def _rounded_words(digits, problem) -> str:
    if isinstance(digits, int):
        return f"every step is rounded to {digits} decimals"
    names = _symbols(problem)
    return "each quantity is rounded to the decimals written for it (" + \
        ", ".join(f"{names.get(kind, kind)} {places}" for kind, places in digits) + ")"


def _symbols(problem) -> dict[str, str]:
    """How each kind of quantity is written in the problem's notation."""
    n = problem.notation
    if problem.kind == "graph":
        return {"node": "values", "node_grad": "gradients", "input_grad": "gradients of the inputs",
                "shared_grad": "gradients of the parameters", "shared_updated": "updated parameters", "loss": n.loss}
    return {"pre": n.pre, "act": n.act, "grad_act": f"d{n.loss}/d{n.act}", "delta": f"d{n.loss}/d{n.pre}",
            "weights_grad": f"d{n.loss}/d{n.weight}", "bias_grad": f"d{n.loss}/d{n.bias}", "loss": n.loss,
            "weights_updated": f"{n.weight}'", "bias_updated": f"{n.bias}'", "g_prime": f"g'({n.pre})",
            "weighted": f"({n.weight.upper()} {n.act})", "residual": "residual", "target": n.target}


def _fewest_decimals(problem) -> int:
    """The fewest decimals written anywhere in the file (at least 1), worked out once per file."""
    cached = problem.__dict__.get("_fewest_decimals")
    if cached is None:
        everywhere = np.concatenate([_written_decimals(a) for a in problem.expected])
        cached = problem.__dict__["_fewest_decimals"] = max(1, int(everywhere.min())) if everywhere.size else 2
    return cached


def _written_decimals(answer: Answer) -> np.ndarray:
    return np.atleast_1d(answer.decimals)[~np.isnan(np.atleast_1d(answer.written))]


def _roundings(answer: Answer, problem, rounding: int | None, kept: tuple) -> list:
    """The ways a sheet may have rounded: the file's setting; else each kind of quantity to the decimals
    written for it, then every step to one number of decimals, from the fewest written anywhere in the
    file to the most written in this answer."""
    if rounding is not None:
        return [rounding]
    low = _fewest_decimals(problem)
    mine = _written_decimals(answer)
    high = max(low, min(int(mine.max()) if mine.size else low, 8))
    uniform = list(range(low, high + 1))
    if len({places for _, places in kept}) > 1:  # different decimals for different quantities: tried first
        return [kept, *uniform]
    return uniform
