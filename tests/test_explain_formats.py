"""Worked solutions in Markdown, LaTeX and HTML, looked at as a person would: the LaTeX compiled by
pdflatex, the HTML parsed and opened in headless Chromium with its math and diagram measured, and every
format compared with saved reference files for a layered and a graph problem."""

from __future__ import annotations

import os
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

import backprop_cli as bp
import viewers
from backprop_cli.cli import main
from backprop_cli.explaining import explain, html, latex, markdown, text
from conftest import PROBLEM_FILES, ROOT

GOLDEN = Path(__file__).parent / "golden" / "explain"
CASES = ["mazur.yaml", "keys/assignment4-q2.yaml"]  # a layered and a graph problem
FORMATS = {"txt": lambda s: text.render(s), "md": markdown.render, "tex": latex.render, "html": html.render}


def _solution(name: str, **how):
    return explain(bp.solve(bp.load(str(ROOT / "problems" / name))), **how)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("suffix", sorted(FORMATS))
def test_saved_solutions(case, suffix):
    shown = FORMATS[suffix](_solution(case))
    golden = GOLDEN / (case.replace("/", "__").removesuffix(".yaml") + "." + suffix)
    if (case, suffix) == ("mazur.yaml", "html"):  # the page the README links is that saved file
        golden = ROOT / "problems" / "mazur.html"
    if os.environ.get("BACKPROP_UPDATE_GOLDEN"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(shown, encoding="utf-8")
    assert shown == golden.read_text(encoding="utf-8")


class _Balance(HTMLParser):
    """Every element that is opened is closed, in order (void elements aside)."""

    VOID = {"meta", "br", "img", "hr", "input", "link"}

    def __init__(self):
        super().__init__()
        self.open: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag, attrs):
        pass

    def handle_endtag(self, tag):
        if not self.open or self.open[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.open[-1] if self.open else 'nothing'}>")
        else:
            self.open.pop()


@pytest.mark.parametrize("path", PROBLEM_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_page_is_well_formed_and_self_contained(path):
    page = html.render(explain(bp.solve(bp.load(str(path)))))
    checker = _Balance()
    checker.feed(page)
    checker.close()
    assert not checker.errors and not checker.open, (checker.errors, checker.open)
    assert "<script" not in page and "http://" not in page.replace("http://www.w3.org/", "")
    assert "https://" not in page and page.count("<math") > 3 and "<svg" in page


def test_every_problem_compiles_with_pdflatex(tmp_path):
    """The bodies of every file in problems/ in one document (one pdflatex run), and two whole documents."""
    viewers.require("pdflatex")
    bodies = [latex.render(explain(bp.solve(bp.load(str(p)))), body_only=True) for p in PROBLEM_FILES]
    document = latex.PREAMBLE + "\\begin{document}\n" + "\\clearpage\n".join(bodies) + "\\end{document}\n"
    pdf = viewers.compile_latex(document, tmp_path, "every-problem")
    assert pdf.stat().st_size > 10_000
    for case in CASES:
        whole = viewers.compile_latex(latex.render(_solution(case)), tmp_path, Path(case).stem)
        png = viewers.pdf_to_png(whole, tmp_path)
        assert viewers.ink(png) > 0.01, "the first page is blank"


def test_latex_escapes_what_files_write(tmp_path):
    viewers.require("pdflatex")
    problem = bp.load(str(ROOT / "problems" / "mazur.yaml"))
    hostile = problem._replace(title=r"50% of \input{x} & $y_1$ #2 ~ ^ {braces} — ŷ ∂ → ★")
    document = latex.render(explain(bp.solve(hostile)))
    assert r"\input{x}" not in document and "[U+2605]" in document
    viewers.compile_latex(document, tmp_path, "hostile")


@pytest.mark.parametrize("case", CASES)
def test_chromium_shows_the_math_and_the_diagram(case, tmp_path):
    viewers.require("chromium")
    page_file = tmp_path / "solution.html"
    page_file.write_text(html.render(_solution(case)), encoding="utf-8")
    page = viewers.open_in_chromium(page_file, tmp_path, window=(1000, 1600))
    assert not page.problems, page.problems
    maths = [b for b in page.boxes if b.name == "math" and b.width > 0 and b.height > 0]
    diagrams = [b for b in page.boxes if b.name == "svg" and b.width > 100 and b.height > 100]
    assert len(maths) >= 10 and len(diagrams) == 1
    assert viewers.ink(page.screenshot, diagrams[0]) > 0.02
    visible = [b for b in maths if b.y + b.height < 1600 and b.width > 40]
    assert visible and all(viewers.ink(page.screenshot, b) > 0.02 for b in visible[:5])


def test_cli_writes_each_format(tmp_path):
    runner = CliRunner()
    path = str(ROOT / "problems" / "mazur.yaml")
    for fmt, start in (("markdown", "# 2-2-2"), ("latex", "\\documentclass"), ("html", "<!DOCTYPE html>")):
        target = tmp_path / f"out.{fmt}"
        done = runner.invoke(main, ["explain", path, "--format", fmt, "--output", str(target)])
        assert done.exit_code == 0, done.output
        assert target.read_text(encoding="utf-8").startswith(start)
    body = runner.invoke(main, ["explain", path, "--format", "latex", "--body-only"])
    assert body.exit_code == 0 and "\\documentclass" not in body.output and "\\begin{align*}" in body.output
