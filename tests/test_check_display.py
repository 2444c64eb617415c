"""What backprop check shows: answers as written, the correct value to the digits that tell them apart,
the tolerance, reasons under the table within a bounded width, and the same in JSON and JUnit."""

from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from click.testing import CliRunner

from backprop_cli import cli, loads
from backprop_cli.checking.batch import Outcome, Run
from backprop_cli.checking.verdicts import FileCheck, Verdict, check
from backprop_cli.read.addresses import Address
from backprop_cli.read.answers import Answer, Tolerance, written_decimals
from backprop_cli.render import terminal, text, verdicts

GRAPH = "graph:\n  inputs: {x: 0.29837104}\n  nodes: {y: x}\n"
NET = """
network:
  inputs: 2
  layers:
    - {name: hidden, units: 3, activation: tanh, weights: [[0.1, 0.4], [-0.2, 0.5], [0.3, -0.6]], bias: [0.1, 0.2, 0.3]}
    - {name: output, units: 2, activation: sigmoid, weights: [[0.7, 0.2, 0.1], [0.5, -0.3, 0.4]], bias: [0.1, 0.2]}
parameters: {B: 0.5}
input: [0.5, 0.2]
target: [1, 0]
loss: {kind: binary_cross_entropy}
"""
TRAIN = "train: {learning_rate: 0.1}\n"


def _answer(raw: str, tolerance: Tolerance = Tolerance()) -> Answer:
    """One scalar answer written as ``raw``."""
    written = np.array(np.nan if raw == "null" else float(raw))
    return Answer(Address(raw, "node"), written, np.array(written_decimals(raw)), tolerance, 1, 1, np.array(raw))


def _check(tmp_path, body: str, *options: str):
    (tmp_path / "p.yaml").write_text(body)
    return CliRunner().invoke(cli.main, ["check", str(tmp_path / "p.yaml"), *options])


# -- the written text and the correct value -----------------------------------------------------------------

def test_the_table_shows_the_answer_as_written_and_the_digits_that_tell_it_from_the_correct_one(tmp_path):
    result = _check(tmp_path, GRAPH + "expected:\n  y: 0.2983710\n")
    assert result.stdout == (f"{tmp_path / 'p.yaml'}\n\n"
                             "answers\n"
                             "answer  written    correct     ±     verdict\n"
                             "------  ---------  ----------  ----  ---------\n"
                             "y       0.2983710  0.29837104  5e-8  ✓ correct\n"
                             "1 passed, 0 failed\n")


@pytest.mark.parametrize("raw, exact, shown", [
    ("0.2983710", 0.29837104, "0.29837104"),  # one more decimal already differs
    ("0.298371", 0.2983716, "0.2983716"),     # the same to 6 significant digits, wrong all the same
    ("0.60", 0.598207, "0.598"),
    ("0.5935", 0.5934963, "0.593496"),        # equal to 5 decimals: one more
    ("-0.40", -0.901546, "-0.902"),
    ("2", 3.0, "3.0"),
    ("0.625", 0.625, "0.625"),                # never differs: the value itself
    ("0.3", -0.0001, "0.00"),                 # no minus sign on a zero
    ("0", 1e-20, "1e-20"),                    # at most 12 significant digits, in no more than 15 decimals
    ("1.5e-3", 0.00151, "0.00151"),
    ("null", 0.25, "0.25"),
    ("0.1", np.nan, "null"),
])
def test_the_correct_value_has_one_more_decimal_and_more_until_it_differs(raw, exact, shown):
    assert verdicts.correct_text(_answer(raw), np.array(exact), 6) == shown


def test_a_matrix_is_shown_as_rows_of_the_texts_written():
    problem = loads(NET + TRAIN + "expected:\n  w^(2): [[0.70, 0.2, 1e-1], [0.5, -0.300, null]]\n")
    (answer,) = problem.expected
    assert answer.text.tolist() == [["0.70", "0.2", "1e-1"], ["0.5", "-0.300", "null"]]
    assert verdicts.written_text(answer) == "[[0.70, 0.2, 1e-1], [0.5, -0.300, null]]"
    exact = np.array([[0.7, 0.2, 0.1], [0.5, -0.3, 0.4]])
    assert verdicts.correct_text(answer, exact, 6) == "[[0.7, 0.2, 0.1], [0.5, -0.3, 0.4]]"


# -- tolerances ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value, check_section, shown", [
    ("0.2983710", "", "5e-8"),
    ("0.298", "", "0.0005"),
    ("0.3", "", "0.05"),
    ("4", "", "0.5"),
    ("{value: 0.3, abs: 0.01}", "", "0.01"),
    ("{value: 0.3, rel: 0.1}", "", "0.0298"),   # relative to the correct value
    ("{value: 0.3, decimals: 3}", "", "0.0005"),
    ("0.3", "check: {abs: 0.002}\n", "0.002"),   # the file's tolerance
])
def test_the_tolerance_used_is_shown(value, check_section, shown):
    problem = loads(GRAPH + check_section + f"expected:\n  y: {value}\n")
    (verdict,) = check(problem).verdicts
    assert verdicts.tolerance_text(verdict.answer, verdict.exact) == shown


def test_an_array_shows_its_largest_tolerance_and_null_has_none():
    problem = loads(NET + "expected:\n  z^(1): [0.2, 0.35, 0.4012]\n  a^(1)_1: null\n")
    (vector, null) = check(problem).verdicts
    assert verdicts.tolerance_text(vector.answer, vector.exact) == "0.05"
    assert verdicts.tolerance_text(null.answer, null.exact) == "—"


# -- layout -------------------------------------------------------------------------------------------------

LONG = ("a reason long enough to need several lines, " * 8).strip()


def _run_with_reason(reason: str) -> Run:
    """A run whose one answer is wrong for the given reason."""
    problem = loads(GRAPH + "expected:\n  y: 0.2983720\n")
    (answer,) = problem.expected
    verdict = Verdict(answer, np.array(0.29837104), "wrong", reason)
    return Run([Outcome("p.yaml", FileCheck(problem, None, [verdict]))])


def test_reasons_are_listed_under_the_table_and_wrapped():
    shown = text.render(verdicts.reports(_run_with_reason(LONG))[0])
    lines = shown.splitlines()
    assert lines[2:6] == ["answers",
                          "answer  written    correct     ±     verdict",
                          "------  ---------  ----------  ----  -------",
                          "y       0.2983720  0.29837104  5e-8  ✗ wrong"]
    assert lines[6:8] == ["", "details"]
    assert lines[8].startswith("  y  a reason long enough")
    assert all(line.startswith(" " * 5) for line in lines[9:])  # the reason's own column
    assert " ".join(line.strip() for line in lines[8:])[2:].strip() == LONG
    assert max(map(len, lines)) <= verdicts.WIDTH


def test_piped_lines_are_bounded_whatever_the_reason_or_the_values(tmp_path):
    names = [f"a_layer_with_a_name_long_enough_to_fill_a_line_by_itself_{i}" for i in (1, 2)]
    body = NET.replace("name: hidden", f"name: {names[0]}").replace("name: output", f"name: {names[1]}")
    answers = ("expected:\n  z^(nope): 1\n  z^(1): [0.123456789, 0.234567891, 0.345678912]\n"
               "  w^(2): [[0.70000, 0.20000, 0.10000], [0.50000, -0.30000, 0.40001]]\n")
    result = _check(tmp_path, body + answers)
    assert result.exit_code == 2
    lines = result.stdout.splitlines()
    assert "\x1b" not in result.stdout and max(map(len, lines)) <= verdicts.LINE
    assert lines[lines.index("details") + 1:][:4] == [
        "  z^(nope)  expected a layer number or name",
        "            (a_layer_with_a_name_long_enough_to_fill_a_line_by_itself_1,",
        "            a_layer_with_a_name_long_enough_to_fill_a_line_by_itself_2), found",
        "            'nope'"]
    assert "w^(2)     (below)  (below)  0.000005  ✗ wrong" in lines  # values too wide go under the table
    assert "  w^(2)     written [[0.70000, 0.20000, 0.10000], [0.50000, -0.30000, 0.40001]]" in lines


def test_the_terminal_table_fits_80_columns(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    stream = io.StringIO()
    terminal.render(verdicts.reports(_run_with_reason(LONG))[0], stream)
    lines = re.sub(r"\x1b\[[0-9;]*m", "", stream.getvalue()).splitlines()
    assert max(map(len, lines)) <= 80
    assert "  y  a reason long enough to need several lines, a reason long enough to need" in lines


# -- JSON and JUnit -----------------------------------------------------------------------------------------

def test_json_and_junit_carry_the_written_text_and_the_tolerance(tmp_path):
    body = (NET + TRAIN + "expected:\n  y_hat: [0.6000, null]\n  L: {value: 1.4, abs: 0.01}\n"
            "  dL/dw^(2)_11: 0.5000\n  z^(9): 1.50\n")
    doc = json.loads(_check(tmp_path, body, "--format", "json").stdout)
    answers = {a["answer"]: a for a in doc["files"][0]["answers"]}
    assert (answers["y_hat"]["written_text"], answers["y_hat"]["tolerance"]) == (["0.6000", "null"], 0.00005)
    assert (answers["L"]["written_text"], answers["L"]["tolerance"]) == ("1.4", 0.01)
    assert (answers["z^(9)"]["written_text"], answers["z^(9)"]["tolerance"]) == ("1.50", None)

    report = tmp_path / "report.xml"
    _check(tmp_path, body, "--junit", str(report))
    cases = {case.get("name"): case for case in ET.parse(report).getroot().iter("testcase")}
    failure = cases["dL/dw^(2)_11"].find("failure")
    assert failure.text.startswith("written 0.5000, correct ")
    assert ", tolerance ±0.00005: " in failure.text


# -- reading ------------------------------------------------------------------------------------------------

def test_a_matrix_written_transposed_is_read_as_written_and_shown():
    problem = loads(NET + TRAIN + "expected:\n  dL/dw^(2): [[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]]\n")
    assert problem.unreadable == []
    (answer,) = problem.expected
    assert answer.written.shape == answer.text.shape == (3, 2) and answer.address.shape == (2, 3)
    exact = np.arange(6.0).reshape(2, 3)
    assert not answer.matches(exact)
    assert answer.limits(exact).shape == (2, 3)
    assert verdicts.written_text(answer) == "[[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]]"
    assert verdicts.correct_text(answer, exact, 6) == "[[0, 1, 2], [3, 4, 5]]"
    assert verdicts.tolerance_text(answer, exact) == "0.05"


@pytest.mark.parametrize("value, message", [
    ("[[0.1, 0.2], [0.3, 0.4]]", "expected 2×3 values, found 2×2 values"),
    ("[[0.1, 0.2, 0.3], [0.4, 0.5]]", "expected 2×3 values, found a list of 2"),
    ("[0.1, 0.2, 0.3, 0.4, 0.5, 0.6]", "expected 2×3 values, found a list of 6"),
])
def test_any_other_shape_is_unreadable_with_a_clear_message(value, message):
    problem = loads(NET + TRAIN + f"expected:\n  dL/dw^(2): {value}\n")
    (bad,) = problem.unreadable
    assert bad.reason == message


@pytest.mark.parametrize("address", ["w^(2)_11'", "b^(1)_2'", "B'"])
def test_updated_values_without_a_train_section_are_unreadable(address):
    problem = loads(NET + f"expected:\n  {address}: 0.5\n  L: 1.44\n")
    (bad,) = problem.unreadable
    assert (bad.text, bad.written) == (address, "0.5")
    assert bad.reason == "updated values need a learning rate: the file has no train: section"
    assert [a.address.text for a in problem.expected] == ["L"]
    assert loads(NET + TRAIN + f"expected:\n  {address}: 0.5\n").unreadable == []


def test_an_updated_graph_parameter_without_a_train_section_is_unreadable():
    graph = "graph:\n  inputs: {x: 2}\n  params: {w: 3}\n  nodes: {y: w * x}\n"
    (bad,) = loads(graph + "expected:\n  w': 2.9\n").unreadable
    assert bad.reason == "updated values need a learning rate: the file has no train: section"
    assert loads(graph + TRAIN + "expected:\n  w': 2.9\n").unreadable == []
