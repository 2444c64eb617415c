"""Per-student variants of a template (backprop_cli.authoring): reproducible draws, keys that agree with
NumPy written directly, positioned errors for bad templates and rosters, nothing written on error."""

from __future__ import annotations

import os
from fractions import Fraction

import numpy as np
import pytest
import yaml

from backprop_cli import load
from backprop_cli.authoring.variants import write_variants
from backprop_cli.checking.verdicts import check
from backprop_cli.errors import ProblemError
from conftest import PROBLEMS

TEMPLATE = """\
# Homework 4 (a comment that every variant keeps)
title: variants
network:
  inputs: 2
  layers:
    - units: 2
      activation: sigmoid
      weights: [[{draw: [-1, 1]}, {draw: [-1, 1]}],    # W^(1), row 1
                [{draw: [-1, 1]}, {draw: [-1, 1]}]]
      bias: [{draw: [-0.5, 0.5], decimals: 1}, {draw: [-0.5, 0.5], decimals: 1}]
    - units: 1
      activation: sigmoid
      weights: [[{draw: [-1, 1], decimals: 3, nonzero: true}, {draw: [-1, 1], decimals: 3}]]
      bias: [0.1]
input: [{draw: [0, 1], decimals: 1}, {draw: [0, 1], decimals: 1}]
target: [{choose: [0, 1]}]
loss: {kind: squared_error, factor: 1/2}
train:
  learning_rate:          # a draw written in block style
    choose: [0.1, '1/2', 1]
expected:
  # the values are not read: a template only asks
  z^(1): ~
  a^(2): ~
  L: ~
  dL/dz^(1): ~
  dL/dw^(1)_12: ~
  w^(2)': ~
# the end
"""
ROSTER = "student,name\n00123,Ada Lovelace\nben,Ben Kay\ncy.2,Cy Young\n"
IDS = ["00123", "ben", "cy.2"]


def make(tmp_path, template=TEMPLATE, roster=ROSTER, out="out", roster_name="roster.csv", **how):
    (tmp_path / "template.yaml").write_text(template, encoding="utf-8")
    (tmp_path / roster_name).write_text(roster, encoding="utf-8")
    return write_variants(str(tmp_path / "template.yaml"), str(tmp_path / roster_name), str(tmp_path / out), **how)


def errors(tmp_path, **inputs) -> list[str]:
    with pytest.raises(ProblemError) as caught:
        make(tmp_path, **inputs)
    return [d.format().replace(f"{tmp_path}{os.sep}", "") for d in caught.value.diagnostics]


def number(value) -> float:
    return float(Fraction(value)) if isinstance(value, str) else float(value)


def drawn(variant: dict) -> dict[str, np.ndarray]:
    """The numbers of a variant, read back from the file written."""
    hidden, output = variant["network"]["layers"]
    return {"W1": np.array(hidden["weights"], float), "b1": np.array(hidden["bias"], float),
            "W2": np.array(output["weights"], float), "b2": np.array(output["bias"], float),
            "x": np.array(variant["input"], float), "y": np.array(variant["target"], float),
            "rate": number(variant["train"]["learning_rate"])}


def worked(n: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The template's questions worked out with NumPy directly: out_in weights, sigmoid, 1/2 Σ (ŷ - y)²."""
    sigmoid = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    z1 = n["W1"] @ n["x"] + n["b1"]
    a1 = sigmoid(z1)
    a2 = sigmoid(n["W2"] @ a1 + n["b2"])
    delta2 = (a2 - n["y"]) * a2 * (1 - a2)
    delta1 = (n["W2"].T @ delta2) * a1 * (1 - a1)
    return {"z^(1)": z1, "a^(2)": a2, "L": 0.5 * np.sum((a2 - n["y"]) ** 2), "dL/dz^(1)": delta1,
            "dL/dw^(1)_12": delta1[0] * n["x"][1], "w^(2)'": n["W2"] - n["rate"] * np.outer(delta2, a1)}


def read(path) -> dict:
    return yaml.safe_load(open(path, encoding="utf-8"))


# -- reproducible, and different per student ------------------------------------------------------------

def test_the_same_seed_and_roster_give_the_same_bytes_and_another_seed_other_files(tmp_path):
    first = make(tmp_path, out="a")
    again = make(tmp_path, out="b")
    make(tmp_path, out="c", seed=1)
    names = [os.path.relpath(p, tmp_path / "a") for p in first]
    assert names == [f"{i}.yaml" if k == 0 else os.path.join("keys", f"{i}.yaml") for i in IDS for k in (0, 1)]
    assert [os.path.relpath(p, tmp_path / "b") for p in again] == names
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
        assert (tmp_path / "a" / name).read_bytes() != (tmp_path / "c" / name).read_bytes()


def test_two_students_get_different_numbers(tmp_path):
    make(tmp_path)
    numbers = [drawn(read(tmp_path / "out" / f"{i}.yaml")) for i in IDS]
    for one, other in [(0, 1), (0, 2), (1, 2)]:
        assert not np.array_equal(numbers[one]["W1"], numbers[other]["W1"])


def test_a_draw_added_after_the_others_leaves_their_numbers(tmp_path):
    make(tmp_path, out="a")
    make(tmp_path, template=TEMPLATE.replace("bias: [0.1]", "bias: [{draw: [0, 1]}]"), out="b")
    for i in IDS:
        before, after = drawn(read(tmp_path / "a" / f"{i}.yaml")), drawn(read(tmp_path / "b" / f"{i}.yaml"))
        assert all(np.array_equal(before[k], after[k]) for k in ("W1", "b1", "W2"))  # the draws before it


def test_draws_are_rounded_within_their_range_and_choices_are_written_as_in_the_template(tmp_path):
    roster = "student\n" + "".join(f"s{i}\n" for i in range(60))
    make(tmp_path, roster=roster)
    texts = [(tmp_path / "out" / f"s{i}.yaml").read_text(encoding="utf-8") for i in range(60)]
    rates = {text.split("learning_rate:", 1)[1].splitlines()[1].strip() for text in texts}
    assert rates == {"0.1", "'1/2'", "1"}
    for text in texts:
        n = drawn(yaml.safe_load(text))
        assert n["W2"][0, 0] != 0 and n["y"][0] in (0, 1)
        assert ((-1 <= n["W1"]) & (n["W1"] <= 1)).all() and np.allclose(n["W1"], np.round(n["W1"], 2))
        assert np.allclose(n["b1"], np.round(n["b1"], 1)) and ((0 <= n["x"]) & (n["x"] <= 1)).all()
        assert "-0.0," not in text and "-0.0]" not in text
    nonzero = "title: t\ngraph: {inputs: {x: {draw: [-0.01, 0.01], nonzero: true}}, nodes: {y: 2 * x}}\n" \
              "expected: {y: ~}\n"
    make(tmp_path, template=nonzero, roster=roster, out="n")
    values = [read(tmp_path / "n" / f"s{i}.yaml")["graph"]["inputs"]["x"] for i in range(60)]
    assert set(values) == {-0.01, 0.01}


# -- the files: the template's text, the student, no answers; keys that are right ------------------------

def test_a_variant_is_the_template_text_with_numbers_for_draws_a_student_and_no_answers(tmp_path):
    make(tmp_path)
    text = (tmp_path / "out" / "00123.yaml").read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines[:3] == ["# Homework 4 (a comment that every variant keeps)", 'student: "00123"', "title: variants"]
    assert "      weights: [[" in text and "],    # W^(1), row 1\n" in text
    assert "  learning_rate:          # a draw written in block style\n    " in text
    assert lines[-1] == "# the end" and "expected" not in text and "{draw" not in text and "choose" not in text
    n = drawn(read(tmp_path / "out" / "00123.yaml"))
    w = n["W1"]
    assert f"weights: [[{w[0, 0]:.2f}, {w[0, 1]:.2f}],    # W^(1), row 1\n                [{w[1, 0]:.2f}, " \
           f"{w[1, 1]:.2f}]]\n" in text
    problem = load(str(tmp_path / "out" / "00123.yaml"))
    assert problem.student == "00123" and problem.expected == []
    key = (tmp_path / "out" / "keys" / "00123.yaml").read_text(encoding="utf-8")
    assert key.startswith(text) and key[len(text):].startswith("expected:\n  z^(1): [")


def test_every_key_agrees_with_numpy_worked_from_the_numbers_in_the_variant(tmp_path):
    paths = make(tmp_path)
    for i in IDS:
        exact = worked(drawn(read(tmp_path / "out" / f"{i}.yaml")))
        written = read(tmp_path / "out" / "keys" / f"{i}.yaml")["expected"]
        assert list(written) == list(exact)
        for address, value in exact.items():
            np.testing.assert_allclose(np.array(written[address], float).reshape(np.shape(value)), value,
                                       rtol=1e-5, atol=1e-12, err_msg=f"{i} {address}")
    for path in paths[1::2]:
        verdicts = check(load(path))
        assert verdicts.failed == 0 and verdicts.passed == 6


def test_keys_answer_the_grading_questions_when_there_are_some(tmp_path):
    graded = TEMPLATE + "grading:\n  follows: 0.5\n  questions: {L: 2, \"a^(2)\": {points: 1}}\n"
    make(tmp_path, template=graded)
    key = read(tmp_path / "out" / "keys" / "ben.yaml")
    assert list(key["expected"]) == ["L", "a^(2)"] and key["grading"]["questions"]["L"] == 2
    assert "grading:" in (tmp_path / "out" / "ben.yaml").read_text(encoding="utf-8")


def test_a_draw_on_a_graph_input_works(tmp_path):
    graph = ("title: g\ngraph:\n  inputs: {x: {draw: [1, 2], decimals: 3}}\n  params: {w: {draw: [-1, 1]}}\n"
             "  nodes:\n    y: w * x\ntarget: 1\nloss: squared_error\nexpected: {y: ~, dL/dw: ~}\n")
    paths = make(tmp_path, template=graph)
    for i in IDS:
        variant = read(tmp_path / "out" / f"{i}.yaml")["graph"]
        x, w = variant["inputs"]["x"], variant["params"]["w"]
        key = read(tmp_path / "out" / "keys" / f"{i}.yaml")["expected"]
        assert key["y"] == pytest.approx(w * x, rel=1e-5, abs=1e-12)
        assert key["dL/dw"] == pytest.approx(2 * (w * x - 1) * x, rel=1e-5, abs=1e-12)
    assert all(check(load(path)).failed == 0 for path in paths[1::2])


def test_the_example_template_makes_variants_whose_keys_pass(tmp_path):
    paths = write_variants(str(PROBLEMS / "class" / "templates" / "homework-4.yaml"), str(PROBLEMS / "class" / "roster.csv"),
                           str(tmp_path))
    assert len(paths) == 6
    assert all(check(load(path)).failed == 0 for path in paths[1::2])


# -- refusals -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("draw, message", [
    ("{draw: [1, 0]}", "15:16: error: input[1].draw: expected a range [low, high] with low < high, found [1, 0]"),
    ("{draw: [0, 1, 2]}", "15:16: error: input[1].draw: expected a range [low, high], found a list of 3"),
    ("{draw: [0, x]}", "15:20: error: input[1].draw[2]: expected a number, found 'x'"),
    ("{draw: [0, 1], decimals: 11}", "15:34: error: input[1].decimals: expected a number of decimals at least 0 "
                                     "and at most 10, found 11"),
    ("{draw: [0, 1], decimal: 2}", "15:24: error: input[1].decimal: unknown key 'decimal', expected one of: draw, "
                                   "decimals, nonzero (did you mean 'decimals'?)"),
    ("{draw: [0, 1], nonzero: 1}", "15:33: error: input[1].nonzero: expected true or false, found 1"),
    ("{draw: [-0.004, 0.004], nonzero: true}", "15:16: error: input[1].draw: expected a range with numbers that do "
                                               "not round to 0 at 2 decimals (nonzero: true), found [-0.004, 0.004]"),
    ("{choose: []}", "15:18: error: input[1].choose: expected a list of numbers to choose from, found a list of 0"),
    ("{choose: [1, a]}", "15:22: error: input[1].choose[2]: expected a number, found 'a'"),
    ("{draw: [0, 1], choose: [1]}", "15:9: error: input[1]: expected draw or choose, found both"),
    ("[{draw: [0, 1]}]", "15:8: error: input: expected a matrix (a list of equal-length lists), found a ragged list"),
])
def test_a_bad_draw_is_a_positioned_error(tmp_path, draw, message):
    template = TEMPLATE.replace("input: [{draw: [0, 1], decimals: 1},", f"input: [{draw},")
    assert errors(tmp_path, template=template) == [f"template.yaml:{message}"]


@pytest.mark.parametrize("change, message", [
    (("expected:\n  # the values are not read: a template only asks\n", "checked:\n"),
     "template.yaml:2:1: error: expected the quantities asked, under expected: or grading: questions:, "
     "found neither"),
    (("title: variants", "student: ann\ntitle: variants"),
     "template.yaml:2:1: error: student: expected no student: in a template (each variant names its own), "
     "found one"),
    (("bias: [0.1]", "bias: [&b {draw: [0, 1]}, *b]"),
     "template.yaml:14:14: error: network.layers[2].bias[2]: expected each draw written out where it is "
     "used, found one repeated through an alias"),
    (("inputs: 2", "inputs: {draw: [2, 3]}"),
     "template.yaml:4:11: error: network.inputs: expected a number of inputs, found 2.63"),
    (("\n  z^(1): ~", "\n  q^(1): ~"),
     "template.yaml:23:3: error: expected.q^(1): expected a quantity (z, a, δ, w, W, b, θ, delta, theta), the "
     "loss L or a shared parameter, found 'q'"),
])
def test_a_bad_template_is_a_positioned_error(tmp_path, change, message):
    lines = errors(tmp_path, template=TEMPLATE.replace(*change))
    if "number of inputs" in message:  # each student's number is different: one line for the place
        assert len(lines) == 1 and lines[0].startswith(message.rsplit(" ", 1)[0])
    else:
        assert lines == [message]


@pytest.mark.parametrize("roster, message", [
    ("id,name\n1,a\n", "1:1: error: expected a column 'student' in the header row, found 'id', 'name'"),
    ("Student\nann\n", "1:1: error: expected a column 'student' in the header row, found 'Student' "
                       "(did you mean 'student'?)"),
    ("student\n", "1:1: error: student: expected a row for each student, found none"),
    ("name,student\nAnn,ann\nBen,\n", "3:2: error: student: expected a student id, found none"),
    ("student\n00123\n,\nann\n00123\n", "5:1: error: student: expected each student once, found '00123' again "
                                        "(first in row 2)"),
    ("student\nann lee\n", "2:1: error: student: expected an id that can name a file (at most 200 letters, digits, "
                           "'.', '_' or '-', not starting with '.'), found 'ann lee'"),
    ("student\n../up\n", "2:1: error: student: expected an id that can name a file (at most 200 letters, digits, "
                         "'.', '_' or '-', not starting with '.'), found '../up'"),
    ("student\n.hidden\n", "2:1: error: student: expected an id that can name a file (at most 200 letters, "
                           "digits, '.', '_' or '-', not starting with '.'), found '.hidden'"),
    ("student\nAnn\nann\n", "3:1: error: student: expected ids that differ in more than case (each names a file), "
                            "found 'ann' and 'Ann' (row 2)"),
])
def test_a_bad_roster_is_a_positioned_error_and_nothing_is_written(tmp_path, roster, message):
    assert errors(tmp_path, roster=roster) == [f"roster.csv:{message}"]
    assert not (tmp_path / "out").exists()


def test_a_roster_keeps_ids_as_written_reads_tsv_and_refuses_what_is_not_a_file(tmp_path):
    make(tmp_path, roster='\ufeffname\tstudent\n"Lee, Ann"\t 00123 \n\t\n', roster_name="roster.tsv")
    assert load(str(tmp_path / "out" / "00123.yaml")).student == "00123"
    (tmp_path / "folder").mkdir()
    with pytest.raises(ProblemError) as caught:
        write_variants(str(tmp_path / "template.yaml"), str(tmp_path / "folder"), str(tmp_path / "x"))
    assert [d.format() for d in caught.value.diagnostics] == [f"{tmp_path}/folder:1:1: error: expected a file, "
                                                              "found a directory"]


def test_bad_template_and_roster_are_reported_together(tmp_path):
    template = TEMPLATE.replace("{draw: [-1, 1]}", "{draw: [1, -1]}", 1)
    assert errors(tmp_path, template=template, roster="student\nann\nann\n") == [
        "roster.csv:3:1: error: student: expected each student once, found 'ann' again (first in row 2)",
        "template.yaml:8:25: error: network.layers[1].weights[1][1].draw: expected a range [low, high] with "
        "low < high, found [1, -1]"]


def test_files_already_there_are_left_alone_unless_forced(tmp_path):
    make(tmp_path)
    (tmp_path / "out" / "ben.yaml").write_text("mine", encoding="utf-8")
    assert errors(tmp_path) == [f"out/{i}.yaml:1:1: error: expected a file that does not exist yet, found one "
                                "(--force overwrites it)" for i in IDS] + [
        f"out/keys/{i}.yaml:1:1: error: expected a file that does not exist yet, found one (--force overwrites it)"
        for i in IDS]
    assert (tmp_path / "out" / "ben.yaml").read_text(encoding="utf-8") == "mine"
    make(tmp_path, force=True)
    assert load(str(tmp_path / "out" / "ben.yaml")).student == "ben"
    (tmp_path / "template.yaml").rename(tmp_path / "out" / "cy.2.yaml")
    with pytest.raises(ProblemError) as caught:
        write_variants(str(tmp_path / "out" / "cy.2.yaml"), str(tmp_path / "roster.csv"), str(tmp_path / "out"),
                       force=True)
    assert [d.message for d in caught.value.diagnostics] == [
        f"expected a file other than the template and the roster, found {tmp_path}/out/cy.2.yaml"]
