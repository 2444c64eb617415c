"""Every problem file in problems/ runs, and agrees with the independent autograd reference."""

from __future__ import annotations

import pytest

from backprop_cli import load, solve
from agreement import assert_agrees, assert_graph_agrees, assert_reference_matches_differences
from backprop_cli.engine.model import GraphProblem
from conftest import PROBLEM_FILES, PROBLEMS

FILES = PROBLEM_FILES


def test_there_are_problem_files():
    assert len(FILES) >= 10


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(PROBLEMS)))
def test_problem_agrees_with_reference(path):
    problem = load(str(path))
    if isinstance(problem, GraphProblem):
        assert_graph_agrees(problem, solve(problem))
    else:
        assert_agrees(problem, solve(problem))


LAYERED = [path for path in FILES if "graph:" not in path.read_text(encoding="utf-8")]


@pytest.mark.parametrize("path", LAYERED, ids=lambda p: str(p.relative_to(PROBLEMS)))
def test_reference_agrees_with_central_differences(path):
    """(Graphs are compared with central differences directly, above.)"""
    assert_reference_matches_differences(load(str(path)))
