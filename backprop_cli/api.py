"""The public library API: load a problem, solve it, check its answers."""

from __future__ import annotations

from .errors import ProblemError
from .read.files import load, loads
from .solving.kinds import solve
from .solving.results import GraphResult, Result

__all__ = ["load", "loads", "solve", "Result", "GraphResult", "ProblemError"]
