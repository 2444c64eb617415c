"""The public library API: load a problem, solve it, check its answers."""

from __future__ import annotations

from .errors import ProblemError
from .read.files import load, loads
from .solving.kinds import solve
from .solving.results import GraphResult, Result

__all__ = ["load", "loads", "solve", "check", "Result", "GraphResult", "ProblemError"]


def check(problem, rounding: int | None = None):
    """Judge every expected answer of a problem: a FileCheck with one verdict per answer."""
    from .checking.verdicts import check as judge  # only checking pays for the mistake registry
    return judge(problem, rounding)
