"""The command line: exit codes, exact output against saved reference files, JSON, colour, help."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from backprop_cli import cli, load, solve
from conftest import PROBLEMS, ROOT

GOLDEN = Path(__file__).parent / "golden"
CASES = ["seeds/exercise-7-1.yaml", "seeds/ece421-hw6-q1.yaml", "seeds/assignment4-q1.yaml",
         "seeds/dl-hw3-q1b.yaml", "mazur.yaml", "examples/l2-steps.yaml", "examples/activations.yaml",
         "examples/threshold.yaml"]


def invoke(*args: str, **env: str):
    return CliRunner().invoke(cli.main, list(args), env=env or None)


@pytest.mark.parametrize("case", CASES)
def test_run_prints_the_saved_tables(case, monkeypatch):
    monkeypatch.chdir(ROOT)
    result = invoke("run", f"problems/{case}")
    assert result.exit_code == 0, result.output
    golden = GOLDEN / (case.replace("/", "__").removesuffix(".yaml") + ".txt")
    if os.environ.get("BACKPROP_UPDATE_GOLDEN"):
        golden.write_text(result.stdout, encoding="utf-8")
    assert result.stdout == golden.read_text(encoding="utf-8")


def test_json_carries_full_precision_and_the_documented_keys():
    path = str(PROBLEMS / "seeds" / "assignment4-q1.yaml")
    result = invoke("run", path, "--format", "json")
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    solved = solve(load(path))
    assert doc["schema"] == "backprop-cli/result" and doc["version"] == 1
    assert set(doc) == {"schema", "version", "title", "source", "conventions", "input", "target", "residual",
                        "layers", "shared", "loss", "training", "warnings"}
    hidden = doc["layers"][0]
    assert hidden["activation_function"] == ["sigmoid", "sigmoid", "relu", "relu"]
    assert hidden["activation"][0] == solved.layers[0].act[0].tolist()  # exact float64 round trip
    assert hidden["weights"]["value"][0] == [None, 0.55, None, None]  # no connection -> null
    assert hidden["bias"]["shared"] == {"1": "B", "2": "B", "3": "B", "4": "B"}
    assert doc["shared"][0]["grad"] == solved.shared[0].grad
    assert doc["loss"]["value"] == solved.loss.value
    assert doc["training"]["final_shared"]["B"] == solved.final.shared[0]


def test_json_samples_are_listed_sample_by_sample_whatever_the_layout():
    doc = json.loads(invoke("run", str(PROBLEMS / "seeds" / "dl-hw3-q1b.yaml"), "--format", "json").stdout)
    assert doc["input"] == [[0.0, 3.0], [2.0, 1.0]]  # the file gives the samples as columns
    assert np.allclose(doc["layers"][0]["activation"], [[1.5, 1.2], [1.1, 0.0]])


def test_precision_changes_display_only():
    path = str(PROBLEMS / "seeds" / "exercise-7-1.yaml")
    short = invoke("run", path, "--precision", "3").stdout
    assert "0.598" in short and "0.598207" not in short
    assert "0.598207" in invoke("run", path).stdout


def test_colour_only_when_asked_or_on_a_terminal(monkeypatch):
    path = str(PROBLEMS / "mazur.yaml")
    assert "\x1b[" not in invoke("run", path).stdout
    assert "\x1b[" in invoke("run", path, "--color").stdout
    monkeypatch.setattr("sys.stdout.isatty", lambda: True, raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    assert cli.use_colour(None) is False
    monkeypatch.delenv("NO_COLOR")
    assert cli.use_colour(None) is True
    assert cli.use_colour(False) is False


def test_rich_tables_show_the_same_numbers():
    path = str(PROBLEMS / "mazur.yaml")
    coloured = invoke("run", path, "--color").stdout
    for number in ("0.298371", "0.358916", "0.149781", "0.35 (frozen)"):
        assert number in coloured


def test_every_command_has_help_with_an_example():
    for name, command in cli.main.commands.items():
        result = invoke(name, "--help")
        assert result.exit_code == 0
        assert "Example:" in result.output and f"backprop {name}" in result.output, name


def test_warnings_go_to_stderr(tmp_path):
    path = tmp_path / "saturated.yaml"
    path.write_text("network: {inputs: 1, layers: [{units: 1, activation: relu, weights: 1}]}\n"
                    "input: 0\ntarget: 1\nloss: squared_error\n")
    result = invoke("run", str(path))
    assert result.exit_code == 0
    assert result.stderr == (f"{path}: warning: layer 'layer 1': a pre-activation is exactly 0, where relu "
                             "has no derivative; the left-hand derivative is used\n")


def test_an_internal_error_is_one_line_with_exit_code_3(monkeypatch):
    def broken(problem):
        raise RuntimeError("boom")
    monkeypatch.setattr("backprop_cli.api.solve", broken)
    result = invoke("run", str(PROBLEMS / "mazur.yaml"))
    assert result.exit_code == 3
    assert result.stderr == "backprop: internal error: RuntimeError: boom (please report this with the file)\n"
