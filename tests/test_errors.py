"""Invalid input on the command line: every problem at once, one `file:line:col: error:` line each, exit 2.

Each test writes a malformed file into tmp_path, runs `backprop run FILE` and compares stderr line for line.
"""

from __future__ import annotations

import re
import tracemalloc
from pathlib import Path

import pytest
from click.testing import CliRunner

from backprop_cli.read import yaml_tree as source
from backprop_cli.cli import main
from conftest import PROBLEMS

VALID = """\
title: tiny 2-2 network
network:
  inputs: 2
  layers:
    - name: hidden
      units: 2
      activation: sigmoid
      weights: [[0.1, 0.2], [0.3, 0.4]]
      bias: [0.1, 0.2]
input: [0.5, 0.2]
target: [1, 0]
loss: {kind: squared_error}
train: {learning_rate: 0.1}
"""

ERROR_LINE = re.compile(r"^.+:\d+:\d+: error: .+$")
TOP_KEYS = ("title, description, convention, notation, parameters, network, input, target, samples_are, loss, "
            "train, expected, check, grading, student, names, conventions")
LAYER_KEYS = "name, units, activation, weights, bias, threshold, frozen"
ACTIVATIONS = "identity, sigmoid, tanh, relu, leaky_relu, softplus, elu, softmax"
LOSSES = "squared_error, binary_cross_entropy, categorical_cross_entropy"


def invoke(path: Path | str):
    """Run `backprop run PATH`; a traceback (any exception but SystemExit) fails the test at once."""
    result = CliRunner().invoke(main, ["run", str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    assert "Traceback" not in result.output
    return result


def write(tmp_path: Path, text: str | bytes, name: str = "problem.yaml") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def edit(*changes: tuple[str, str]) -> str:
    """VALID with each (old, new) replaced; every old text must occur exactly once."""
    text = VALID
    for old, new in changes:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def check(tmp_path: Path, text: str | bytes, *expected: str) -> None:
    """The file fails with exit code 2 and exactly these stderr lines (each given after 'FILE:')."""
    path = write(tmp_path, text)
    result = invoke(path)
    assert result.exit_code == 2, result.stdout
    assert result.stderr.splitlines() == [f"{path}:{line}" for line in expected]


def test_the_base_file_is_valid(tmp_path):
    path = write(tmp_path, VALID)
    result = invoke(path)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ORIENTATION.format(path=path)  # valid, and its square weights' orientation defaulted
    stated = write(tmp_path, VALID.replace("network:\n", "network:\n  orientation: out_in\n"))
    assert invoke(stated).stderr == ""


ORIENTATION = ("{path}: warning: the weights of 'hidden' are square and the file does not say which way round "
               "they are: read as out_in (row j is a unit of the layer, column k an input); write "
               "network.orientation (out_in or in_out) as the sheet's picture has it\n")


# -- not a problem description at all -----------------------------------------------------------------------

def test_empty_file(tmp_path):
    check(tmp_path, "", "1:1: error: expected a problem description, found an empty file")


def test_only_a_comment(tmp_path):
    check(tmp_path, "# nothing here yet\n", "1:1: error: expected a problem description, found an empty file")


def test_unclosed_bracket(tmp_path):
    check(tmp_path, "title: x\ninput: [1, 2\n",
          "3:1: error: expected valid YAML, found an error: did not find expected ',' or ']' "
          "(while parsing a flow sequence at line 2, column 8)")


def test_tab_indentation(tmp_path):
    check(tmp_path, "network:\n\tinputs: 2\n",
          "2:1: error: expected spaces for indentation, found a tab character")


def test_top_level_list(tmp_path):
    check(tmp_path, "- network\n- input\n",
          "1:1: error: expected a mapping of keys (title, network, ...), found a list of 2")


def test_python_object_tag_is_reported_and_never_constructed(tmp_path):
    marker = tmp_path / "constructed"
    check(tmp_path, f'title: !!python/object/apply:os.system ["touch {marker}"]\n',
          "1:8: error: title: expected plain YAML data, found the tag !!python/object/apply:os.system")
    assert not marker.exists()


def test_custom_tag(tmp_path):
    check(tmp_path, edit(("title: tiny 2-2 network", "title: !foo tiny")),
          "1:8: error: title: expected plain YAML data, found the tag !foo")


def test_standard_tag_with_a_value_it_cannot_take(tmp_path):
    check(tmp_path, edit(("units: 2", "units: !!bool 2"), ("input: [0.5, 0.2]", "input: [!!int '', 0.2]")),
          "6:14: error: network.layers[1].units: expected true or false, found '2'",
          "10:9: error: input[1]: expected an integer, found ''")


def test_duplicate_key(tmp_path):
    check(tmp_path, VALID + "title: again\n",
          "14:1: error: title: expected each key once, found 'title' again (first at line 1)")


def test_merge_key(tmp_path):
    check(tmp_path, "defaults: &d {units: 2, activation: sigmoid}\n" + edit(("    - name: hidden\n      units: 2\n",
                                                                            "    - <<: *d\n      name: hidden\n")),
          "6:7: error: network.layers[1]: expected a key, found a merge key '<<' (not supported)")


def test_control_character(tmp_path):
    check(tmp_path, edit(("title: tiny", "title: ti\x07ny")),
          "1:10: error: expected printable text, found the character U+0007 (control characters are not allowed)")


# -- names -------------------------------------------------------------------------------------------------

def test_unknown_top_level_key_with_did_you_mean(tmp_path):
    check(tmp_path, edit(("network:", "netwrok:")),
          "1:1: error: expected a key 'network', found none",
          f"2:1: error: netwrok: unknown key 'netwrok', expected one of: {TOP_KEYS} (did you mean 'network'?)")


def test_unknown_layer_key(tmp_path):
    check(tmp_path, edit(("activation: sigmoid", "activaton: sigmoid")),
          f"7:7: error: network.layers[1].activaton: unknown key 'activaton', expected one of: {LAYER_KEYS} "
          "(did you mean 'activation'?)")


def test_unknown_activation(tmp_path):
    check(tmp_path, edit(("activation: sigmoid", "activation: sigmod")),
          f"7:19: error: network.layers[1].activation: expected activation one of: {ACTIVATIONS}, found 'sigmod' "
          "(did you mean 'sigmoid'?)")


def test_unknown_loss_kind(tmp_path):
    check(tmp_path, edit(("kind: squared_error", "kind: squared_eror")),
          f"12:14: error: loss.kind: expected loss one of: {LOSSES}, found 'squared_eror' "
          "(did you mean 'squared_error'?)")


def test_missing_required_keys(tmp_path):
    check(tmp_path, "title: nothing else\n",
          "1:1: error: expected a key 'input', found none",
          "1:1: error: expected a key 'loss', found none",
          "1:1: error: expected a key 'network', found none",
          "1:1: error: expected a key 'target', found none")


def test_layer_without_weights(tmp_path):
    check(tmp_path, edit(("      weights: [[0.1, 0.2], [0.3, 0.4]]\n", "")),
          "5:7: error: network.layers[1]: expected a key 'weights', found none")


# -- shapes ------------------------------------------------------------------------------------------------

def test_wrong_weights_shape_names_the_layer_and_both_shapes(tmp_path):
    check(tmp_path, edit(("[[0.1, 0.2], [0.3, 0.4]]", "[[0.1, 0.2, 0.3], [0.3, 0.4, 0.5]]")),
          "8:16: error: network.layers[1].weights: expected a 2×2 matrix for layer 'hidden' (units × inputs), "
          "found 2×3")


def test_ragged_matrix(tmp_path):
    check(tmp_path, edit(("[[0.1, 0.2], [0.3, 0.4]]", "[[0.1, 0.2], [0.3]]")),
          "8:16: error: network.layers[1].weights: expected a 2×2 matrix for layer 'hidden' (units × inputs), "
          "found 2 rows of unequal length")


def test_wrong_number_of_input_values(tmp_path):
    check(tmp_path, edit(("input: [0.5, 0.2]", "input: [0.5, 0.2, 0.3]")),
          "10:8: error: input: expected 2 values (one per input unit), found 3")


def test_wrong_number_of_input_values_still_checks_each_value(tmp_path):
    check(tmp_path, edit(("input: [0.5, 0.2]", "input: [0.5, x, 0.3]")),
          "10:8: error: input: expected 2 values (one per input unit), found 3",
          "10:14: error: input[2]: expected a number, found 'x'")


def test_target_length_mismatch(tmp_path):
    check(tmp_path, edit(("target: [1, 0]", "target: [1]")),
          "11:9: error: target: expected 2 values (one per output unit), found 1")


def test_target_sample_count_mismatch(tmp_path):
    check(tmp_path, edit(("input: [0.5, 0.2]", "input: [[0.5, 0.2], [0.1, 0.3]]"),
                         ("target: [1, 0]", "target: [[1, 0]]")),
          "11:9: error: target: expected 2 samples (as many as input), found 1")


# -- values ------------------------------------------------------------------------------------------------

def test_non_numeric_weight(tmp_path):
    check(tmp_path, edit(("0.4]]", "zz]]")),
          "8:35: error: network.layers[1].weights[2][2]: expected a number, null (no connection) or a parameter "
          "name, found 'zz'")


def test_nan_and_inf_in_input(tmp_path):
    check(tmp_path, edit(("input: [0.5, 0.2]", "input: [.nan, .inf]")),
          "10:9: error: input[1]: expected a finite number, found nan",
          "10:15: error: input[2]: expected a finite number, found inf")


def test_string_as_input_value(tmp_path):
    check(tmp_path, edit(("input: [0.5, 0.2]", "input: [abc, 0.2]")),
          "10:9: error: input[1]: expected a number, found 'abc'")


def test_integer_beyond_float_range(tmp_path):
    huge = "1" + "0" * 400
    check(tmp_path, edit(("learning_rate: 0.1", f"learning_rate: {huge}")),
          f"13:24: error: train.learning_rate: expected a finite number, found {huge}")


def test_negative_learning_rate(tmp_path):
    check(tmp_path, edit(("learning_rate: 0.1", "learning_rate: -0.1")),
          "13:24: error: train.learning_rate: expected a number at least 0, found -0.1")


def test_zero_units(tmp_path):
    check(tmp_path, edit(("units: 2", "units: 0")),
          "6:14: error: network.layers[1].units: expected a number of units at least 1 and at most 1,000,000, "
          "found 0")


def test_fractional_units(tmp_path):
    check(tmp_path, edit(("units: 2", "units: 2.5")),
          "6:14: error: network.layers[1].units: expected a number of units, found 2.5")


def test_bool_where_a_number_is_expected(tmp_path):
    check(tmp_path, edit(("learning_rate: 0.1", "learning_rate: true")),
          "13:24: error: train.learning_rate: expected a learning rate, found 'true'")


def test_bce_target_outside_unit_interval(tmp_path):
    check(tmp_path, edit(("kind: squared_error", "kind: binary_cross_entropy"), ("target: [1, 0]", "target: [2, 0]")),
          "11:9: error: target: expected targets between 0 and 1 for binary_cross_entropy, found 0..2")


def test_bias_with_fold_bias(tmp_path):
    check(tmp_path, edit(("  inputs: 2\n", "  inputs: 2\n  fold_bias: true\n"),
                         ("[[0.1, 0.2], [0.3, 0.4]]", "[[0.1, 0.2, 0.3], [0.3, 0.4, 0.5]]")),
          "10:13: error: network.layers[1].bias: expected no separate bias: network.fold_bias puts the bias in "
          "the weights")


def test_uniform_init_with_low_above_high(tmp_path):
    check(tmp_path, edit(("[[0.1, 0.2], [0.3, 0.4]]", "{init: uniform, low: 2, high: 1}")),
          "8:46: error: network.layers[1].weights.high: expected low <= high (both within float range), "
          "found low 2, high 1")


def test_normal_init_with_negative_std(tmp_path):
    check(tmp_path, edit(("[[0.1, 0.2], [0.3, 0.4]]", "{init: normal, std: -1}")),
          "8:36: error: network.layers[1].weights.std: expected a number at least 0, found -1")


# -- several problems at once ------------------------------------------------------------------------------

def test_several_errors_reported_together_sorted_by_line(tmp_path):
    text = edit(("learning_rate: 0.1", "learning_rate: -1"), ("kind: squared_error", "kind: squared_eror"),
                ("input: [0.5, 0.2]", "input: [.nan, 0.2]"), ("activation: sigmoid", "activation: sigmod"),
                ("inputs: 2", "inputs: two"))
    check(tmp_path, text,
          "3:11: error: network.inputs: expected a number of inputs, found 'two'",
          f"7:19: error: network.layers[1].activation: expected activation one of: {ACTIVATIONS}, found 'sigmod' "
          "(did you mean 'sigmoid'?)",
          "10:9: error: input[1]: expected a finite number, found nan",
          f"12:14: error: loss.kind: expected loss one of: {LOSSES}, found 'squared_eror' "
          "(did you mean 'squared_error'?)",
          "13:24: error: train.learning_rate: expected a number at least 0, found -1")


def test_a_bad_layer_size_does_not_hide_other_layer_errors(tmp_path):
    check(tmp_path, edit(("units: 2", "units: 2.5"), ("activation: sigmoid", "activation: sigmod")),
          "6:14: error: network.layers[1].units: expected a number of units, found 2.5",
          f"7:19: error: network.layers[1].activation: expected activation one of: {ACTIVATIONS}, found 'sigmod' "
          "(did you mean 'sigmoid'?)")


# -- names -------------------------------------------------------------------------------------------------

def test_two_layers_whose_shared_biases_would_share_a_name(tmp_path):
    check(tmp_path, "network:\n  inputs: 1\n  layers:\n"
                    "    - {name: a b, units: 1, weights: 0.5, bias: {shared: 0.1}}\n"
                    "    - {name: a_b, units: 1, weights: 0.5, bias: {shared: 0.2}}\n"
                    "input: 1\ntarget: 1\nloss: squared_error\n",
          "5:49: error: network.layers[2].bias: expected a name of its own for the shared bias of layer 'a_b', "
          "found 'bias_a_b', which is already the name of the shared bias of layer 'a b' (line 4) "
          "(rename the layer or the parameter)")


def test_a_shared_bias_named_like_a_declared_parameter(tmp_path):
    check(tmp_path, "parameters: {bias_h: 5}\n" + edit(("name: hidden", "name: h"),
                                                       ("bias: [0.1, 0.2]", "bias: {shared: 0.1}")),
          "10:13: error: network.layers[1].bias: expected a name of its own for the shared bias of layer 'h', "
          "found 'bias_h', which is already the name of the parameter declared at line 1 "
          "(rename the layer or the parameter)")


# -- sizes -------------------------------------------------------------------------------------------------

def refused_quickly(tmp_path: Path, text: str, *expected: str) -> None:
    """Checked like `check`, without allocating the network (peak traced memory stays small)."""
    tracemalloc.start()
    try:
        check(tmp_path, text, *expected)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 100_000_000  # the refused networks would need hundreds of MB or more


def test_too_large_network_is_refused_before_allocating(tmp_path):
    refused_quickly(tmp_path, edit(("inputs: 2", "inputs: 100000"), ("units: 2", "units: 100000")),
                    "3:3: error: network: expected at most 2,000,000 weights and activations in all, found "
                    "10,000,300,000 (too large to work here)")


def test_many_samples_given_as_columns_count_towards_the_size(tmp_path):
    samples = ", ".join(["0.5"] * 20000)
    text = ("network:\n  inputs: 1\n  layers:\n    - {units: 2000, weights: 0.1}\n    - {units: 1, weights: 0.1}\n"
            f"samples_are: columns\ninput: [[{samples}]]\ntarget: [[{samples}]]\nloss: squared_error\n")
    refused_quickly(tmp_path, text,
                    "2:3: error: network: expected at most 2,000,000 weights and activations in all, found "
                    "40,046,001 (too large to work here)")


def test_training_that_would_take_hours_is_refused(tmp_path):
    layers = "".join("    - {units: 1, activation: tanh, weights: 0.5, bias: 0.1}\n" for _ in range(2000))
    path = write(tmp_path, f"network:\n  inputs: 1\n  layers:\n{layers}input: 1\ntarget: 1\n"
                           "loss: squared_error\ntrain: {learning_rate: 0.1, steps: 100000}\n")
    result = invoke(path)
    assert result.exit_code == 2
    assert re.fullmatch(rf"{re.escape(str(path))}:2007:8: error: train: expected training that takes at most "
                        r"about 30 s here, found about [\d,]+ s for 100,000 steps \(at most about [\d,]+ steps fit\)\n",
                        result.stderr), result.stderr


def test_a_graph_trained_too_long_is_refused(tmp_path):
    path = write(tmp_path, "graph:\n  params: {w: " + str([[0.5] * 1000] * 100) + "}\n"
                           "  nodes: {y: sum(tanh(w) * w)}\ntrain: {learning_rate: 0.1, steps: 100000}\n")
    result = invoke(path)
    assert result.exit_code == 2
    assert "train: expected training that takes at most about 30 s here" in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_an_empty_graph_input_and_no_samples_are_errors(tmp_path):
    check(tmp_path, "graph:\n  inputs: {x: []}\n  nodes: {m: mean(x)}\n",
          "2:15: error: graph.inputs.x: expected at least one number, found a list of 0")
    check(tmp_path, edit(("input: [0.5, 0.2]", "samples_are: columns\ninput: [[], []]"),
                         ("target: [1, 0]", "target: [[], []]")),
          "11:8: error: input: expected at least one sample, found none",
          "12:9: error: target: expected at least one sample, found none")


def test_no_links_and_an_overflowing_update_are_warned_about(tmp_path):
    path = write(tmp_path, edit(("[[0.1, 0.2], [0.3, 0.4]]", "[[null, null], [null, null]]"),
                                ("learning_rate: 0.1", "learning_rate: 1e308")))
    result = invoke(path)
    assert result.exit_code == 0
    assert result.stderr.splitlines() == [
        f"{path}: warning: layer 'hidden' has no connections (every weight is null): its values do not depend "
        "on the layer before",
        f"{path}: warning: the update gives parameters that are not finite (an overflow: is the learning rate right?)"]


def test_billion_laughs_fails_fast(tmp_path):
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for previous, name in zip("abcdefgh", "bcdefghi"):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
    refused_quickly(tmp_path, "\n".join(lines) + "\n",
                    "6:4: error: f: expected at most 200,000 YAML values, found 597,871 "
                    "(aliases expand too far)")


def test_alias_that_contains_itself(tmp_path):
    refused_quickly(tmp_path, "a: &a [1, *a]\n",
                    "1:4: error: expected at most 64 levels of nesting, found more "
                    "(or an alias that contains itself)")


def test_deep_nesting(tmp_path):
    refused_quickly(tmp_path, "a: " + "[" * 500 + "]" * 500 + "\n",
                    "1:66: error: expected at most 64 levels of nesting, found more "
                    "(or an alias that contains itself)")


def test_file_too_large_is_not_read(tmp_path, monkeypatch):
    monkeypatch.setattr(source, "MAX_BYTES", 100)
    check(tmp_path, VALID * 2, "1:1: error: expected a file of at most 100 bytes, found a larger one")


# -- the file itself ---------------------------------------------------------------------------------------

def test_file_that_does_not_exist(tmp_path):
    path = tmp_path / "missing.yaml"
    result = invoke(path)
    assert result.exit_code == 2
    assert result.stderr == f"{path}:1:1: error: expected a readable file, found: No such file or directory\n"


def test_directory_as_file(tmp_path):
    result = invoke(tmp_path)
    assert result.exit_code == 2
    assert result.stderr == f"{tmp_path}:1:1: error: expected a file, found a directory\n"


def test_non_utf8_file(tmp_path):
    check(tmp_path, VALID.replace("tiny", "caf\xe9").encode("latin-1"),
          "1:11: error: expected UTF-8 text, found the byte 0xe9 (invalid continuation byte)")


def test_non_utf8_file_after_a_byte_order_mark(tmp_path):
    check(tmp_path, b"\xef\xbb\xbf" + "title: \u00e9t\u00e9\n".encode() + b"input: caf\xe9\n",
          "2:11: error: expected UTF-8 text, found the byte 0xe9 (invalid continuation byte)")


# -- every seed, systematically broken ---------------------------------------------------------------------

NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?![\w.])")
SEEDS = sorted((PROBLEMS / "seeds").glob("*.yaml"))


def mutants(text: str):
    """Each line deleted in turn, then each number replaced by 'x' in turn."""
    lines = text.splitlines(keepends=True)
    for i in range(len(lines)):
        yield f"line {i + 1} deleted", "".join(lines[:i] + lines[i + 1:])
    for match in NUMBER.finditer(text):
        yield f"number at {match.start()} replaced", text[:match.start()] + "x" + text[match.end():]


def test_there_are_seed_problems_to_break():
    assert len(SEEDS) >= 10


@pytest.mark.parametrize("seed", SEEDS, ids=[s.name for s in SEEDS])
def test_broken_seeds_fail_cleanly(seed, tmp_path):
    failures = 0
    for what, text in mutants(seed.read_text(encoding="utf-8")):
        path = write(tmp_path, text)
        result = invoke(path)
        assert result.exit_code in (0, 2), what
        if result.exit_code == 2:
            failures += 1
            lines = result.stderr.splitlines()
            assert lines, what
            assert all(ERROR_LINE.match(line) for line in lines), (what, result.stderr)
    assert failures > 0
