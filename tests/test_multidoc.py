"""Files of several problems (YAML documents separated by ---): the example's answers derived by hand,
each problem read, worked, checked and explained with its place in the file, errors at their file line,
a file of one problem unchanged, and the limits counted over the whole file."""

from __future__ import annotations

import json
import math
import re
import time
import xml.etree.ElementTree as ET

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from agreement import assert_agrees, assert_graph_agrees
from backprop_cli import ProblemError, cli, load, load_all, loads, loads_all, solve
from backprop_cli.engine.model import GraphProblem
from backprop_cli.read.files import parts
from backprop_cli.read.yaml_tree import MAX_DOCUMENTS, MAX_NODES
from conftest import MULTI_PROBLEM_FILES, PROBLEMS, central_difference

EXAMPLE = PROBLEMS / "examples" / "two-parts.yaml"
TEXT = EXAMPLE.read_text(encoding="utf-8")
SECOND = TEXT.split("\n").index("---") + 1  # the line of the ---, 1-based

ONE = """\
title: One sigmoid unit
network:
  inputs: 1
  layers:
    - {name: out, units: 1, activation: sigmoid, weights: [[0.5]], bias: 0}
input: [2]
target: 1
loss: {kind: squared_error, factor: 1/2}
expected:
  z^(1): 1
"""


def invoke(*args, input: str | None = None):
    return CliRunner().invoke(cli.main, [str(a) for a in args], input=input)


def line_of(text: str, needle: str) -> int:
    """The 1-based line on which ``needle`` first stands."""
    return text[:text.index(needle)].count("\n") + 1


# -- the example's answers, worked out by hand ------------------------------------------------------------

def sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


def circuit(w0, w1, w2, x0, x1) -> float:
    return 1.0 / (1.0 + math.exp(-(w0 * x0 + w1 * x1 + w2)))


def by_hand() -> list[dict[str, float | list]]:
    """Every answer of both parts, from plain float arithmetic and the chain rule written out."""
    w0, w1, w2, x0, x1 = 2.0, -3.0, -3.0, -1.0, -2.0
    s = w0 * x0 + w1 * x1 + w2
    ex = math.exp(-s)
    f = 1.0 / (1.0 + ex)
    df_dex = -1.0 / (1.0 + ex) ** 2
    df_ds = df_dex * -ex  # d exp(-s)/ds = -exp(-s)
    first = {"s": s, "ex": ex, "f": f, "dL/dex": df_dex, "dL/ds": df_ds, "dL/dw0": df_ds * x0,
             "dL/dw1": df_ds * x1, "dL/dw2": df_ds, "dL/dx0": df_ds * w0, "dL/dx1": df_ds * w1}

    w, b, x, y, rate = [2.0, -3.0], -3.0, [-1.0, -2.0], 1.0, 0.5
    z = w[0] * x[0] + w[1] * x[1] + b
    a = sigmoid(z)
    delta = (a - y) * a * (1 - a)  # dL/da · σ'(z) for L = 1/2 (y − a)²
    grad_w = [delta * x[0], delta * x[1]]
    second = {"z^(1)": z, "a^(1)": a, "L": 0.5 * (y - a) ** 2, "δ^(1)": delta, "dL/dw^(1)": [grad_w],
              "dL/db^(1)": delta, "w^(1)'": [[w[0] - rate * grad_w[0], w[1] - rate * grad_w[1]]],
              "b^(1)'": b - rate * delta}
    return [first, second]


def written(text: str) -> list[dict]:
    """Each document's expected: answers as texts (a matrix as lists of them), read by PyYAML, not by
    the tool."""
    return [doc["expected"] for doc in yaml.load_all(text, Loader=yaml.BaseLoader)]


def decimals(value: str) -> int:
    return len(value.split(".")[1]) if "." in value else 0


def flat(value) -> list:
    return [x for row in value for x in flat(row)] if isinstance(value, list) else [value]


def test_the_hand_derivation_agrees_with_central_differences():
    """The chain rule above against differences of the circuit itself."""
    hand = by_hand()[0]
    point = np.array([2.0, -3.0, -3.0, -1.0, -2.0])
    numeric = central_difference(lambda p: circuit(*p), point)
    assert numeric == pytest.approx([hand[k] for k in ("dL/dw0", "dL/dw1", "dL/dw2", "dL/dx0", "dL/dx1")], abs=1e-9)
    neuron = by_hand()[1]
    loss = lambda p: 0.5 * (1.0 - sigmoid(p[0] * -1.0 + p[1] * -2.0 + p[2])) ** 2  # noqa: E731
    numeric = central_difference(loss, np.array([2.0, -3.0, -3.0]))
    assert numeric == pytest.approx([*neuron["dL/dw^(1)"][0], neuron["dL/db^(1)"]], abs=1e-9)


def test_every_answer_the_example_writes_is_the_hand_value_rounded():
    answers = written(TEXT)
    hand = by_hand()
    assert [set(a) for a in answers] == [set(h) for h in hand]
    for part, (texts, values) in enumerate(zip(answers, hand), start=1):
        for address, text in texts.items():
            for shown, exact in zip(flat(text), flat(values[address]), strict=True):
                assert abs(float(shown) - exact) <= 0.5 * 10 ** -decimals(shown) + 1e-12, (part, address)


def test_check_passes_every_answer_of_both_parts():
    result = invoke("check", EXAMPLE, "--no-color")
    assert result.exit_code == 0, result.output
    assert result.stdout.endswith("\n18 passed, 0 failed\n")
    assert f"{EXAMPLE}, problem 1 of 2: A circuit, f = 1/(1 + exp(-(w0 x0 + w1 x1 + w2)))\n" in result.stdout
    assert f"{EXAMPLE}, problem 2 of 2: The same unit as a sigmoid neuron, one step of gradient descent\n" \
        in result.stdout


def test_load_all_gives_each_problem_with_its_place_and_each_agrees_with_the_hand_values():
    problems = load_all(str(EXAMPLE))
    assert [p.part for p in problems] == [(1, 2), (2, 2)]
    assert [p.kind for p in problems] == ["graph", "layered"]
    circuit_, neuron = (solve(p) for p in problems)
    hand = by_hand()
    assert float(circuit_.named["f"].value) == pytest.approx(hand[0]["f"], rel=1e-15)
    assert float(circuit_.named["w0"].grad) == pytest.approx(hand[0]["dL/dw0"], rel=1e-14)
    assert neuron.loss.value == pytest.approx(hand[1]["L"], rel=1e-14)
    assert neuron.layers[0].weights.grad.ravel() == pytest.approx(hand[1]["dL/dw^(1)"][0], rel=1e-14)


@pytest.mark.parametrize("path", MULTI_PROBLEM_FILES, ids=lambda p: str(p.relative_to(PROBLEMS)))
def test_every_part_of_a_file_of_several_agrees_with_the_reference(path):
    """What test_problems.py does for a file of one problem, part by part."""
    for problem in load_all(str(path)):
        if isinstance(problem, GraphProblem):
            assert_graph_agrees(problem, solve(problem))
        else:
            assert_agrees(problem, solve(problem))


def test_every_part_of_the_example_is_valid_for_the_schema():
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((PROBLEMS.parent / "schema" / "problem.schema.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    for document in yaml.safe_load_all(TEXT):
        assert not list(validator.iter_errors(document))


# -- the library -------------------------------------------------------------------------------------------

def test_load_refuses_a_file_of_several_problems_in_one_line_at_the_second():
    with pytest.raises(ProblemError) as caught:
        load(str(EXAMPLE))
    assert str(caught.value) == (f"{EXAMPLE}:{SECOND}:1: error: expected one problem, found 2 "
                                 "(YAML documents separated by ---) (load_all reads every one)")


def test_a_file_of_one_problem_reads_as_before():
    assert loads(ONE).part == (1, 1)
    [only] = loads_all(ONE)
    assert only.part == (1, 1) and only.title == "One sigmoid unit"
    assert loads_all("---\n" + ONE)[0].part == (1, 1)  # a leading --- opens the only document


def test_loads_all_reports_every_invalid_document_at_its_file_line():
    text = ONE + "---\n" + ONE.replace("sigmoid,", "sigmod,") + "---\n" + ONE.replace("inputs: 1", "inputs: x")
    with pytest.raises(ProblemError) as caught:
        loads_all(text, "t.yaml")
    lines = [d.line for d in caught.value.diagnostics]
    second = ONE.count("\n") + 1
    assert lines == [second + line_of(ONE, "sigmoid,"), 2 * second + line_of(ONE, "inputs: 1")]


def test_parts_keeps_the_valid_problems_beside_the_invalid_one():
    found = parts(ONE + "---\n" + ONE.replace("target: 1", "target: [1, 2, 3]") + "---\n" + ONE, "t.yaml")
    assert [(p.number, p.count, p.problem is None) for p in found] == [(1, 3, False), (2, 3, True), (3, 3, False)]
    assert found[1].line == ONE.count("\n") + 1
    assert found[2].problem.part == (3, 3)


@pytest.mark.parametrize("text, line", [
    (ONE + "---\n", 11),                       # a trailing ---
    (ONE + "---\n# nothing here\n---\n" + ONE, 11),
    ("---\n---\n" + ONE, 1),
])
def test_an_empty_document_is_an_error_at_its_dashes(text, line):
    found = parts(text, "t.yaml")
    empty = [p for p in found if p.diagnostics]
    assert len(empty) == 1 and len(found) - 1 == sum(p.problem is not None for p in found)
    assert [d.format() for d in empty[0].diagnostics] == [
        f"t.yaml:{line}:1: error: expected a problem after ---, found an empty document"]


def test_a_syntax_error_in_the_second_document_makes_the_file_invalid_at_its_line():
    text = ONE + "---\n" + ONE.replace("input: [2]", "input: [2")
    with pytest.raises(ProblemError) as caught:
        parts(text, "t.yaml")
    [diagnostic] = caught.value.diagnostics
    assert diagnostic.line == ONE.count("\n") + 1 + line_of(ONE, "target: 1")
    assert "expected valid YAML" in diagnostic.message


# -- the limits count the whole file ------------------------------------------------------------------------

def test_a_file_of_ten_thousand_tiny_documents_is_refused_quickly_before_any_is_built(monkeypatch):
    from backprop_cli.read import files
    built = []
    monkeypatch.setattr(files, "build", lambda tree, name: built.append(tree))
    text = "---\na: 1\n" * 10_000
    started = time.perf_counter()
    with pytest.raises(ProblemError) as caught:
        parts(text, "many.yaml")
    assert time.perf_counter() - started < 2 and not built
    assert [d.format() for d in caught.value.diagnostics] == [
        f"many.yaml:{2 * MAX_DOCUMENTS + 1}:1: error: expected at most {MAX_DOCUMENTS} YAML documents in a file "
        "(problems separated by ---), found more"]


def test_as_many_documents_as_allowed_are_each_read():
    found = parts(("---\n" + ONE) * MAX_DOCUMENTS, "t.yaml")
    assert len(found) == MAX_DOCUMENTS and all(p.problem is not None for p in found)


def test_the_values_of_every_document_count_towards_the_limit_of_a_file():
    """Each document's aliases expand to 0.6 of the limit: one is read, two are refused at the second."""
    items = ", ".join(["1"] * 99)
    aliases = ", ".join(["*x"] * (MAX_NODES * 6 // 10 // 100))
    document = f"title: t\nlist: &x [{items}]\nmore: [{aliases}]\n"
    [alone] = parts(document, "t.yaml")  # within the limit: read, and refused by the reader for its keys
    assert alone.diagnostics and not any("at most" in d.message for d in alone.diagnostics)
    with pytest.raises(ProblemError) as caught:
        parts(document + "---\n" + document, "t.yaml")
    assert [d.format() for d in caught.value.diagnostics] == [
        f"t.yaml:4:1: error: expected at most {MAX_NODES:,} YAML values in a file, found more (aliases expand too far)"]


# -- backprop run --------------------------------------------------------------------------------------------

def test_run_works_every_problem_titled_with_its_place():
    result = invoke("run", EXAMPLE, "--no-color")
    assert result.exit_code == 0 and result.stderr == ""
    titles = [line for line in result.stdout.split("\n") if line.startswith(str(EXAMPLE))]
    assert titles == [f"{EXAMPLE}, problem 1 of 2: A circuit, f = 1/(1 + exp(-(w0 x0 + w1 x1 + w2)))",
                      f"{EXAMPLE}, problem 2 of 2: The same unit as a sigmoid neuron, one step of gradient descent"]


def test_run_json_is_an_array_of_one_document_per_problem_with_null_for_an_invalid_one(tmp_path):
    result = invoke("run", EXAMPLE, "--format", "json")
    documents = json.loads(result.stdout)
    assert result.exit_code == 0 and [d["schema"] for d in documents] == ["backprop-cli/graph", "backprop-cli/result"]
    bad = tmp_path / "bad.yaml"
    bad.write_text(TEXT.replace("activation: sigmoid", "activation: sigmod"), encoding="utf-8")
    result = invoke("run", bad, "--format", "json")
    assert result.exit_code == 2
    assert [d if d is None else d["schema"] for d in json.loads(result.stdout)] == ["backprop-cli/graph", None]
    where = f"{bad}:{line_of(TEXT, 'activation: sigmoid')}:19"
    assert result.stderr.startswith(f"{where}: error: network.layers[1].activation:")


def test_run_reports_a_bug_met_in_one_problem_like_an_invalid_one_and_works_the_other(monkeypatch):
    from backprop_cli import api
    solve_ = api.solve

    def broken(problem, *args):
        if problem.kind == "graph":
            raise RuntimeError("boom")
        return solve_(problem, *args)
    monkeypatch.setattr(api, "solve", broken)
    result = invoke("run", EXAMPLE, "--no-color")
    assert result.exit_code == 2
    assert result.stderr == (f"{EXAMPLE}:{line_of(TEXT, 'title:')}:1: error: internal error: RuntimeError: boom "
                             "(please report this with the file)\n")
    assert result.stdout.startswith(f"{EXAMPLE}, problem 2 of 2: The same unit")


def test_check_records_a_bug_met_in_one_problem_and_checks_the_other(monkeypatch):
    from backprop_cli.checking import batch
    check_ = batch.check

    def broken(problem, rounding=None):
        if problem.kind == "layered":
            raise RuntimeError("boom")
        return check_(problem, rounding)
    monkeypatch.setattr(batch, "check", broken)
    result = invoke("check", EXAMPLE, "--no-color")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{EXAMPLE}:{SECOND}:1: error: internal error: RuntimeError: boom")
    assert result.stdout.endswith("\n10 passed, 0 failed, 1 invalid\n")


def test_run_pages_title_each_problem_and_keep_the_diagrams_apart():
    result = invoke("run", EXAMPLE, "--format", "html")
    assert result.exit_code == 0
    assert f"{EXAMPLE}, problem 2 of 2: The same unit" in result.stdout
    ids = re.findall(r' id="([^"]+)"', result.stdout)
    assert ids and len(ids) == len(set(ids))


def test_run_warnings_say_which_problem_after_the_file_name():
    kink = ONE.replace("sigmoid,", "relu,").replace("bias: 0", "bias: -1")  # z = 0.5 · 2 − 1 = 0
    result = invoke("run", "-", input=kink + "---\n" + ONE)
    assert result.exit_code == 0
    assert result.stderr == ("<stdin>: warning: problem 1 of 2: layer 'out': a pre-activation is exactly 0, where "
                             "relu has no derivative; the left-hand derivative is used\n")
    result = invoke("run", "-", input=kink)
    assert result.stderr.startswith("<stdin>: warning: layer 'out': a pre-activation")


def test_run_reads_several_problems_on_standard_input():
    result = invoke("run", "-", "--format", "json", input=TEXT)
    assert result.exit_code == 0 and len(json.loads(result.stdout)) == 2


def test_run_of_a_file_of_one_problem_prints_what_it_did_before():
    """Single documents keep their output byte for byte (the saved tables of test_cli.py hold too)."""
    result = invoke("run", "-", "--no-color", input=ONE)
    assert result.exit_code == 0 and result.stdout.startswith("One sigmoid unit\nnetwork: 1 → 1 (sigmoid)\n")
    assert json.loads(invoke("run", "-", "--format", "json", input=ONE).stdout)["title"] == "One sigmoid unit"


# -- backprop check ------------------------------------------------------------------------------------------

def test_check_goes_on_past_an_invalid_document_and_names_it(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(TEXT.replace("target: 1", "target: [1, 2]"), encoding="utf-8")
    result = invoke("check", bad, "--no-color")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{bad}:{line_of(TEXT, 'target: 1')}:")
    assert f"\n{bad}, problem 2 of 2: invalid (see the errors above)\n10 passed, 0 failed, 1 invalid\n" in result.stdout


def test_check_json_and_junit_name_each_problem(tmp_path):
    bad = tmp_path / "three.yaml"
    bad.write_text(TEXT + "---\n", encoding="utf-8")
    report = tmp_path / "report.xml"
    result = invoke("check", bad, "--format", "json", "--junit", report)
    assert result.exit_code == 2
    files = json.loads(result.stdout)["files"]
    assert [(f["document"], f["documents"], f["status"]) for f in files] == [(1, 3, "checked"), (2, 3, "checked"),
                                                                              (3, 3, "invalid")]
    assert files[1]["title"] == "The same unit as a sigmoid neuron, one step of gradient descent"
    assert files[2]["title"] is None
    assert files[2]["errors"] == [f"{bad}:{TEXT.count(chr(10)) + 1}:1: error: expected a problem after ---, "
                                  "found an empty document"]
    suites = ET.parse(report).getroot().findall("testsuite")
    assert [s.get("name") for s in suites] == [f"{bad}, problem {k} of 3" for k in (1, 2, 3)]
    assert [c.get("name") for c in suites[2]] == ["(problem)"]
    assert {c.get("classname") for c in suites[0]} == {f"{bad}, problem 1 of 3"}


def test_check_of_a_file_of_one_problem_has_no_place_in_json_or_junit(tmp_path):
    one = tmp_path / "one.yaml"
    one.write_text(ONE, encoding="utf-8")
    report = tmp_path / "report.xml"
    result = invoke("check", one, "--format", "json", "--junit", report)
    assert result.exit_code == 0
    [entry] = json.loads(result.stdout)["files"]
    assert list(entry) == ["path", "status", "errors", "answers"]
    assert [s.get("name") for s in ET.parse(report).getroot().findall("testsuite")] == [str(one)]


# -- backprop grade ------------------------------------------------------------------------------------------

def test_grade_takes_a_key_of_several_problems_whose_sheets_name_the_problem_of_each_answer(tmp_path):
    """Graded in detail in test_grade_parts.py: here, an answer without its problem's number."""
    sheet = tmp_path / "ada.yaml"
    sheet.write_text("student: ada\nanswers:\n  s: 1\n  '1: f': 0.731059\n", encoding="utf-8")
    result = invoke("grade", EXAMPLE, sheet, "--format", "json")
    assert result.exit_code == 0 and result.stderr == ""
    [ada] = json.loads(result.stdout)["students"]
    assert (ada["score"], ada["max_score"]) == (1, 18)
    assert ada["errors"] == [{"answer": "s", "line": 3, "reason": "expected the address after its problem's number, "
                              "from 1 to 2 (the key holds 2 problems), found 's' (did you mean '1: s'?)"}]


# -- backprop explain and draw ---------------------------------------------------------------------------------

def test_explain_works_every_problem_out_each_titled_with_its_place():
    result = invoke("explain", EXAMPLE)
    assert result.exit_code == 0, result.output
    titles = [line for line in result.stdout.split("\n") if line.startswith(str(EXAMPLE))]
    assert titles == [f"{EXAMPLE}, problem 1 of 2: A circuit, f = 1/(1 + exp(-(w0 x0 + w1 x1 + w2)))",
                      f"{EXAMPLE}, problem 2 of 2: The same unit as a sigmoid neuron, one step of gradient descent"]
    assert "\n  f = 1 / (1 + ex) = 1 / (1 + 0.367879) = 0.731059\n" in result.stdout


def test_explain_one_problem_of_several_with_document():
    result = invoke("explain", EXAMPLE, "dL/dw^(1)_11", "--document", "2")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"{EXAMPLE}, problem 2 of 2: The same unit")
    assert "0.0528771" in result.stdout and "ex = exp" not in result.stdout


@pytest.mark.parametrize("args, words", [
    (["dL/dw0"], "Invalid value for QUANTITIES: expected the quantities of one problem, found 2 problems in the file: "
                 "choose one with --document N"),
    (["--document", "3"], f"Invalid value for '--document': expected the number of a problem of {EXAMPLE} (1 to 2), "
                          "found 3"),
])
def test_explain_asks_for_a_problem_it_cannot_choose(args, words):
    result = invoke("explain", EXAMPLE, *args)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.rstrip("\n").endswith(words)


@pytest.mark.parametrize("fmt", ["latex", "html"])
def test_explain_writes_one_document_for_every_problem(fmt):
    result = invoke("explain", EXAMPLE, "--format", fmt)
    assert result.exit_code == 0, result.output
    page = result.stdout
    if fmt == "latex":
        assert page.count("\\begin{document}") == 1 and page.count("\\section*{") == 2 and "\\clearpage" in page
    else:
        assert page.count("<html") == 1 and page.count("<h1>") == 2
        ids = re.findall(r' id="([^"]+)"', page)
        assert len(ids) == len(set(ids)), "two diagrams share an id"


def test_draw_needs_a_document_of_several_and_draws_the_one_named():
    result = invoke("draw", EXAMPLE)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == (f"{EXAMPLE}:{SECOND}:1: error: expected one problem, found 2 (YAML documents "
                             "separated by ---): choose one with --document N\n")
    result = invoke("draw", EXAMPLE, "--document", "1")
    assert result.exit_code == 0 and "<title>A circuit, f = 1/(1 + exp(-(w0 x0 + w1 x1 + w2)))</title>" in result.stdout
