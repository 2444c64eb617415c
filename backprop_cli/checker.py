"""Written answers against the computed ones: a verdict for each, and for a wrong one, its likely cause.

Verdicts: ``correct``; ``drift`` (wrong against the exact value, right when every intermediate is
rounded as by hand); ``follows`` (wrong, but right given the student's own earlier wrong value); and
``wrong``, with the usual mistake that explains it, if one does.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import mistakes
from .address import lookup
from .expected import Answer
from .problem import Problem
from .solver import Result, solve

PASSING = ("correct", "drift")


@dataclass(eq=False)
class Verdict:
    """The verdict on one written answer."""

    answer: Answer
    exact: np.ndarray
    status: str  # correct | drift | follows | wrong
    reason: str = ""  # the diagnosis, or what the answer follows from, or the rounding used
    hand: np.ndarray | None = None  # the hand-rounded (drift) or carried-forward (follows) value

    @property
    def passed(self) -> bool:
        return self.status in PASSING


@dataclass(eq=False)
class FileCheck:
    """All verdicts for one problem file, in the order the answers were written."""

    problem: Problem
    result: Result
    verdicts: list[Verdict] = field(default_factory=list)

    @property
    def passed(self) -> int:
        return sum(v.passed for v in self.verdicts)

    @property
    def failed(self) -> int:
        return len(self.verdicts) - self.passed


def matches(answer: Answer, value: np.ndarray) -> bool:
    """True when every written element is within its tolerance of ``value`` (null matches absent)."""
    value = np.asarray(value, dtype=float)
    if value.shape != answer.written.shape:
        return False
    written_absent, absent = np.isnan(answer.written), np.isnan(value)
    if (written_absent != absent).any():
        return False
    present = ~absent
    limits = answer.limits(value)
    return bool(np.all(np.abs(answer.written[present] - value[present]) <= limits[present]))


def check(problem: Problem, rounding: int | None = None) -> FileCheck:
    """Check every expected answer of a problem."""
    result = solve(problem)
    report = FileCheck(problem, result)
    variants = mistakes.Variants(problem, result)
    rounding = rounding if rounding is not None else problem.check.rounding
    wrong: list[Answer] = []
    for answer in problem.expected:
        exact = lookup(answer.address, result)
        if matches(answer, exact):
            report.verdicts.append(Verdict(answer, exact, "correct"))
            continue
        drift = _drift(answer, variants, rounding)
        if drift is not None:
            digits, value = drift
            report.verdicts.append(Verdict(answer, exact, "drift",
                                           f"right when every step is rounded to {digits} decimals", value))
            continue
        report.verdicts.append(Verdict(answer, exact, "wrong"))
        wrong.append(answer)
    for verdict in report.verdicts:
        if verdict.status == "wrong":
            _explain(verdict, wrong, variants, rounding)
    return report


def _rounding_candidates(answer: Answer, problem: Problem, rounding: int | None) -> list[int]:
    """Decimals a sheet may have rounded every step to: the file's setting, else from the fewest
    decimals written anywhere in the file to the most written in this answer."""
    if rounding is not None:
        return [rounding]
    def written(a: Answer) -> np.ndarray:
        return np.atleast_1d(a.decimals)[~np.isnan(np.atleast_1d(a.written))]
    everywhere = np.concatenate([written(a) for a in problem.expected])
    low = max(1, int(everywhere.min())) if everywhere.size else 2
    mine = written(answer)
    high = max(low, min(int(mine.max()) if mine.size else low, 8))
    return list(range(low, high + 1))


def _drift(answer: Answer, variants: mistakes.Variants, rounding: int | None):
    """(digits, value) of a hand-rounded run that the answer matches, if any."""
    for digits in _rounding_candidates(answer, variants.problem, rounding):
        value = lookup(answer.address, variants.rounded(digits))
        if matches(answer, value):
            return digits, value
    return None


def _explain(verdict: Verdict, wrong: list[Answer], variants: mistakes.Variants, rounding: int | None) -> None:
    """Carried-forward error first (partial credit), else the usual mistake that explains it."""
    answer = verdict.answer
    earlier = [w for w in wrong if w.address.stage < answer.address.stage and mistakes.can_carry(w.address)]
    for sources in [[w] for w in earlier] + ([earlier] if len(earlier) > 1 else []):
        carried = variants.carried(sources)
        value = lookup(answer.address, carried)
        if matches(answer, value):
            verdict.status, verdict.hand = "follows", value
            names = ", ".join(w.address.text for w in sources)
            verdict.reason = f"follows from your value{'s' if len(sources) > 1 else ''} of {names}"
            return
    carried = variants.carried(earlier) if earlier else None
    digits = _rounding_candidates(answer, variants.problem, rounding)
    verdict.reason = mistakes.diagnose(answer, variants, digits, carried) or "no usual mistake explains it"


def load_and_check(path: str, rounding: int | None = None) -> FileCheck:
    """Read a problem file and check its expected answers (raises ProblemError when invalid)."""
    from .schema import load
    return check(load(path), rounding)

