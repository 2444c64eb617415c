"""The README's complete example file reads, and its answers (worked by hand below) pass."""

from __future__ import annotations

import math
import re

from backprop_cli import check, loads
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
