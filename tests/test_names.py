"""A sheet's own names for quantities (``names: {w5: w^(2)_11}``): accepted in addresses, shown in tables."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from backprop_cli import ProblemError, check, cli, loads
from conftest import PROBLEMS

MAZUR = (PROBLEMS / "mazur.yaml").read_text().split("expected:")[0]
NAMED = MAZUR.replace("notation: netout", 'notation: netout\nnames: {w5: "w^(2)_11", o1: "out^(2)_1"}')


def by_hand():
    """w5 = w^(2)_11 of the 2-2-2 example: its gradient and update, and o1 after the update."""
    sigmoid = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    x, y = np.array([0.05, 0.10]), np.array([0.01, 0.99])
    w1, w2 = np.array([[0.15, 0.20], [0.25, 0.30]]), np.array([[0.40, 0.45], [0.50, 0.55]])
    h = sigmoid(w1 @ x + 0.35)
    o = sigmoid(w2 @ h + 0.60)
    d2 = (o - y) * o * (1 - o)
    d1 = (w2.T @ d2) * h * (1 - h)
    w1, w2_new = w1 - 0.5 * np.outer(d1, x), w2 - 0.5 * np.outer(d2, h)
    o_new = sigmoid(w2_new @ sigmoid(w1 @ x + 0.35) + 0.60)
    return d2[0] * h[0], w2_new[0, 0], o[0], o_new[0]


def test_a_sheets_names_are_addresses_and_answers_keep_them():
    grad, updated, out, out_after = by_hand()
    problem = loads(NAMED + f"expected:\n  dE/dw5: {grad:.10f}\n  w5': {updated:.10f}\n  o1: {out:.10f}\n"
                            f"  o1': {out_after:.10f}\n")
    report = check(problem)
    assert [v.answer.address.text for v in report.verdicts] == ["dE/dw5", "w5'", "o1", "o1'"]
    assert [v.status for v in report.verdicts] == ["correct"] * 4, [v.reason for v in report.verdicts]


def test_the_tables_show_the_sheets_name_beside_the_entry(tmp_path):
    path = tmp_path / "named.yaml"
    path.write_text(NAMED)
    result = CliRunner().invoke(cli.main, ["run", str(path)])
    assert "w^(2)_11 (w5)" in result.stdout


@pytest.mark.parametrize("names, words", [
    ('{w5: "w^(7)_11"}', "expected a layer from 1 to 2"),
    ('{out: "w^(2)_11"}', "expected a new name"),
    ("[w5]", "expected a mapping of names to addresses"),
])
def test_bad_names_are_refused_at_their_place(names, words):
    with pytest.raises(ProblemError) as error:
        loads(MAZUR.replace("notation: netout", f"notation: netout\nnames: {names}"))
    assert "names" in str(error.value) and words in str(error.value)
