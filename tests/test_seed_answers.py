"""The seed sheets' own answers (problems/seeds) and their corrected keys (problems/keys) under `backprop check`.

Every answer a sheet wrote is in the table below with the verdict it deserves and, for a wrong one, a
word of the diagnosis it deserves. The verdicts were reached by hand from tests/independent_seeds.py
(SHEET_ERRORS, SHEET_CHECKS, SHEET_CONFIRMED, SHEET_NOTES), each re-checked against the sheet's
own working, never read off the tool's output:

- ``correct``: right to the digits written;
- ``drift``: off only because the sheet rounded its intermediates (it passes);
- ``follows``: wrong, but right given the sheet's own earlier wrong value;
- ``wrong``: a mistake; the diagnosis column is a regular expression its explanation must match
  ("not explained" where none of the usual mistakes reproduces it, e.g. a typo).

Where the tool does not agree, the case is marked xfail(strict=True) with the reason (DISAGREEMENTS);
the expectation itself is not changed to suit the tool.

The ``correct`` column holds the independently derived value; problems/keys/ writes it to 6
significant digits, and the keys must pass both `backprop check` and a comparison with this column.
"""

from __future__ import annotations

import functools
import math
import re

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

import independent_seeds as hand
from backprop_cli import cli, load
from backprop_cli.read import yaml_tree as source
from backprop_cli.checking.verdicts import check
from conftest import PROBLEMS, ROOT

SEEDS, KEYS = PROBLEMS / "seeds", PROBLEMS / "keys"
CORRECT, DRIFT, FOLLOWS, WRONG = "correct", "drift", "follows", "wrong"

Q1 = hand.p000_q1()          # ECE 421 HW6 Q1
Q2E = hand.p000_q2e()        # ECE 421 HW6 Q2(e)
TANH = hand.p001_q1()        # 4-4-3-3 tanh net
Q1B = hand.p002_q1b()        # DL HW3 Q1(b)
Q2B = hand.p002_q2b()        # DL HW3 Q2(b)
REG = hand.p002_q2_regression()
Q2C = hand.p002_q2c()
A4 = hand.p003_q1()          # Assignment 4 Q1
EX71 = hand.p004_ex71()      # Exercise 7.1
EX73 = hand.p004_ex73()      # Exercise 7.3, at x = (1, ..., 5), d = (0.1, ..., 0.5)
_T, _S = math.tanh(0.5), 1 / (1 + math.exp(-1.0))  # Assignment 4 Q2 at x1 = 1, x2 = 2, by hand
A4Q2 = {"dx1": (1 - _T ** 2) / 2 + _S * (1 - _S), "dx2": -(1 - _T ** 2) / 4}

# file: [(address, as the sheet wrote it, verdict, diagnosis it deserves, correct value), ...]
SHEETS = {
    "exercise-7-1.yaml": [
        ("z^(1)",        "[0.27, 0.4, 0.57]",  WRONG,   "arithmetic slip",   EX71["z1"]),    # w1 x: 0.6*0.2 for 0.4*0.2
        ("a^(1)",        "[0.27, 0.4, 0.57]",  FOLLOWS, r"z\^\(1\)",         EX71["h"]),     # ReLU of its own z^(1)
        ("z^(2)",        "[0.43, 0.68]",       FOLLOWS, r"[za]\^\(1\)",      EX71["z2"]),    # from its h1 = 0.27
        ("a^(2)",        "[0.60, 0.66]",       CORRECT, None,                EX71["y"]),
        ("L",            "0.3451",             WRONG,   "log base 10",       EX71["L"]),     # then truncated
        ("dL/da^(2)_1",  "-0.83",              DRIFT,   None,                EX71["dL_dy"][0]),   # -0.5/0.60
        ("dL/dw^(2)_11", "0.053",              WRONG,   "sign flipped",      EX71["dL_dW2"][0][0]),
        ("dL/db^(2)_1",  "0.19",               WRONG,   "sign flipped",      EX71["dL_db2"][0]),
        ("dL/dw^(1)_11", "-0.06",              WRONG,   "left out",          EX71["dL_dW1"][0][0]),  # output 2's path
        ("dL/db^(1)_2",  "-0.03",              WRONG,   "left out",          EX71["dL_db1"][1]),
    ],
    "ece421-hw6-q1.yaml": [
        ("s^(1)",        "[0.7, 1.0]",         CORRECT, None,                Q1["s1"]),
        ("x^(1)",        "[0.60, 0.76]",       CORRECT, None,                Q1["x1"][1:]),
        ("s^(2)",        "-1.48",              CORRECT, None,                Q1["s2"]),
        ("x^(2)",        "-0.90",              CORRECT, None,                Q1["x2"][1]),
        ("s^(3)",        "-0.80",              CORRECT, None,                Q1["s3"]),
        ("x^(3)",        "-0.66",              DRIFT,   None,                Q1["x3"]),      # tanh(-0.80)
        ("δ^(3)",        "-1.855",             CORRECT, None,                Q1["delta3"]),
        ("de/dx^(2)",    "-3.71",              CORRECT, None,                Q1["W3_delta3"][1]),
        ("δ^(2)",        "-0.705",             DRIFT,   None,                Q1["delta2"]),   # 0.19 * -3.71
        ("de/dx^(1)",    "[-0.705, 2.115]",    DRIFT,   None,                Q1["W2_delta2"][1:]),
        ("δ^(1)",        "[-0.4512, 0.89676]", WRONG,   r"give 0\.893376 here \(a slip in this step", Q1["delta1"]),  # 0.4224*2.115
        ("de/dw^(1)",    "[[-0.45, 0.89], [-0.90, 1.78]]", DRIFT, None,      Q1["dE_dW1"]),
        ("de/dw^(2)",    "[-0.705, -0.423, -0.535]", WRONG, "truncated instead", Q1["dE_dW2"]),   # -0.5358 cut to -0.535
        ("x^(2)_1",      "-0.40",              WRONG,   "not explained",     Q1["x2"][1]),    # typo for -0.90
        ("de/dw^(3)",    "[-1.855, 1.6695]",   DRIFT,   None,                Q1["dE_dW3"]),   # -0.90 * -1.855
    ],
    "ece421-hw6-q2e-graph.yaml": [
        ("y_hat",        "2",                  WRONG,   "term left out",     Q2E["yhat"]),    # θ(w x2) taken as 0
        ("e",            "1",                  FOLLOWS, "y_hat",             Q2E["e"]),
        ("de/dv",        "4",                  WRONG,   "term left out",     Q2E["de_dv"]),
        ("de/dw",        "4",                  WRONG,   "term left out",     Q2E["de_dw"]),
    ],
    "assignment4-q2.yaml": [
        ("dL/dx1",       "0.3932",             WRONG,   "sigmoid",           A4Q2["dx1"]),    # the sigmoid path lost
        ("dL/dx2",       "-0.1966",            CORRECT, None,                A4Q2["dx2"]),
    ],
    "exercise-7-3a.yaml": [
        ("dL/dx",        "[0.4, 0.5, 0.1, 0.3, 0.2]", CORRECT, None,         EX73["dL_dx_F1"]),
    ],
    "exercise-7-3b.yaml": [
        ("dL/dx[0]",     "5.6",                CORRECT, None,                EX73["dL_dx_F2"][0]),
        ("dL/dx[1]",     "0.2",                CORRECT, None,                EX73["dL_dx_F2"][1]),
        ("dL/dx[4]",     "0.5",                CORRECT, None,                EX73["dL_dx_F2"][4]),
    ],
    "exercise-7-3c.yaml": [
        ("dL/dx[0]",     "4.3",                CORRECT, None,                EX73["dL_dx_F3"][0]),
        ("dL/dx[2]",     "0.1",                CORRECT, None,                EX73["dL_dx_F3"][2]),
        ("dL/dx[4]",     "0.2",                CORRECT, None,                EX73["dL_dx_F3"][4]),
        ("dL/dx[3]",     "0.3",                CORRECT, None,                EX73["dL_dx_F3"][3]),
        ("dL/dx[1]",     "0.5",                CORRECT, None,                EX73["dL_dx_F3"][1]),
    ],
    "ece421-hw6-q2e.yaml": [
        ("ŷ",            "2",                  WRONG,   "left out",          Q2E["yhat"]),    # γθ(w x2) taken as 0
        ("e",            "1",                  FOLLOWS, "ŷ",                 Q2E["e"]),
        ("de/dv",        "4",                  WRONG,   "left out",          Q2E["de_dv"]),
        ("de/dw",        "4",                  WRONG,   "left out",          Q2E["de_dw"]),   # two of three paths
    ],
    "tanh-4433-q1.yaml": [
        ("z^(1)",        "[0.3, 0.3, 0.3, 0.3]", CORRECT, None,              TANH["z1"]),
        ("h^(1)",        "[0.2913, 0.2913, 0.2913, 0.2913]", CORRECT, None,  TANH["h1"]),
        ("z^(2)",        "[0.2165, 0.2165, 0.2165]", CORRECT, None,          TANH["z2"]),
        ("z^(3)",        "[0.16936, 0.16936, 0.16936]", WRONG, "digits transposed: 0.16936 written for 0.16396", TANH["z3"]),
        ("L",            "0.376",              CORRECT, None,                TANH["loss"]),
    ],
    "softmax-4433-q2.yaml": [],  # the sheet writes no numbers for Question 2
    "dl-hw3-q1b.yaml": [
        ("a^(1)",        "[[1.5, 1.1], [1.2, 0]]", CORRECT, None,            Q1B["Yhat"]),
        ("dL/dW^(1)",    "[[0.4, 6.1], [6, 4.2]]", WRONG, "arithmetic slip", Q1B["dL_dW"]),   # 6.2
        ("W^(1)'",       "[[0.26, -0.12], [-0.8, 0.02]]", WRONG, "sign flipped", Q1B["W_new"]),  # -0.02
    ],
    "dl-hw3-q2b.yaml": [
        ("a^(1)",        "0.5393",             CORRECT, None,                Q2B["s1"]),
        ("a^(2)",        "0.4852",             CORRECT, None,                Q2B["s2"]),
        ("a^(3)",        "0.5935",             CORRECT, None,                Q2B["s3"]),
        ("dL/da^(3)",    "-1.6849",            CORRECT, None,                Q2B["dL_dyhat"]),
        ("dL/dw^(3)",    "-0.1972",            CORRECT, None,                Q2B["dL_dw3"]),
        ("dL/dw^(2)",    "-0.0427",            CORRECT, None,                Q2B["dL_dw2"]),
        ("dL/dw^(1)",    "0.00136",            CORRECT, None,                Q2B["dL_dw1"]),
    ],
    "dl-hw3-q2-regression.yaml": [
        ("a^(1)",        "0.5393",             CORRECT, None,                REG["s1"]),
        ("a^(2)",        "0.4852",             CORRECT, None,                REG["s2"]),
        ("a^(3)",        "0.3784",             CORRECT, None,                REG["yhat"]),
        ("dL/da^(3)",    "-1.2431",            CORRECT, None,                REG["dL_dyhat"]),
        ("dL/dw^(3)",    "-0.6031",            CORRECT, None,                REG["dL_dw3"]),
        ("dL/dw^(2)",    "-0.1306",            CORRECT, None,                REG["dL_dw2"]),
        ("dL/dw^(1)",    "0.00417",            CORRECT, None,                REG["dL_dw1"]),
    ],
    "dl-hw3-q2c.yaml": [
        ("a^(1)",        "0.5393",             CORRECT, None,                Q2C["s1"]),
        ("a^(2)",        "0.4852",             CORRECT, None,                Q2C["s2"]),
        ("a^(3)",        "0.3784",             CORRECT, None,                Q2C["yhat"]),
        ("dL/da^(3)",    "-255.2431",          CORRECT, None,                Q2C["dL_dyhat"]),
        ("dL/dw^(3)",    "-123.8373",          CORRECT, None,                Q2C["dL_dw3"]),
        ("dL/dw^(2)",    "-26.8184",           CORRECT, None,                Q2C["dL_dw2"]),
        ("dL/dw^(1)",    "0.8562",             CORRECT, None,                Q2C["dL_dw1"]),
    ],
    "assignment4-q1.yaml": [
        ("z^(1)_1",      "0.625",              CORRECT, None,                A4["a1"]),
        ("z^(1)_2",      "0.7025",             CORRECT, None,                A4["a2"]),
        ("z^(1)_3",      "0.64",               CORRECT, None,                A4["a3"]),
        ("z^(1)_4",      "0.605",              CORRECT, None,                A4["a4"]),
        ("a^(1)_1",      "0.6513",             WRONG,   "truncated instead", A4["h1"]),       # 0.651355
        ("a^(1)_2",      "0.6687",             CORRECT, None,                A4["h2"]),
        ("a^(1)_3",      "0.64",               CORRECT, None,                A4["h3"]),
        ("a^(1)_4",      "0.605",              CORRECT, None,                A4["h4"]),
        ("a^(2)_1",      "0.6671",             CORRECT, None,                A4["yhat1"]),
        ("a^(2)_2",      "0.7849",             CORRECT, None,                A4["yhat2"]),
        ("L",            "0.1963",             DRIFT,   None,                A4["L"]),        # from ŷ to 4 places
        ("dL/dw^(2)_31", "0.2285",             DRIFT,   None,                A4["dL_dw31_2"]),  # (0.6671 - 0.31)(0.64)
        ("dL/dw^(1)_21", "0.0056",             WRONG,   "truncated instead", A4["dL_dw21_1"]),  # 0.005677
        ("w^(2)_31'",    "0.2157",             CORRECT, None,                A4["w31_2_new"]),
        ("w^(1)_21'",    "0.2472",             CORRECT, None,                A4["w21_1_new"]),
    ],
}


# Where the tool's verdict differed from the one above, the case was marked xfail here; none is left.
DISAGREEMENTS: dict[tuple[str, str], str] = {}
FLAGGED_DISAGREEMENTS: dict[str, str] = {}


def _as_written(node):
    """A parsed node with every scalar kept as the text written (0.60 stays '0.60')."""
    if node.is_mapping:
        return {key: _as_written(child) for key, child in node.value.items()}
    if node.is_sequence:
        return [_as_written(child) for child in node.value]
    return node.raw


def _raw(path):
    return _as_written(source.read(str(path)))


@functools.lru_cache(maxsize=None)
def _verdicts(folder: str, name: str) -> dict:
    report = check(load(str(PROBLEMS / folder / name)))
    return {v.answer.address.text: v for v in report.verdicts}


def _cases():
    for name, rows in SHEETS.items():
        for address, sheet, status, diagnosis, _ in rows:
            marks = ()
            reason = DISAGREEMENTS.get((name, address))
            if reason:
                marks = (pytest.mark.xfail(strict=True, reason=reason),)
            yield pytest.param(name, address, sheet, status, diagnosis, marks=marks, id=f"{name}:{address}")


# -- the seed files hold the sheets' answers as written ------------------------------------------------------

def test_every_seed_file_has_a_key_and_a_row_in_the_table():
    """(The sheets' symbolic answers, in files worked in formulas, are judged in test_formula_answers.py.)"""
    from conftest import SYMBOLIC_FILES
    symbolic = {p.name for p in SYMBOLIC_FILES}
    seeds = sorted(p.name for p in SEEDS.glob("*.yaml") if p.name not in symbolic)
    assert seeds == sorted(SHEETS)
    assert sorted(p.name for p in KEYS.glob("*.yaml") if p.name not in symbolic) == seeds


@pytest.mark.parametrize("name", sorted(SHEETS))
def test_seed_file_holds_the_sheet_answers_as_written(name):
    expected = _raw(SEEDS / name)["expected"]
    rows = SHEETS[name]
    assert list(expected) == [row[0] for row in rows]  # every answer judged, in the sheet's order
    for address, sheet, *_ in rows:
        assert expected[address] == _as_written(source.parse(f"value: {sheet}", "sheet").value["value"]), address


# -- backprop check on the sheets' answers ---------------------------------------------------------------------

@pytest.mark.parametrize("name, address, sheet, status, diagnosis", list(_cases()))
def test_check_gives_each_sheet_answer_the_verdict_it_deserves(name, address, sheet, status, diagnosis):
    verdict = _verdicts("seeds", name)[address]
    assert verdict.status == status, f"{address} = {sheet}: {verdict.status} ({verdict.reason})"
    if diagnosis is not None:
        assert re.search(diagnosis, verdict.reason, re.IGNORECASE), f"{address} = {sheet}: {verdict.reason}"


@pytest.mark.parametrize("name", [
    pytest.param(name, marks=(pytest.mark.xfail(strict=True, reason=FLAGGED_DISAGREEMENTS[name]),)
                 if name in FLAGGED_DISAGREEMENTS else ()) for name in sorted(SHEETS)])
def test_check_flags_exactly_the_wrong_sheet_answers(name):
    flagged = {address for address, v in _verdicts("seeds", name).items() if not v.passed}
    assert flagged == {row[0] for row in SHEETS[name] if row[2] in (FOLLOWS, WRONG)}


# -- the corrected keys ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(SHEETS))
def test_key_differs_from_the_seed_only_in_its_expected_answers(name):
    seed = yaml.safe_load((SEEDS / name).read_text(encoding="utf-8"))
    key = yaml.safe_load((KEYS / name).read_text(encoding="utf-8"))
    assert list(key.pop("expected")) == list(seed.pop("expected"))  # the same answers, corrected
    assert key == seed


def _decimals(text: str) -> int:
    mantissa, _, exponent = text.lower().partition("e")
    places = len(mantissa.partition(".")[2])
    return places - int(exponent or 0)


def _agree(written, value, where):
    """Written text against an independent value: right to the decimals written."""
    if isinstance(written, list):
        value = np.asarray(value, dtype=float)
        flat = [w for w in np.ravel(np.array(written, dtype=object))]
        assert len(flat) == value.size, where
        for w, v in zip(flat, value.ravel()):
            _agree(w, float(v), where)
        return
    assert abs(float(written) - value) <= 0.5 * 10.0 ** -_decimals(written) * (1 + 1e-9), (where, written, value)


@pytest.mark.parametrize("name", sorted(SHEETS))
def test_key_values_agree_with_the_independent_derivations(name):
    expected = _raw(KEYS / name)["expected"]
    for address, _, _, _, correct in SHEETS[name]:
        written = expected[address]
        _agree(written, correct, address)
        significant = [w for w in np.ravel(np.array(written, dtype=object))] if isinstance(written, list) else [written]
        for w in significant:  # 6 significant digits, or fewer where the value is exact
            digits = w.lstrip("-").replace(".", "").lstrip("0")
            assert len(digits) <= 6, (address, w)


@pytest.mark.parametrize("name", [n for n in sorted(SHEETS) if SHEETS[n]])
def test_every_key_answer_is_correct(name):
    verdicts = _verdicts("keys", name)
    assert list(verdicts) == [row[0] for row in SHEETS[name]]
    assert {a: v.status for a, v in verdicts.items() if v.status != CORRECT} == {}


# -- the command line --------------------------------------------------------------------------------------------

def test_check_passes_the_keys_and_fails_the_seeds(monkeypatch):
    monkeypatch.chdir(ROOT)
    runner = CliRunner()
    keys = runner.invoke(cli.main, ["check", "problems/keys"])
    assert keys.exit_code == 0, keys.output
    seeds = runner.invoke(cli.main, ["check", "problems/seeds"])
    assert seeds.exit_code == 1, seeds.output
    for words in ("log base 10", "sign flipped", "truncated", "left out", "follows"):
        assert words in seeds.stdout


def test_check_passes_the_published_and_worked_examples(monkeypatch):
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(cli.main, ["check", "problems/mazur.yaml", "problems/examples"])
    assert result.exit_code == 0, result.output
    assert " 0 failed" in result.stdout
