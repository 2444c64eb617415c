"""The README's complete example file reads, and its answers (worked by hand below) pass."""

from __future__ import annotations

import math
import re

from click.testing import CliRunner

from backprop_cli import check, loads
from backprop_cli.cli import main
from conftest import ROOT


def test_the_readme_example_file_is_valid_and_its_answers_are_right():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    example = re.search(r"## The problem format.*?```yaml\n(.*?)```", text, re.S).group(1)
    report = check(loads(example))
    assert report.failed == 0 and report.passed == 4
    sigmoid = lambda z: 1 / (1 + math.exp(-z))  # noqa: E731
    h = [sigmoid(0.15 * 0.05 + 0.20 * 0.10 + 0.35), sigmoid(0.25 * 0.05 + 0.30 * 0.10 + 0.35)]
    o = sigmoid(0.40 * h[0] + 0.45 * h[1] + 0.60)
    gradient = (o - 0.01) * o * (1 - o) * h[0]
    written = {v.answer.address.text: v.answer.written.item() for v in report.verdicts}
    for address, value in (("out^(2)", o), ("E", 0.5 * (o - 0.01) ** 2), ("dE/dw5", gradient),
                           ("w5'", 0.40 - 0.5 * gradient)):
        assert abs(written[address] - value) <= 5e-7, address


def test_the_readme_worked_solution_is_what_explain_prints():
    """The excerpt is the tool's own output (its numbers are checked by tests/test_explain.py)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## Worked solutions"):text.index("What it writes:")]
    command = re.search(r"\n    (backprop explain .*)\n", section).group(1)
    shown = "\n".join(line[4:] for line in section[section.index(command) + len(command):].strip("\n").split("\n"))
    args = [a.strip('"') for a in re.findall(r'"[^"]*"|\S+', command)][2:]
    args[0] = str(ROOT / args[0])
    done = CliRunner().invoke(main, ["explain", *args])
    assert done.exit_code == 0 and done.output.rstrip("\n") == shown.rstrip("\n")


def test_the_html_example_in_problems_is_up_to_date():
    done = CliRunner().invoke(main, ["explain", str(ROOT / "problems" / "mazur.yaml"), "--format", "html"])
    assert done.exit_code == 0
    assert (ROOT / "problems" / "mazur.html").read_text(encoding="utf-8") == done.output


def test_the_readme_symbolic_example_passes():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    example = re.search(r"## Symbolic mode.*?```yaml\n(.*?)```", text, re.S).group(1)
    report = check(loads(example))
    assert report.passed == 2 and report.failed == 0
    assert all(v.reason == "equal: simplification shows it" for v in report.verdicts)
