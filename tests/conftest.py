"""Shared test helpers: central differences and paths."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import settings

# CI runs the property tests on a fixed set of examples, so that a run is repeatable; locally every run
# explores new ones.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

ROOT = Path(__file__).resolve().parent.parent
PROBLEMS = ROOT / "problems"
# Every file of one problem: answer sheets (in a sheets/ folder) and variant templates (in templates/)
# hold no problem, and a file of several (YAML documents split by ---) is tested part by part in
# test_multidoc.py.
ALL_PROBLEM_FILES = sorted(p for p in PROBLEMS.rglob("*.yaml") if not {"sheets", "templates"} & set(p.parts))
MULTI_PROBLEM_FILES = [p for p in ALL_PROBLEM_FILES if "\n---" in p.read_text(encoding="utf-8")]
# Problems worked in formulas (an input or parameter written `symbol`), tested in test_symbolic.py and
# test_formula_answers.py; the files of PROBLEM_FILES are worked in numbers.
def _symbolic(path: Path) -> bool:
    from backprop_cli import load
    try:
        return bool(getattr(load(str(path)), "symbols", ()))
    except Exception:  # a file of several problems, tested in test_multidoc.py
        return False


SYMBOLIC_FILES = [p for p in ALL_PROBLEM_FILES if p not in MULTI_PROBLEM_FILES and _symbolic(p)]
PROBLEM_FILES = [p for p in ALL_PROBLEM_FILES if p not in MULTI_PROBLEM_FILES and p not in SYMBOLIC_FILES]


def central_difference(f, x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """Gradient of a scalar function f at x by central differences, one entry at a time."""
    x = np.array(x, dtype=float)
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        saved = x[index]
        x[index] = saved + h
        up = f(x)
        x[index] = saved - h
        down = f(x)
        x[index] = saved
        grad[index] = (up - down) / (2 * h)
    return grad


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20261124)
