"""The public library API: load a problem, solve it."""

from __future__ import annotations

from .errors import ProblemError
from .schema import load, loads
from .solver import Result, solve

__all__ = ["load", "loads", "solve", "Result", "ProblemError"]
