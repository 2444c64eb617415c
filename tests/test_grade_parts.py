"""backprop grade with a key of several problems (YAML documents separated by ---): a sheet names the
problem of each answer (``2: L``), every export names the part, the total sums the parts, each part
graded by its own grading: (or expected:) section.

The correct answers are worked out here, the circuit by hand and the neuron with NumPy from its
definition (not by the tool); the sheets with mistakes change some of them the way a student would.
"""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from click.testing import CliRunner

from backprop_cli import cli
from backprop_cli.checking.classroom import grade_paths, read_keys
from backprop_cli.checking.parts import PartedKey
from backprop_cli.read.sheets import part_of
from test_grade import KEY as ONE_PROBLEM_KEY, assert_gradescope

CIRCUIT = """\
title: A circuit, f = (x + y) z
graph:
  inputs: {x: -2, y: 5, z: -4}
  nodes:
    q: x + y
    f: q * z
  output: f
expected:          # asked at 1 point each; the tool computes the values
  q: ~
  f: ~
  dL/dq: ~
  dL/dx: ~
  dL/dz: ~
"""
NEURON = """\
title: One sigmoid neuron, one step
network:
  inputs: 2
  layers:
    - {name: out, units: 1, activation: sigmoid, weights: [[0.3, -0.1]], bias: 0.2}
input: [1.0, 2.0]
target: 1
loss: {kind: squared_error, factor: 1/2}
train: {learning_rate: 0.5}
grading:
  follows: 0.5
  tolerance: {abs: 0.0005}
  questions:
    z^(1): 1
    a^(1): 1
    L: 2
    dL/dw^(1)_12: 2
    w^(1)_12': 2
"""
KEY = CIRCUIT + "---\n" + NEURON
SECOND = CIRCUIT.count("\n") + 1  # the line of the ---


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def by_hand() -> dict[str, float]:
    """Every asked quantity, named as a sheet names it."""
    x, y, z = -2.0, 5.0, -4.0
    q = x + y  # 3
    circuit = {"q": q, "f": q * z, "dL/dq": z, "dL/dx": z * 1.0, "dL/dz": q}  # L = f; dq/dx = 1
    inputs, w, b, target = np.array([1.0, 2.0]), np.array([0.3, -0.1]), 0.2, 1.0
    net = w @ inputs + b
    a = sigmoid(net)
    delta = (a - target) * a * (1 - a)
    neuron = {"z^(1)": net, "a^(1)": a, "L": 0.5 * (a - target) ** 2, "dL/dw^(1)_12": delta * inputs[1],
              "w^(1)_12'": w[1] - 0.5 * delta * inputs[1]}
    return {**{f"1: {k}": v for k, v in circuit.items()}, **{f"2: {k}": v for k, v in neuron.items()}}


RIGHT = by_hand()
QUESTIONS = list(RIGHT)
POINTS = {**{q: 1.0 for q in QUESTIONS[:5]}, "2: z^(1)": 1.0, "2: a^(1)": 1.0, "2: L": 2.0, "2: dL/dw^(1)_12": 2.0,
          "2: w^(1)_12'": 2.0}


def written(value: float) -> str:
    """A value as a student writes it: 4 decimals (the circuit's whole numbers as they are)."""
    return str(int(value)) if value == int(value) else f"{value:.4f}"


def yaml_sheet(student: str, answers: dict[str, str]) -> str:
    return f"student: {student}\nanswers:\n" + "".join(f"  {key}: {value}\n" for key, value in answers.items())


def quoted(answers: dict[str, float | str]) -> dict[str, str]:
    return {f'"{k}"': v if isinstance(v, str) else written(v) for k, v in answers.items()}


BEN_SLIP = 0.4  # z^(1) miscomputed; a^(1) then follows from it
SHEETS = {
    "ada.yaml": yaml_sheet("ada", quoted(RIGHT)),
    # the other spelling, unquoted (no space after the colon); f with its sign flipped
    "ben.yaml": yaml_sheet("ben", {k.replace(": ", ":"): written(v) for k, v in
                                   {**RIGHT, "1: f": -RIGHT["1: f"], "2: z^(1)": BEN_SLIP,
                                    "2: a^(1)": sigmoid(BEN_SLIP)}.items()}),
    # only the circuit answered, and four answers that name nothing the key holds
    "cy.yaml": yaml_sheet("cy", {**quoted({k: v for k, v in RIGHT.items() if k.startswith("1:")}),
                                 "f": "-12",          # line 8: no problem's number
                                 '"3: L"': "0.09",    # line 9: the key holds 2 problems
                                 '"2: q"': "3",       # line 10: q is the circuit's, not the neuron's
                                 '"1: qq"': "3"}),    # line 11: a near miss
}
SCORES = {"ada": 13, "ben": 10.5, "cy": 5, "dee": 13, "eve": 9}


def table() -> str:
    """A CSV export: one column per address, named with its problem as on a YAML sheet."""
    dee = [written(RIGHT[q]) for q in QUESTIONS]
    eve = {**{q: written(v) for q, v in RIGHT.items()}, "1: dL/dx": written(-RIGHT["1: dL/dx"]),
           "2: a^(1)": "abc", "2: L": written(2 * RIGHT["2: L"])}
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([["student", *QUESTIONS], ["dee", *dee],
                                                       ["eve", *(eve[q] for q in QUESTIONS)]])
    return buffer.getvalue()


@pytest.fixture
def classroom(tmp_path):
    (tmp_path / "key.yaml").write_text(KEY, encoding="utf-8")
    folder = tmp_path / "sheets"
    folder.mkdir()
    for name, text in SHEETS.items():
        (folder / name).write_text(text, encoding="utf-8")
    (tmp_path / "class.csv").write_text(table(), encoding="utf-8")
    return tmp_path


def run(*args):
    result = CliRunner().invoke(cli.main, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    return result


def graded(classroom, *names):
    return grade_paths(read_keys(str(classroom / "key.yaml")), [str(classroom / n) for n in names or ("sheets",
                                                                                                      "class.csv")])


# -- the syntax --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, found", [
    ("2: dE/dw5", (2, "dE/dw5")), ("2:dE/dw5", (2, "dE/dw5")), (" 12 :  L ", (12, "L")),
    ("2: w^(1)_12'", (2, "w^(1)_12'")),
    ("dE/dw5", None), ("2:", None), ("2: ", None), ("a: b", None), ("L", None),
])
def test_an_answer_names_its_problem_by_number_and_a_colon(text, found):
    assert part_of(text) == found


# -- grading -----------------------------------------------------------------------------------------------

def test_the_key_is_read_part_by_part_with_each_part_s_own_questions_and_points(classroom):
    key = read_keys(str(classroom / "key.yaml")).shared
    assert isinstance(key, PartedKey)
    assert [(q.text, q.points) for q in key.questions] == list(POINTS.items())
    assert [k.total for k in key.parts] == [5, 8] and key.total == 13
    assert [k.policy.follows for k in key.parts] == [1.0, 0.5]  # each part's grading: its own


def test_every_sheet_is_scored_part_by_part_and_the_total_sums_the_parts(classroom):
    grades = graded(classroom)
    assert {g.sheet.student: g.score for g in grades.graded} == SCORES and grades.exit_code == 0
    by_student = {g.sheet.student: g for g in grades.graded}
    parts = {name: [(p.number, p.score, p.total) for p in g.parts] for name, g in by_student.items()}
    assert parts == {"ada": [(1, 5, 5), (2, 8, 8)], "ben": [(1, 4, 5), (2, 6.5, 8)], "cy": [(1, 5, 5), (2, 0, 8)],
                     "dee": [(1, 5, 5), (2, 8, 8)], "eve": [(1, 4, 5), (2, 5, 8)]}
    assert [p.title for p in by_student["ada"].parts] == ["A circuit, f = (x + y) z", "One sigmoid neuron, one step"]
    ben = {a.question.text: a for a in by_student["ben"].answers}
    assert (ben["1: f"].status, ben["1: f"].reason) == ("wrong", "sign flipped")
    assert (ben["2: z^(1)"].status, ben["2: z^(1)"].points) == ("wrong", 0)
    assert (ben["2: a^(1)"].status, ben["2: a^(1)"].points) == ("follows", 0.5)  # the neuron's follows: 0.5
    assert ben["2: a^(1)"].reason == "follows from your value of z^(1)"
    eve = {a.question.text: a for a in by_student["eve"].answers}
    assert [eve[q].status for q in ("1: dL/dx", "2: a^(1)", "2: L")] == ["wrong", "unreadable", "wrong"]
    assert (eve["2: a^(1)"].line, eve["2: a^(1)"].column) == (3, 8)  # row 3 of the table, column 8
    cy = {a.question.text: a.status for a in by_student["cy"].answers}
    assert [cy[q] for q in QUESTIONS] == ["correct"] * 5 + ["missing"] * 5  # the neuron not answered


def test_the_correct_values_shown_are_the_ones_worked_out_by_hand(classroom):
    (ada,) = graded(classroom, "sheets/ada.yaml").graded
    assert [a.question.text for a in ada.answers] == QUESTIONS
    for answer in ada.answers:
        assert answer.status == "correct"
        np.testing.assert_allclose(answer.correct, RIGHT[answer.question.text], rtol=1e-12)


def test_an_answer_naming_no_problem_of_the_key_or_nothing_in_its_problem_is_unreadable(classroom):
    (cy,) = graded(classroom, "sheets/cy.yaml").graded
    sheet = str(classroom / "sheets" / "cy.yaml")
    assert [d.format() for e in cy.errors for d in e.diagnostics] == [
        f"{sheet}:8:3: error: answers.f: expected the address after its problem's number, from 1 to 2 (the key "
        "holds 2 problems), found 'f' (did you mean '1: f'?)",
        f"{sheet}:9:3: error: answers.3: L: expected a problem's number from 1 to 2 before the address, found 3 "
        "(did you mean '2: L'?)",
        f"{sheet}:10:3: error: answers.2: q: problem 2 of 2: expected a quantity (z, a, δ, w, W, b, θ, delta, "
        "theta), the loss L or a shared parameter, found 'q' (did you mean '1: q'?)",
        f"{sheet}:11:3: error: answers.1: qq: problem 1 of 2: expected a node, input or parameter name, found 'qq' "
        "(did you mean 'q'?)"]
    assert [(e.text, e.written) for e in cy.errors] == [("f", "-12"), ("3: L", "0.09"), ("2: q", "3"), ("1: qq", "3")]
    assert cy.score == 5 and cy.unasked == []


def test_an_address_of_the_problem_that_is_not_asked_is_named_with_its_problem(tmp_path):
    (tmp_path / "key.yaml").write_text(KEY, encoding="utf-8")
    (tmp_path / "fay.yaml").write_text("student: fay\nanswers:\n  '2: b^(1)': 0.2\n", encoding="utf-8")
    (fay,) = grade_paths(read_keys(str(tmp_path / "key.yaml")), [str(tmp_path / "fay.yaml")]).graded
    assert fay.unasked == ["2: b^(1)"] and fay.errors == [] and fay.score == 0


def test_a_column_naming_no_problem_is_unreadable_in_every_row_at_its_cell(tmp_path):
    (tmp_path / "key.yaml").write_text(KEY, encoding="utf-8")
    (tmp_path / "t.csv").write_text("student,1: q,L\ngus,3,0.09\nhal,3,\n", encoding="utf-8")
    gus, hal = grade_paths(read_keys(str(tmp_path / "key.yaml")), [str(tmp_path / "t.csv")]).graded
    assert [(e.text, e.line, e.column, e.reason) for e in gus.errors] == [
        ("L", 2, 3, "expected the address after its problem's number, from 1 to 2 (the key holds 2 problems), "
                    "found 'L' (did you mean '2: L'?)")]
    assert hal.errors == []  # an empty cell is no answer
    assert (gus.score, hal.score) == (1, 1)


# -- the command and its exports ---------------------------------------------------------------------------

def test_table_csv_junit_and_gradescope_name_every_question_with_its_problem(classroom):
    out = classroom / "out"
    out.mkdir()
    result = run("grade", classroom / "key.yaml", classroom / "sheets", classroom / "class.csv", "--csv",
                 out / "grades.csv", "--junit", out / "grades.xml", "--gradescope", out / "gradescope")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[:11] == [
        f"{classroom / 'key.yaml'}, 2 problems (1: A circuit, f = (x + y) z; 2: One sigmoid neuron, one step): "
        "5 submissions",
        "",
        "grades",
        "student  score  of  correct  drift  follows  wrong  missing  unreadable",
        "-------  -----  --  -------  -----  -------  -----  -------  ----------",
        "ada         13  13       10      0        0      0        0           0",
        "ben       10.5  13        7      0        1      2        0           0",
        "cy           5  13        5      0        0      0        5           0",
        "dee         13  13       10      0        0      0        0           0",
        "eve          9  13        7      0        0      2        0           1",
        "cy: f, 3: L, 2: q, 1: qq: not an address of the key's problems"]
    assert result.stdout.endswith("5 graded\n")
    assert (out / "grades.csv").read_text(encoding="utf-8") == (
        "student,1: q,1: f,1: dL/dq,1: dL/dx,1: dL/dz,2: z^(1),2: a^(1),2: L,2: dL/dw^(1)_12,2: w^(1)_12',total,"
        "out_of\n"
        "ada,1,1,1,1,1,1,1,2,2,2,13,13\n"
        "ben,1,0,1,1,1,0,0.5,2,2,2,10.5,13\n"
        "cy,1,1,1,1,1,0,0,0,0,0,5,13\n"
        "dee,1,1,1,1,1,1,1,2,2,2,13,13\n"
        "eve,1,1,1,0,1,1,0,0,2,2,9,13\n")
    suites = ET.parse(out / "grades.xml").getroot()
    assert suites.attrib == {"name": "backprop grade", "tests": "50", "failures": "11", "errors": "0",
                             "skipped": "0"}
    assert [c.get("name") for c in suites.find("testsuite[@name='ada']")] == QUESTIONS
    failures = {(s.get("name"), c.get("name")): c.find("failure").get("type")
                for s in suites for c in s if c.find("failure") is not None}
    assert failures == {("ben", "1: f"): "wrong", ("ben", "2: z^(1)"): "wrong", ("ben", "2: a^(1)"): "follows",
                        **{("cy", q): "missing" for q in QUESTIONS[5:]},
                        ("eve", "1: dL/dx"): "wrong", ("eve", "2: a^(1)"): "unreadable", ("eve", "2: L"): "wrong"}
    for student, score in SCORES.items():
        assert_gradescope(json.loads((out / "gradescope" / student / "results.json").read_text()), score)
    ben = json.loads((out / "gradescope" / "ben" / "results.json").read_text(encoding="utf-8"))
    assert [(t["name"], t["score"], t["max_score"]) for t in ben["tests"]] == [
        (q, {"1: f": 0.0, "2: z^(1)": 0.0, "2: a^(1)": 0.5}.get(q, POINTS[q]), POINTS[q]) for q in QUESTIONS]
    assert ben["output"] == "ben: 10.5 of 13 points (problem 1: 4 of 5; problem 2: 6.5 of 8)"
    cy = json.loads((out / "gradescope" / "cy" / "results.json").read_text(encoding="utf-8"))
    assert cy["output"].splitlines()[:3] == [
        "cy: 5 of 13 points (problem 1: 5 of 5; problem 2: 0 of 8)",
        "f: not an address of the key's problems (expected the address after its problem's number, from 1 to 2 "
        "(the key holds 2 problems), found 'f' (did you mean '1: f'?))",
        "3: L: not an address of the key's problems (expected a problem's number from 1 to 2 before the address, "
        "found 3 (did you mean '2: L'?))"]


def test_json_names_each_answer_with_its_problem_and_scores_each_part(classroom):
    result = run("grade", classroom / "key.yaml", classroom / "sheets" / "ben.yaml", "--format", "json")
    assert result.exit_code == 0
    (ben,) = json.loads(result.stdout)["students"]
    assert (ben["score"], ben["max_score"]) == (10.5, 13)
    assert ben["parts"] == [{"part": 1, "title": "A circuit, f = (x + y) z", "score": 4.0, "max_score": 5.0},
                            {"part": 2, "title": "One sigmoid neuron, one step", "score": 6.5, "max_score": 8.0}]
    assert [a["answer"] for a in ben["answers"]] == QUESTIONS
    assert ben["answers"][6] == {"answer": "2: a^(1)", "verdict": "follows", "points": 0.5, "max_points": 1.0,
                                 "written": [float(written(sigmoid(BEN_SLIP)))], "correct": [RIGHT["2: a^(1)"]],
                                 "reason": "follows from your value of z^(1)", "mistake": None, "line": 9}


def test_details_give_each_part_s_score(classroom):
    result = run("grade", classroom / "key.yaml", classroom / "sheets" / "ben.yaml", "--details")
    assert f"ben ({classroom / 'sheets' / 'ben.yaml'}): 10.5 of 13 (problem 1: 4 of 5; problem 2: 6.5 of 8)" \
        in result.stdout.splitlines()


def test_jobs_give_the_same_output_byte_for_byte(classroom):
    outputs = []
    for jobs in (1, 2):
        result = run("grade", classroom / "key.yaml", classroom / "sheets", classroom / "class.csv", "--jobs", jobs,
                     "--details", "--format", "json")
        outputs.append((result.exit_code, result.stdout, result.stderr))
    assert outputs[0] == outputs[1]


# -- keys: what is refused, variants ------------------------------------------------------------------------

def test_a_key_of_one_problem_is_unchanged_and_takes_no_problem_numbers(tmp_path):
    (tmp_path / "key.yaml").write_text(ONE_PROBLEM_KEY, encoding="utf-8")
    (tmp_path / "ada.yaml").write_text("student: ada\nanswers:\n  E: 0.2984\n  '1: E': 0.2984\n", encoding="utf-8")
    result = run("grade", tmp_path / "key.yaml", tmp_path / "ada.yaml", "--format", "json")
    (ada,) = json.loads(result.stdout)["students"]
    assert "parts" not in ada and ada["score"] == 2
    assert [e["answer"] for e in ada["errors"]] == ["1: E"]  # not an address of a key of one problem


def test_a_part_that_asks_nothing_or_asks_badly_is_reported_at_its_line(tmp_path):
    key = tmp_path / "key.yaml"
    key.write_text(CIRCUIT + "---\n" + NEURON.split("grading:")[0], encoding="utf-8")
    result = run("grade", key, tmp_path)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (f"{key}:{SECOND}:1: error: expected a key that asks for something (a grading: "
                             "questions: or an expected: section), found neither\n")
    text = KEY.replace("    L: 2\n", "    Q: 2\n").replace("  dL/dz: ~\n", "  dL/dzz: ~\n")
    key.write_text(text, encoding="utf-8")
    result = run("grade", key, tmp_path)
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    at = [text.split("\n").index(line) + 1 for line in ("  dL/dzz: ~", "    Q: 2")]
    assert [line.split(": error: ")[0] for line in lines] == [f"{key}:{at[0]}:3", f"{key}:{at[1]}:5"]
    assert "found 'zz' (did you mean 'z'?)" in lines[0] and "grading.questions.Q" in lines[1]


def test_an_invalid_problem_in_the_key_refuses_the_key(tmp_path):
    key = tmp_path / "key.yaml"
    key.write_text(KEY.replace("target: 1\n", "target: [1, 2, 3]\n"), encoding="utf-8")
    result = run("grade", key, tmp_path)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith(f"{key}:{KEY.split(chr(10)).index('target: 1') + 1}:")


def test_a_folder_of_variant_keys_of_several_problems_grades_each_student_with_their_own(classroom):
    keys = classroom / "keys"
    keys.mkdir()
    (keys / "ada.yaml").write_text("student: ada\n" + KEY, encoding="utf-8")
    (keys / "ben.yaml").write_text("student: ben\n" + KEY.replace("learning_rate: 0.5", "learning_rate: 1.0"),
                                   encoding="utf-8")
    grades = grade_paths(read_keys(str(keys)), [str(classroom / "sheets" / n) for n in ("ada.yaml", "ben.yaml",
                                                                                        "cy.yaml")])
    scores = {g.sheet.student: g.score for g in grades.graded}
    # ben's neuron learns at the rate 1: his w^(1)_12' (for the rate 0.5) is wrong as well, 2 points less
    assert scores == {"ada": SCORES["ada"], "ben": SCORES["ben"] - 2}
    (refused,) = grades.refused
    assert "expected a student with a variant key, found 'cy', who has none" in refused.diagnostics[0].message


def test_the_problems_of_a_variant_key_name_one_student(tmp_path):
    key = tmp_path / "keys" / "ada.yaml"
    key.parent.mkdir()
    key.write_text("student: ada\n" + CIRCUIT + "---\nstudent: ben\n" + NEURON, encoding="utf-8")
    result = run("grade", key.parent, tmp_path)
    assert result.exit_code == 2
    assert result.stderr == (f"{key}:{SECOND + 1}:1: error: student: expected every problem of a key to name one "
                             "student, found 'ben' (problem 2) and 'ada' (problem 1)\n")


def test_variants_refuses_a_template_of_several_problems_in_one_line(tmp_path):
    template = tmp_path / "hw.yaml"
    template.write_text(KEY, encoding="utf-8")
    (tmp_path / "roster.csv").write_text("student\nada\n", encoding="utf-8")
    result = run("variants", template, "--students", tmp_path / "roster.csv", "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert result.stderr == f"{template}:{SECOND}:1: error: expected one YAML document, found 2 (separated by ---)\n"


# -- the example in problems/class ---------------------------------------------------------------------------

def test_the_example_key_in_parts_grades_as_the_readme_shows():
    from conftest import PROBLEMS
    folder = PROBLEMS / "class"
    x0, x1, w0, w1, w2 = -1.0, -2.0, 2.0, -3.0, -3.0
    s = w0 * x0 + w1 * x1 + w2  # 1
    f = 1 / (1 + np.exp(-s))
    dfds = f * (1 - f)  # L = f
    delta = (f - 1) * f * (1 - f)  # the neuron: a = f, target 1, L = (a - 1)^2 / 2
    hand = {"1: s": s, "1: f": f, "1: dL/ds": dfds, "1: dL/dw0": dfds * x0, "1: dL/dx0": dfds * w0,
            "2: a^(1)": f, "2: L": 0.5 * (f - 1) ** 2, "2: δ^(1)": delta, "2: dL/dw^(1)_11": delta * x0,
            "2: w^(1)_11'": w0 - 0.5 * delta * x0}
    rows = list(csv.DictReader((folder / "two-part-sheets.csv").read_text(encoding="utf-8").splitlines()))
    kim = rows[0]
    assert kim["student"] == "kim" and all(abs(float(kim[q]) - v) <= 0.5e-4 for q, v in hand.items())
    grades = grade_paths(read_keys(str(folder / "two-part-key.yaml")), [str(folder / "two-part-sheets.csv")])
    assert {g.sheet.student: g.score for g in grades.graded} == {"kim": 10, "lou": 8, "max": 8}
    for answer in grades.graded[0].answers:
        np.testing.assert_allclose(answer.correct, hand[answer.question.text], rtol=1e-12)
    lou, max_ = ({a.question.text: a for a in g.answers} for g in grades.graded[1:])
    assert [(q, a.reason) for q, a in lou.items() if a.status != "correct"] == [
        ("1: dL/dw0", "sign flipped"),
        ("2: L", "off by a factor 2 (the loss's 1/2 dropped, or the 2 from the square forgotten)")]
    assert [(q, a.status, a.points) for q, a in max_.items() if a.status != "correct"] == [
        ("2: δ^(1)", "wrong", 0), ("2: dL/dw^(1)_11", "follows", 0.5), ("2: w^(1)_11'", "follows", 0.5)]
