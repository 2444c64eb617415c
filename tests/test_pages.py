"""run and check as pages to hand out (Markdown, HTML), and results that display themselves in a notebook."""

from __future__ import annotations

import re

from click.testing import CliRunner

import backprop_cli as bp
import viewers
from backprop_cli.cli import main
from conftest import ROOT
from test_explain_formats import _Balance

MAZUR = str(ROOT / "problems" / "mazur.yaml")
SEED = str(ROOT / "problems" / "seeds" / "exercise-7-1.yaml")


def _well_formed(page: str) -> None:
    checker = _Balance()
    checker.feed(page)
    checker.close()
    assert not checker.errors and not checker.open, (checker.errors, checker.open)


def test_run_as_a_page():
    runner = CliRunner()
    page = runner.invoke(main, ["run", MAZUR, "--format", "html"])
    assert page.exit_code == 0
    _well_formed(page.output)
    assert page.output.startswith("<!DOCTYPE html>") and "<svg" in page.output and "<script" not in page.output
    assert "<td class=\"number\">0.082167</td>" in page.output  # ∂E/∂w^(2)_11, worked by hand in test_explain
    markdown = runner.invoke(main, ["run", MAZUR, "--format", "markdown"])
    assert markdown.exit_code == 0 and "| w^(2)\\_11 | 0.4 | 0.082167 |" in markdown.output


def test_check_as_a_page_marks_the_wrong_answers():
    runner = CliRunner()
    done = runner.invoke(main, ["check", SEED, "--format", "json"])
    import json
    verdicts = json.loads(done.output)["files"][0]["answers"]
    wrong = sum(v["verdict"] in ("wrong", "unreadable") for v in verdicts)
    page = runner.invoke(main, ["check", SEED, "--format", "html"])
    assert page.exit_code == 1  # the exit code says the same as with tables
    _well_formed(page.output)
    assert page.output.count('<tr class="wrong">') == wrong > 0
    assert "sign flipped" in page.output  # the reason beside its answer
    markdown = runner.invoke(main, ["check", SEED, "--format", "markdown"])
    assert markdown.exit_code == 1 and markdown.output.count("✗ wrong") == wrong


def test_a_checked_page_opens_in_chromium(tmp_path):
    viewers.require("chromium")
    target = tmp_path / "checked.html"
    target.write_text(CliRunner().invoke(main, ["check", SEED, "--format", "html"]).output, encoding="utf-8")
    page = viewers.open_in_chromium(target, tmp_path, selector="table, tr.wrong")
    assert not page.problems, page.problems
    rows = [b for b in page.boxes if b.name == "tr"]
    assert rows and all(b.height > 10 for b in rows)
    assert viewers.ink(page.screenshot, rows[0]) > 0.5  # a marked row is tinted


def test_results_and_solutions_display_themselves_in_a_notebook():
    result = bp.solve(bp.load(MAZUR))
    shown = result._repr_html_()
    assert "<html" not in shown and '<div class="backprop">' in shown and "<svg" in shown
    assert "### parameters of layer 2" in result._repr_markdown_()
    solution = bp.explain(result, ["dE/dw^(2)_11"])
    assert "<math" in solution._repr_html_() and "<html" not in solution._repr_html_()
    assert "$$" in solution._repr_markdown_()
    graph = bp.solve(bp.load(str(ROOT / "problems" / "keys" / "assignment4-q2.yaml")))
    assert "<svg" in graph._repr_html_()


def test_page_styles_stay_inside_their_own_block():
    """A notebook shows the fragment inside its own page: no rule may restyle anything outside it."""
    shown = bp.explain(bp.solve(bp.load(MAZUR)))._repr_html_()
    for style in re.findall(r"<style>(.*?)</style>", shown, re.S):
        for rule in re.findall(r"([^{}]+)\{", style):
            for selector in rule.split(","):
                assert selector.strip().startswith(".backprop"), selector


def test_the_loss_curve_follows_the_losses():
    import xml.etree.ElementTree as ET

    from backprop_cli.drawing.curve import MOST_POINTS, loss_curve
    losses = [1.0, 0.5, 0.7, 0.2]
    svg = ET.fromstring(loss_curve(losses))
    line = svg.find("{http://www.w3.org/2000/svg}polyline").get("points").split()
    ys = [float(p.split(",")[1]) for p in line]
    xs = [float(p.split(",")[0]) for p in line]
    assert len(ys) == 4 and xs == sorted(xs)
    assert ys[0] < ys[2] < ys[1] and ys[3] == max(ys) and ys[0] == min(ys)  # a higher loss is drawn higher
    many = ET.fromstring(loss_curve([1 / (k + 1) for k in range(10_000)]))
    points = many.find("{http://www.w3.org/2000/svg}polyline").get("points").split()
    assert len(points) == MOST_POINTS and "log scale" in ET.tostring(many, encoding="unicode")
    assert loss_curve([1.0, float("nan")]) == "" and loss_curve([1.0]) == ""


def test_a_trained_page_shows_the_loss_curve():
    page = CliRunner().invoke(main, ["run", str(ROOT / "problems" / "examples" / "l2-steps.yaml"), "--format", "html"])
    assert page.exit_code == 0 and page.output.count('class="backprop-curve"') == 1
    single = CliRunner().invoke(main, ["run", MAZUR, "--format", "html"])
    assert 'class="backprop-curve"' not in single.output
