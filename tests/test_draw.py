"""Diagrams: every problem draws as SVG and DOT; the nodes, edges and weights drawn are those of the file
(counted from the YAML itself, not from the drawing code); hostile text is escaped; large networks stay
bounded; PNG falls back to DOT without Graphviz; the command's exit codes and messages."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from collections import Counter
from fractions import Fraction

import pytest
import yaml
from click.testing import CliRunner

from backprop_cli import cli, load, solve
from backprop_cli.drawing import draw
from backprop_cli.printable import printable
from backprop_cli.read.profiles import PROFILES
from conftest import PROBLEM_FILES, PROBLEMS, ROOT

SVG = "{http://www.w3.org/2000/svg}"
DOT = shutil.which("dot")
VIEWERS_REQUIRED = os.environ.get("BACKPROP_VIEWERS") == "required"


def invoke(*args: str):
    return CliRunner().invoke(cli.main, [str(a) for a in args])


def solved(path):
    return solve(load(str(path)))


def svg_parts(text: str):
    """The root, the node groups and the edge paths of an SVG drawing."""
    root = ElementTree.fromstring(text)
    nodes = [g for g in root.iter(f"{SVG}g") if g.get("class", "").split()[:1] == ["node"]]
    edges = [p for p in root.iter(f"{SVG}path") if p.get("class", "").split()[:1] == ["edge"]]
    return root, nodes, edges


def dot_parts(text: str) -> tuple[list[str], list[str]]:
    """The node and edge statements of our DOT text (not the headings, not the invisible edges)."""
    lines = [line.strip() for line in text.splitlines()]
    nodes = [line for line in lines if re.match(r'^"[^"]+" \[label=', line)]
    edges = [line for line in lines if re.match(r'^"[^"]+" -> "[^"]+"', line) and "style=invis" not in line]
    return nodes, edges


def needs_dot():
    if DOT is None:
        if VIEWERS_REQUIRED:
            pytest.fail("Graphviz's dot is required (BACKPROP_VIEWERS=required) but not on the PATH")
        pytest.skip("Graphviz's dot is not installed")


# -- what a file holds, read from its YAML independently of the drawing code -----------------------------

def _flat(value) -> list:
    if isinstance(value, list):
        return [entry for item in value for entry in _flat(item)]
    return [value]


def _number(entry, parameters: dict):
    """A weight entry's value: a number, a fraction, a parameter's name; None when it is an expression."""
    if isinstance(entry, (int, float)):
        return float(entry)
    if isinstance(entry, str) and entry in parameters:
        return _number(parameters[entry], {})
    try:
        return float(Fraction(str(entry).replace(" ", "")))
    except (ValueError, ZeroDivisionError):
        return None


def layered_counts(doc: dict) -> tuple[int, list[float | None], list[int]]:
    """Units (bias units of a folded bias included), the values of existing weights, units per layer."""
    net = doc["network"]
    fold = 1 if net.get("fold_bias", PROFILES[doc.get("convention", "default")].fold_bias) else 0
    parameters = {name: (p["value"] if isinstance(p, dict) else p) for name, p in (doc.get("parameters") or {}).items()}
    units = [net["inputs"]] + [layer["units"] for layer in net["layers"]]
    weights = []
    for l, layer in enumerate(net["layers"]):
        size = units[l + 1] * (units[l] + fold)
        written = layer["weights"]
        if isinstance(written, dict):  # random initialisation: every entry exists, its value is drawn
            weights += [None] * size
        elif isinstance(written, list):
            entries = _flat(written)
            assert len(entries) == size
            weights += [_number(e, parameters) for e in entries if e is not None]
        else:
            weights += [_number(written, parameters)] * size
    nodes = sum(units) + fold * len(net["layers"])  # a unit 0 in the input and in every layer but the last
    return nodes, weights, units


def graph_counts(doc: dict) -> tuple[int, int]:
    """Nodes (inputs, parameters, formulas, the loss) and edges (each name a formula uses, the loss's)."""
    graph = doc["graph"]
    known = set(graph.get("inputs") or {}) | set(graph.get("params") or {})
    nodes, edges = len(known), 0
    for name, formula in graph["nodes"].items():
        used = {n.id for n in ast.walk(ast.parse(str(formula), mode="eval")) if isinstance(n, ast.Name)}
        edges += len(used & known)
        known.add(name)
        nodes += 1
    if "loss" in doc:
        nodes, edges = nodes + 1, edges + 1
    return nodes, edges


def read_yaml(path) -> dict:
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


# -- every problem ------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", PROBLEM_FILES, ids=lambda p: str(p.relative_to(PROBLEMS)))
def test_every_problem_draws_one_node_per_unit_and_one_edge_per_weight_or_use(path):
    result = solved(path)
    doc = read_yaml(path)
    text = draw(result, "svg", gradients=True, precision=15)
    root, nodes, edges = svg_parts(text)
    assert root.tag == f"{SVG}svg" and root.get("class") == "backprop-diagram"
    assert root.get("viewBox") == f"0 0 {root.get('width')} {root.get('height')}"
    assert float(root.get("width")) > 0 and float(root.get("height")) > 0
    dot_nodes, dot_edges = dot_parts(draw(result, "dot"))
    if "graph" in doc:
        expected_nodes, expected_edges = graph_counts(doc)
    else:
        expected_nodes, weights, units = layered_counts(doc)
        expected_edges = len(weights)
        assert max(units) <= 12 and expected_edges <= 200  # within the bounds: everything is drawn
        labels = [t for t in root.iter(f"{SVG}text") if t.get("class") == "edge-label"]
        shown = [float("".join(t[0].itertext()).rsplit("= ", 1)[-1]) for t in labels]
        known = [w for w in weights if w is not None]
        if len(known) == len(weights):  # every weight written as a number: the drawn values are the file's
            assert sorted(shown) == pytest.approx(sorted(known), rel=1e-12)
    assert (len(nodes), len(edges)) == (expected_nodes, expected_edges)
    assert (len(dot_nodes), len(dot_edges)) == (expected_nodes, expected_edges)


@pytest.mark.parametrize("path", PROBLEM_FILES, ids=lambda p: str(p.relative_to(PROBLEMS)))
def test_graphviz_accepts_the_dot_of_every_problem(path):
    needs_dot()
    ran = subprocess.run([DOT, "-Tsvg"], input=draw(solved(path), "dot", gradients=True).encode("utf-8"),
                         capture_output=True, timeout=60)
    assert ran.returncode == 0, ran.stderr.decode()
    ElementTree.fromstring(ran.stdout)


# -- what the labels say --------------------------------------------------------------------------------

def node_texts(text: str) -> list[list[str]]:
    _, nodes, _ = svg_parts(text)
    return [["".join(span.itertext()) for span in g.iter(f"{SVG}tspan")] for g in nodes]


def test_mazur_is_drawn_in_its_own_notation_with_the_published_gradient():
    text = draw(solved(PROBLEMS / "mazur.yaml"), gradients=True)
    units = node_texts(text)
    assert ["in_1 = 0.05"] in units
    assert ["out^(1)_1", "net = 0.3775", "out = 0.5933", "b = bias_hidden = 0.35", "δ = 0.008771"] in units
    assert ["out^(2)_2", "net = 1.225", "out = 0.7729", "b = bias_output = 0.6", "y = 0.99", "δ = -0.0381"] in units
    labels = [[span.text for span in t] for t in ElementTree.fromstring(text).iter(f"{SVG}text")
              if t.get("class") == "edge-label"]
    assert ["0.4", "∂E/∂w = 0.08217"] in labels  # Mazur: ∂E_total/∂w5 = 0.082167041
    assert "E = 0.2984" in text


def test_without_gradients_no_gradient_is_shown():
    text = draw(solved(PROBLEMS / "mazur.yaml"))
    assert "∂" not in text and "δ" not in text


def test_a_folded_bias_is_a_unit_fixed_at_1_with_dashed_edges():
    text = draw(solved(PROBLEMS / "examples" / "folded-out-in.yaml"))
    units = node_texts(text)
    assert ["x_0 = 1"] in units and ["a^(1)_0 = 1"] in units
    _, _, edges = svg_parts(text)
    assert sum("bias" in e.get("class").split() for e in edges) == 3  # two into the hidden units, one out


def test_thresholds_shared_names_and_missing_connections():
    units = node_texts(draw(solved(PROBLEMS / "examples" / "threshold.yaml")))
    assert any("θ = 0.2" in unit for unit in units)
    text = draw(solved(PROBLEMS / "keys" / "ece421-hw6-q2e.yaml"))
    labels = [t[0].text for t in ElementTree.fromstring(text).iter(f"{SVG}text") if t.get("class") == "edge-label"]
    assert Counter(labels) == Counter({"w = 1": 3, "v = 1": 2, "one = 1": 3})  # nulls are not drawn


def test_graph_nodes_show_formula_value_and_gradient_and_vectors_are_cut():
    units = node_texts(draw(solved(PROBLEMS / "keys" / "ece421-hw6-q2e-graph.yaml"), gradients=True))
    assert ["b2 = a2 + v * a1", "= 2", "∂e/∂b2 = 4"] in units
    assert ["w", "= 1", "∂e/∂w = 12"] in units  # a parameter's gradient: summed over its uses
    assert ["e (squared_error)", "= 4", "y = 1"] in units
    units = node_texts(draw(solved(PROBLEMS / "keys" / "exercise-7-3a.yaml"), gradients=True))
    assert ["x", "= [1, 2, 3, 4, …]", "∂L/∂x = [0.4, 0.5, 0.1, 0.3, …]"] in units


def test_the_drawing_is_the_same_bytes_every_time(tmp_path):
    path = PROBLEMS / "keys" / "ece421-hw6-q2e-graph.yaml"
    code = ("import sys; from backprop_cli import load, solve; from backprop_cli.drawing import draw; "
            "sys.stdout.write(draw(solve(load(sys.argv[1])), gradients=True))")
    runs = {subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, timeout=60,
                           env={**os.environ, "PYTHONHASHSEED": seed}).stdout for seed in ("1", "2")}
    assert runs == {draw(solved(path), gradients=True).encode("utf-8")}


def test_ids_carry_a_prefix_so_that_drawings_can_share_a_page():
    result = solved(PROBLEMS / "mazur.yaml")
    first, second = draw(result, prefix="a"), draw(result, prefix="b")
    assert first.startswith("<svg ")  # no XML declaration: embeddable as it is
    ids = [{e.get("id") for e in ElementTree.fromstring(t).iter() if e.get("id")} for t in (first, second)]
    assert ids[0] and not ids[0] & ids[1]
    assert 'marker-end="url(#a-arrow)"' in first


# -- hostile text ---------------------------------------------------------------------------------------

HOSTILE = """
title: "Evil <script>alert('x')</script> & \\"quotes\\" \\\\ back\\u001b[31m\\u202e \\\\N"
notation: {activation: "<a&>", pre_activation: "z\\"q", loss: "L'"}
parameters: {B: 0.5}
network:
  inputs: 2
  orientation: out_in
  layers:
    - {name: "<hid> & \\"den\\"", units: 2, activation: sigmoid, weights: [[0.1, B], [0.3, 0.4]], bias: B}
    - {units: 1, weights: [[1, 2]]}
input: [1, 2]
target: 1
loss: squared_error
"""


def test_names_from_the_file_are_escaped_in_svg_and_dot(tmp_path):
    path = tmp_path / "hostile.yaml"
    path.write_text(HOSTILE, encoding="utf-8")
    result = solved(path)
    text = draw(result, gradients=True)
    root = ElementTree.fromstring(text)  # would fail on a raw < or &
    title = printable(result.problem.title)
    assert "\x1b" not in text and "\u202e" not in text and "<script>" not in text
    assert root.find(f"{SVG}title").text == title and root.get("aria-label") == title
    assert 'layer 1: <hid> & "den" (sigmoid)' in {t.text for t in root.iter(f"{SVG}text")}
    assert ["<a&>^(1)_1", 'z"q = 1.6', "<a&> = 0.832", "b = B = 0.5", "δ = 0.4182"] in node_texts(text)
    dot = draw(result, "dot")
    assert '\\"quotes\\"' in dot and "\\\\N" in dot  # a backslash is never a DOT escape
    if DOT is not None:  # Graphviz reads back the very title
        ran = subprocess.run([DOT, "-Tsvg"], input=dot.encode("utf-8"), capture_output=True, timeout=60)
        assert ran.returncode == 0, ran.stderr.decode()
        assert title in [t.text for t in ElementTree.fromstring(ran.stdout).iter(f"{SVG}text")]


# -- large problems --------------------------------------------------------------------------------------

def big_network(layers: list[int], inputs: int) -> str:
    return (f"network:\n  inputs: {inputs}\n  layers:\n"
            + "".join(f"    - {{units: {u}, activation: relu, weights: {{init: he_normal}}, bias: 0.1}}\n" for u in layers)
            + f"input: {[0.5] * inputs}\ntarget: {[0.5] * layers[-1]}\nloss: squared_error\n")


@pytest.mark.parametrize("layers, inputs", [([128, 64, 10], 784), ([3] * 30, 2), ([40, 40], 40)])
def test_a_large_network_is_drawn_bounded(tmp_path, layers, inputs):
    path = tmp_path / "big.yaml"
    path.write_text(big_network(layers, inputs))
    text = draw(solved(path), gradients=True)
    assert len(text) < 400_000
    root, nodes, edges = svg_parts(text)
    assert len(edges) <= 200 and len(nodes) <= 12 * 13
    columns = Counter(node.get("data-id").split("_")[0] for node in nodes)
    assert max(columns.values()) <= 13
    more = ["".join(node.itertext()) for node in nodes if "more" in node.get("class").split()]
    assert more  # what is left out is said
    if inputs == 784:
        assert more[0].startswith("…") and more[0].endswith("more inputs")
        assert int(more[0].split()[1]) + columns["u0"] == 784
    dot_nodes, dot_edges = dot_parts(draw(solved(path), "dot"))
    assert len(dot_edges) <= 200 and len(dot_nodes) <= 12 * 13


def test_a_large_graph_is_drawn_bounded(tmp_path):
    inputs = ", ".join(f"x{i}: {i}" for i in range(40))
    nodes = "".join(f"    n{i}: x{i} * x{i + 1}\n" for i in range(39))
    chain = "".join(f"    c{i}: c{i - 1} + 1\n" for i in range(1, 30))
    path = tmp_path / "graph.yaml"
    path.write_text(f"graph:\n  inputs: {{{inputs}}}\n  nodes:\n{nodes}    c0: n0 + n1\n{chain}  output: c29\n")
    root, drawn, edges = svg_parts(draw(solved(path)))
    assert len(drawn) <= 12 * 13 and len(edges) <= 200
    assert any("more" in node.get("class").split() for node in drawn)


# -- the command -----------------------------------------------------------------------------------------

def test_draw_prints_svg_or_dot_and_writes_a_file(tmp_path):
    path = PROBLEMS / "mazur.yaml"
    result = invoke("draw", path)
    assert result.exit_code == 0 and result.stdout == draw(solved(path))
    result = invoke("draw", path, "--format", "dot", "--gradients", "--precision", "6")
    assert result.exit_code == 0 and result.stdout == draw(solved(path), "dot", gradients=True, precision=6)
    target = tmp_path / "mazur.svg"
    result = invoke("draw", path, "--output", target)
    assert result.exit_code == 0 and result.stdout == "" and result.stderr == ""
    assert target.read_text(encoding="utf-8") == draw(solved(path))


def test_draw_reads_standard_input():
    text = (PROBLEMS / "mazur.yaml").read_text(encoding="utf-8")
    result = CliRunner().invoke(cli.main, ["draw", "-", "--format", "dot"], input=text)
    assert result.exit_code == 0 and result.stdout.startswith("digraph backprop {")


def test_png_without_graphviz_writes_the_dot_and_says_so_in_one_line(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name, *args, **kwargs: None)
    target = tmp_path / "net.png"
    result = invoke("draw", PROBLEMS / "mazur.yaml", "--format", "png", "--output", target)
    assert result.exit_code == 0
    assert result.stdout == "" and result.stderr.count("\n") == 1 and "dot" in result.stderr
    assert str(tmp_path / "net.dot") in result.stderr
    assert not target.exists() and (tmp_path / "net.dot").read_text(encoding="utf-8").startswith("digraph")


def test_png_without_graphviz_in_a_process_with_an_empty_path(tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir()
    ran = subprocess.run([sys.executable, "-m", "backprop_cli", "draw", str(PROBLEMS / "mazur.yaml"), "--format",
                          "png", "-o", str(tmp_path / "net.png")], capture_output=True, text=True, timeout=60,
                         env={**os.environ, "PATH": str(empty)}, cwd=ROOT)
    assert ran.returncode == 0 and ran.stdout == "" and len(ran.stderr.splitlines()) == 1
    assert (tmp_path / "net.dot").exists() and not (tmp_path / "net.png").exists()


def test_png_with_graphviz(tmp_path):
    needs_dot()
    target = tmp_path / "net.png"
    result = invoke("draw", PROBLEMS / "keys" / "ece421-hw6-q2e-graph.yaml", "--format", "png", "-o", target)
    assert result.exit_code == 0 and result.output == ""
    assert target.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert [p.name for p in tmp_path.iterdir()] == ["net.png"]  # no temporary file left


@pytest.mark.parametrize("args, message", [
    (["draw", "missing.yaml"], "missing.yaml:1:1: error: expected a readable file, found: No such file or directory\n"),
    (["draw", "mazur.yaml", "--format", "png"],
     "backprop: --format png needs --output FILE (a PNG is not written to standard output)\n"),
    (["draw", "mazur.yaml", "--output", "mazur.yaml"],
     "mazur.yaml:1:1: error: --output: expected a file apart from the problem drawn, found the problem file mazur.yaml\n"),
    (["draw", "mazur.yaml", "--format", "png", "--output", "mazur.png"], None),
])
def test_draw_refuses_bad_input_in_one_line_with_exit_code_2(args, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mazur.yaml").write_bytes((PROBLEMS / "mazur.yaml").read_bytes())
    if message is None:  # the DOT written instead of a PNG would overwrite the problem file
        monkeypatch.setattr(shutil, "which", lambda name, *args, **kwargs: None)
        (tmp_path / "mazur.yaml").rename(tmp_path / "mazur.dot")
        args = ["draw", "mazur.dot", "--format", "png", "--output", "mazur.png"]
        message = ("mazur.dot:1:1: error: --output: expected a file apart from the problem drawn, found the "
                   "problem file mazur.dot\n")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    result = invoke(*args)
    assert result.exit_code == 2
    assert result.stderr == message and result.stdout == ""
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_an_unknown_format_is_a_usage_error():
    result = invoke("draw", PROBLEMS / "mazur.yaml", "--format", "gif")
    assert result.exit_code == 2 and "gif" in result.stderr


# -- as a person sees it ---------------------------------------------------------------------------------

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>diagrams</title></head>
<body>%s</body></html>
"""
SEEN = ["mazur.yaml", "keys/assignment4-q1.yaml", "keys/ece421-hw6-q2e-graph.yaml", "examples/folded-out-in.yaml"]


def overlap(a, b) -> float:
    w = min(a.x + a.width, b.x + b.width) - max(a.x, b.x)
    h = min(a.y + a.height, b.y + b.height) - max(a.y, b.y)
    return w * h if w > 0 and h > 0 else 0.0


def test_drawings_embedded_in_a_page_show_every_text_inside_its_box_and_no_label_on_another(tmp_path):
    from viewers import ink, open_in_chromium
    drawings = [draw(solved(PROBLEMS / name), gradients=True, prefix=f"d{i}") for i, name in enumerate(SEEN)]
    html = tmp_path / "diagrams.html"
    html.write_text(PAGE % "".join(f"<div>{d}</div>" for d in drawings), encoding="utf-8")
    page = open_in_chromium(html, tmp_path, window=(1400, 1000),
                            selector="svg.backprop-diagram, g.node > rect, g.node > text, text.edge-label")
    assert page.problems == []
    groups = []  # per drawing: its box, (node box, node text) pairs, edge labels
    for previous, box in zip([None, *page.boxes], page.boxes):
        if box.name == "svg":
            groups.append((box, [], []))
        elif box.name == "text" and previous.name == "rect":
            groups[-1][1].append((previous, box))
        elif box.name == "text":
            groups[-1][2].append(box)
    assert len(groups) == len(SEEN)
    assert ink(page.screenshot, groups[0][0]) > 0.02
    for drawn, (svg, nodes, labels) in zip(drawings, groups):
        root = ElementTree.fromstring(drawn)
        assert (svg.width, svg.height) == pytest.approx((float(root.get("width")), float(root.get("height"))), abs=1)
        assert len(nodes) == len(svg_parts(drawn)[1])
        for rect, text in nodes:  # the text of a node never spills out of its box
            assert rect.x - 1 <= text.x and text.x + text.width <= rect.x + rect.width + 1, (rect, text)
            assert rect.y - 1 <= text.y and text.y + text.height <= rect.y + rect.height + 1, (rect, text)
        for i, label in enumerate(labels):  # nor does a label lie on another label or on a node
            assert all(overlap(label, other) < 4 for other in labels[i + 1:]), label
            assert all(overlap(label, rect) < 4 for rect, _ in nodes), label


def test_a_graph_of_constants_alone_draws(tmp_path):
    path = tmp_path / "constants.yaml"
    path.write_text("graph:\n  nodes: {y: 3, z: y * 2}\n")
    _, nodes, edges = svg_parts(draw(solved(path)))
    assert (len(nodes), len(edges)) == (2, 1)
    if DOT is not None:
        ran = subprocess.run([DOT, "-Tsvg"], input=draw(solved(path), "dot").encode(), capture_output=True, timeout=60)
        assert ran.returncode == 0, ran.stderr.decode()
