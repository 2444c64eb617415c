"""backprop grade: a class's sheets against one key; every verdict, its points, and every export.

The correct answers written on the sheets are worked out here with NumPy from the network's
definition (not by the tool); the sheets with mistakes change one of them the way a student would.
"""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from click.testing import CliRunner

from backprop_cli import cli, loads
from backprop_cli.checking.classroom import grade_paths, read_keys
from backprop_cli.checking.grading import read_key

KEY = """\
title: one step of a 2-2-2 sigmoid net
notation: netout
network:
  inputs: 2
  layers:
    - {name: hidden, units: 2, activation: sigmoid, weights: [[0.15, 0.20], [0.25, 0.30]], bias: {shared: 0.35}, frozen: [bias]}
    - {name: output, units: 2, activation: sigmoid, weights: [[0.40, 0.45], [0.50, 0.55]], bias: {shared: 0.60}, frozen: [bias]}
input: [0.05, 0.10]
target: [0.01, 0.99]
loss: {kind: squared_error, factor: 1/2}
train: {learning_rate: 0.5}
grading:
  follows: 0.5
  tolerance: {abs: 0.0005}
  questions:
    net^(1)_1: 1
    out^(1)_1: 1
    out^(2): 2
    E: 2
    dE/dw^(2)_11: 2
    w^(2)_11': 2
"""


def by_hand() -> dict[str, object]:
    """The asked quantities, worked out directly."""
    sigmoid = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    x, t = np.array([0.05, 0.10]), np.array([0.01, 0.99])
    w1, w2 = np.array([[0.15, 0.20], [0.25, 0.30]]), np.array([[0.40, 0.45], [0.50, 0.55]])
    net1 = w1 @ x + 0.35
    h = sigmoid(net1)
    o = sigmoid(w2 @ h + 0.60)
    grad_w2_11 = (o[0] - t[0]) * o[0] * (1 - o[0]) * h[0]
    return {"net^(1)_1": net1[0], "out^(1)_1": h[0], "out^(2)": o, "E": 0.5 * np.sum((o - t) ** 2),
            "dE/dw^(2)_11": grad_w2_11, "w^(2)_11'": 0.40 - 0.5 * grad_w2_11}


RIGHT = by_hand()


def written(value) -> str:
    """A value as a student writes it: 4 decimals."""
    if np.ndim(value):
        return "[" + ", ".join(f"{v:.4f}" for v in value) + "]"
    return f"{value:.4f}"


def sheet(student: str, changes: dict[str, str | None] = {}, extra: str = "") -> str:
    answers = {**{k: written(v) for k, v in RIGHT.items()}, **changes}
    lines = [f"  {address}: {value}" for address, value in answers.items() if value is not None]
    return f"student: {student}\nanswers:\n" + "\n".join(lines) + "\n" + extra


CY_SLIP = RIGHT["net^(1)_1"] + 0.01  # net^(1)_1 miscomputed; out^(1)_1 then follows from it
SHEETS = {
    "ada.yaml": sheet("ada"),
    # every step rounded to 2 decimals, worked by hand: net 0.3775 -> 0.38, out 0.5939 -> 0.59, ...
    "ben.yaml": sheet("ben", {"net^(1)_1": "0.38", "out^(1)_1": "0.59", "out^(2)": "[0.75, 0.77]", "E": "0.30",
                              "dE/dw^(2)_11": "0.08", "w^(2)_11'": "0.36"}),
    "cy.yaml": sheet("cy", {"net^(1)_1": written(CY_SLIP), "out^(1)_1": written(1 / (1 + np.exp(-CY_SLIP)))}),
    "dee.yaml": sheet("dee", {"E": written(2 * RIGHT["E"]), "dE/dw^(2)_11": written(-RIGHT["dE/dw^(2)_11"])}),
    "eve.yaml": ("student: eve\nanswers:\n"
                 f"  net^(1)_1: {written(RIGHT['net^(1)_1'])}\n"
                 f"  out^(1)_1: {written(RIGHT['out^(1)_1'])}\n"
                 "  out^(2): 0.75 and 0.77\n"
                 "  w5': 0.3589\n"  # not an address of this problem
                 "  dE/dnet^(2)_1: 0.1385\n"),  # not asked
    "fay.yaml": "student: fay\nanswers:\n  E: 0.1\nnetwork:\n  inputs: 2\n",
}
SCORES = {"ada": 10, "ben": 0, "cy": 8.5, "dee": 6, "eve": 2}


@pytest.fixture
def classroom(tmp_path):
    (tmp_path / "key.yaml").write_text(KEY)
    folder = tmp_path / "sheets"
    folder.mkdir()
    for name, text in SHEETS.items():
        (folder / name).write_text(text, encoding="utf-8")
    return tmp_path


def run(*args):
    result = CliRunner().invoke(cli.main, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    return result


def test_every_verdict_earns_its_points(classroom):
    grades = grade_paths(read_keys(str(classroom / "key.yaml")), [str(classroom / "sheets")])
    scores = {g.sheet.student: g.score for g in grades.graded}
    assert scores == SCORES
    by_student = {g.sheet.student: {a.question.text: a for a in g.answers} for g in grades.graded}
    assert {a.status for a in by_student["ada"].values()} == {"correct"}
    ben = by_student["ben"]  # rounded every step to 2 decimals: drift, but outside the key's abs: 0.0005
    assert {a.status for a in ben.values()} == {"wrong"}
    assert all(a.reason.startswith("right when every step is rounded to 2 decimals, but further from the correct "
                                   "value than the tolerance allows") for a in ben.values())
    cy = by_student["cy"]
    assert (cy["net^(1)_1"].status, cy["net^(1)_1"].points) == ("wrong", 0)
    assert (cy["out^(1)_1"].status, cy["out^(1)_1"].points) == ("follows", 0.5)
    assert cy["out^(1)_1"].reason == "follows from your value of net^(1)_1"
    dee = by_student["dee"]
    assert dee["E"].reason.startswith("off by a factor 2") and dee["dE/dw^(2)_11"].reason == "sign flipped"
    eve = by_student["eve"]
    assert [eve[q].status for q in ("out^(2)", "E", "dE/dw^(2)_11")] == ["unreadable", "missing", "missing"]
    assert eve["out^(2)"].reason == "expected 2 values, found '0.75 and 0.77'"
    (eve_grade,) = [g for g in grades.graded if g.sheet.student == "eve"]
    assert [e.text for e in eve_grade.errors] == ["w5'"] and eve_grade.unasked == ["dE/dnet^(2)_1"]
    (refused,) = grades.refused
    assert [d.format() for d in refused.diagnostics] == [
        f"{classroom / 'sheets' / 'fay.yaml'}:4:1: error: network: expected only student and answers on an "
        "answer sheet, found 'network' (a key of the problem: a sheet cannot change the problem)"]
    assert grades.exit_code == 1


def test_the_correct_values_shown_are_the_ones_worked_out_by_hand(classroom):
    grades = grade_paths(read_keys(str(classroom / "key.yaml")), [str(classroom / "sheets" / "ada.yaml")])
    for graded in grades.graded[0].answers:
        np.testing.assert_allclose(graded.correct, RIGHT[graded.question.text], rtol=1e-12)


def test_a_csv_export_grades_like_the_yaml_sheets(classroom):
    header = ["student", *RIGHT]
    rows = [[name, *(written(v) for v in RIGHT.values())] for name in ("ada", "gus")]
    rows.append(["hal", *(written(v) for v in RIGHT.values())])
    rows[-1][header.index("E")] = written(2 * RIGHT["E"])
    rows[-1][header.index("w^(2)_11'")] = "abc"
    buffer = io.StringIO()
    csv.writer(buffer).writerows([header, *rows])
    (classroom / "class.csv").write_text(buffer.getvalue())
    grades = grade_paths(read_keys(str(classroom / "key.yaml")), [str(classroom / "class.csv")])
    assert {g.sheet.student: g.score for g in grades.graded} == {"ada": 10, "gus": 10, "hal": 6}
    (hal,) = [g for g in grades.graded if g.sheet.student == "hal"]
    (bad,) = [a for a in hal.answers if a.status == "unreadable"]
    assert (bad.line, bad.column, bad.reason) == (4, 7, "expected a number, found 'abc'")
    assert hal.sheet.source == f"{classroom / 'class.csv'}:4"


def test_table_csv_json_junit_and_gradescope(classroom):
    out = classroom / "out"
    out.mkdir()
    result = run("grade", classroom / "key.yaml", classroom / "sheets", "--csv", out / "grades.csv",
                 "--junit", out / "grades.xml", "--gradescope", out / "gradescope")
    assert result.exit_code == 1
    assert result.stdout.splitlines()[5:11] == [
        "ada         10  10        6      0        0      0        0           0",
        "ben          0  10        0      0        0      6        0           0",
        "cy         8.5  10        4      0        1      1        0           0",
        "dee          6  10        4      0        0      2        0           0",
        "eve          2  10        2      0        0      0        3           1",
        "eve: w5': not an address of this problem; dE/dnet^(2)_1: not asked"]
    assert result.stdout.endswith("5 graded, 1 not readable\n")
    assert (out / "grades.csv").read_text() == (
        "student,net^(1)_1,out^(1)_1,out^(2),E,dE/dw^(2)_11,w^(2)_11',total,out_of\n"
        "ada,1,1,2,2,2,2,10,10\nben,0,0,0,0,0,0,0,10\ncy,0,0.5,2,2,2,2,8.5,10\n"
        "dee,1,1,2,0,0,2,6,10\neve,1,1,0,0,0,0,2,10\n")
    suites = ET.parse(out / "grades.xml").getroot()
    assert suites.attrib == {"name": "backprop grade", "tests": "31", "failures": "14", "errors": "1", "skipped": "0"}
    failures = {(s.get("name"), c.get("name")): c.find("failure").get("type")
                for s in suites for c in s if c.find("failure") is not None}
    ben = {("ben", q): "wrong" for q in ("net^(1)_1", "out^(1)_1", "out^(2)", "E", "dE/dw^(2)_11", "w^(2)_11'")}
    assert failures == {**ben, ("cy", "net^(1)_1"): "wrong", ("cy", "out^(1)_1"): "follows", ("dee", "E"): "wrong",
                        ("dee", "dE/dw^(2)_11"): "wrong", ("eve", "out^(2)"): "unreadable",
                        ("eve", "E"): "missing", ("eve", "dE/dw^(2)_11"): "missing", ("eve", "w^(2)_11'"): "missing"}
    for student, score in SCORES.items():
        assert_gradescope(json.loads((out / "gradescope" / student / "results.json").read_text()), score)


def assert_gradescope(results: dict, score: float) -> None:
    """The structure Gradescope's autograder specification gives for results.json."""
    assert set(results) <= {"score", "execution_time", "output", "visibility", "stdout_visibility", "tests",
                            "extra_data", "leaderboard"}
    assert results["score"] == score and isinstance(results["output"], str)
    for test in results["tests"]:
        assert set(test) <= {"score", "max_score", "status", "name", "name_format", "number", "output",
                             "output_format", "tags", "visibility", "extra_data"}
        assert isinstance(test["name"], str) and isinstance(test["output"], str)
        assert isinstance(test["score"], float) and isinstance(test["max_score"], float)
        assert test["status"] in ("passed", "failed") and 0 <= test["score"] <= test["max_score"]
    assert sum(t["score"] for t in results["tests"]) == score


def test_json_document(classroom):
    result = run("grade", classroom / "key.yaml", classroom / "sheets" / "cy.yaml", "--format", "json")
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert (doc["schema"], doc["version"], doc["exit_code"], doc["not_readable"]) == ("backprop-cli/grade", 1, 0, [])
    (cy,) = doc["students"]
    assert (cy["student"], cy["score"], cy["max_score"]) == ("cy", 8.5, 10.0)
    assert cy["answers"][1] == {"answer": "out^(1)_1", "verdict": "follows", "points": 0.5, "max_points": 1.0,
                                "written": float(written(1 / (1 + np.exp(-CY_SLIP)))),
                                "correct": RIGHT["out^(1)_1"], "reason": "follows from your value of net^(1)_1",
                                "mistake": None, "line": 4}
    assert cy["answers"][0]["mistake"] == "digit slip"  # 0.3875 for 0.3775


def test_one_results_json_for_one_submission(classroom):
    target = classroom / "results.json"
    assert run("grade", classroom / "key.yaml", classroom / "sheets" / "dee.yaml", "--gradescope", target).exit_code == 0
    assert_gradescope(json.loads(target.read_text()), 6)
    result = run("grade", classroom / "key.yaml", classroom / "sheets", "--gradescope", target)
    assert result.exit_code == 2
    assert "expected one graded submission for a results.json file, found 5" in result.stderr


def test_jobs_give_the_same_output_byte_for_byte(classroom):
    for copy in range(8):  # enough files for the processes to share
        (classroom / "sheets" / f"ada{copy}.yaml").write_text(sheet(f"ada{copy}", {"E": written(RIGHT["E"] / 2)}))
    outputs = []
    for jobs in (1, 2):
        csv_file = classroom / f"jobs{jobs}.csv"
        result = run("grade", classroom / "key.yaml", classroom / "sheets", "--jobs", jobs, "--details",
                     "--csv", csv_file)
        outputs.append((result.exit_code, result.stdout, result.stderr, csv_file.read_bytes()))
    assert outputs[0] == outputs[1]


def test_a_folder_of_variant_keys_grades_each_student_with_their_own(classroom):
    keys = classroom / "keys"
    keys.mkdir()
    (keys / "ada.yaml").write_text("student: ada\n" + KEY)
    (keys / "ben.yaml").write_text("student: ben\n" + KEY.replace("input: [0.05, 0.10]", "input: [0.10, 0.05]"))
    grades = grade_paths(read_keys(str(keys)), [str(classroom / "sheets" / n) for n in ("ada.yaml", "ben.yaml",
                                                                                        "cy.yaml")])
    scores = {g.sheet.student: g.score for g in grades.graded}
    assert scores["ada"] == 10 and scores["ben"] < 10  # ben's sheet answers the other numbers
    (refused,) = grades.refused
    assert "expected a student with a variant key, found 'cy', who has none" in refused.diagnostics[0].message


def test_bad_keys_and_nothing_to_grade_are_exit_2(classroom):
    bad = classroom / "bad.yaml"
    bad.write_text(KEY.replace("    E: 2\n", "    Q: 2\n"))
    result = run("grade", bad, classroom / "sheets")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{bad}:19:5: error: grading.questions.Q: expected a quantity")
    empty = classroom / "empty"
    empty.mkdir()
    result = run("grade", classroom / "key.yaml", empty)
    assert (result.exit_code, result.stderr) == (2, "backprop: nothing to grade: no answer sheets (YAML, CSV "
                                                    "or TSV) found\n")


def test_an_output_file_that_is_an_input_is_refused(classroom):
    target = classroom / "sheets" / "ada.yaml"
    before = target.read_bytes()
    result = run("grade", classroom / "key.yaml", classroom / "sheets", "--csv", target)
    assert result.exit_code == 2
    assert "expected a file apart from the key and the sheets, found the input file" in result.stderr
    assert target.read_bytes() == before


def test_a_key_asks_its_expected_answers_when_it_has_no_grading_section():
    key = read_key(loads(KEY.split("grading:")[0] + "expected:\n  E: ~\n  out^(2): ~\n  w^(2)_11': 0.1\n"))
    assert [(q.text, q.points) for q in key.questions] == [("E", 1.0), ("out^(2)", 1.0), ("w^(2)_11'", 1.0)]


def test_the_example_class_in_problems_grades_as_the_readme_shows():
    from conftest import PROBLEMS
    folder = PROBLEMS / "class"
    grades = grade_paths(read_keys(str(folder / "key.yaml")), [str(folder / "sheets"), str(folder / "sheets.csv")])
    assert {g.sheet.student: g.score for g in grades.graded} == {
        "ada": 10, "ben": 0, "cy": 8.5, "dee": 6, "eve": 2, "gus": 10, "hal": 6, "ivy": 4}
    assert [r.source for r in grades.refused] == [str(folder / "sheets" / "fay.yaml")]
