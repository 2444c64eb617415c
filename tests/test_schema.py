"""The JSON Schema of the format (``backprop schema``) against the readers, which are the truth: every
file in problems/ valid, files the readers refuse refused, the readers' keys and registries in the
schema, and the committed schema/problem.schema.json the one the command prints."""

from __future__ import annotations

import copy
import json
import os
import re

import pytest
from click.testing import CliRunner

from backprop_cli import ProblemError, cli, loads
from backprop_cli.checking.grading import read_key
from backprop_cli.engine.losses import TERMS
from backprop_cli.engine.model import NOTATIONS
from backprop_cli.engine.ops import ACTIVATIONS
from backprop_cli.engine.optimizers import NAMES
from backprop_cli.read import layered, schema
from backprop_cli.read.fields import Fields
from backprop_cli.read.profiles import PROFILES
from backprop_cli.read.sections import OPTIMIZER_SETTINGS
from backprop_cli.read.sheets import SHEET_KEYS, read_yaml_sheet
from backprop_cli.read.yaml_tree import Node, parse
from conftest import MULTI_PROBLEM_FILES, PROBLEM_FILES, PROBLEMS, ROOT, SYMBOLIC_FILES

jsonschema = pytest.importorskip("jsonschema")

COMMITTED = ROOT / "schema" / "problem.schema.json"
SCHEMA = json.loads(COMMITTED.read_text(encoding="utf-8"))
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
SHEETS = sorted((PROBLEMS / "class" / "sheets").glob("*.yaml"))
TEMPLATES = sorted(PROBLEMS.rglob("templates/*.yaml"))


def plain(node: Node, path: tuple = (), paths: dict | None = None):
    """A parsed file's data as the reader sees it (a date stays text, every key a string); ``paths`` gets
    each node's path, by the key path the reader's messages give."""
    if paths is not None:
        paths[node.path] = path
    if node.is_mapping:
        return {key: plain(child, (*path, key), paths) for key, child in node.value.items()}
    if node.is_sequence:
        return [plain(child, (*path, i), paths) for i, child in enumerate(node.value)]
    return node.value


def schema_errors(text: str) -> list[str]:
    return [f"{'.'.join(map(str, e.absolute_path))}: {e.message}"
            for e in VALIDATOR.iter_errors(plain(parse(text, "t.yaml")))]


def is_sheet(text: str) -> bool:
    """The answer sheets here start with student: (after their schema comment)."""
    return next(line for line in text.splitlines() if not line.startswith("#")).startswith("student:")


def reader_refuses(text: str) -> bool:
    """Whether the reader refuses a file: a problem (with its answers and grading) or an answer sheet. An
    answer left null is a question of a key for backprop grade, which computes its value."""
    try:
        if is_sheet(text):
            read_yaml_sheet("t.yaml", text)
            return False
        problem = loads(text, "t.yaml")
        if problem.grading is not None:
            read_key(problem)
    except ProblemError:
        return True
    return any(answer.written not in ("~", "null", "") for answer in problem.unreadable)


# -- the schema itself ------------------------------------------------------------------------------------

def test_the_schema_is_valid_json_schema_2020_12():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert SCHEMA["$id"] == schema.ID and SCHEMA["title"]


def test_backprop_schema_prints_the_committed_file(tmp_path):
    """After a change to the format: backprop schema --output schema/problem.schema.json"""
    done = CliRunner().invoke(cli.main, ["schema"])
    assert done.exit_code == 0 and json.loads(done.output) == SCHEMA
    assert done.output == COMMITTED.read_text(encoding="utf-8"), "schema/problem.schema.json is out of date"
    assert CliRunner().invoke(cli.main, ["schema", "--output", str(tmp_path / "s.json")]).exit_code == 0
    assert (tmp_path / "s.json").read_text(encoding="utf-8") == done.output


def walk(node, where: str = ""):
    """Every subschema with its JSON pointer."""
    if isinstance(node, dict):
        yield where, node
        for key, child in node.items():
            yield from walk(child, f"{where}/{key}")
    elif isinstance(node, list):
        for i, child in enumerate(node):
            yield from walk(child, f"{where}/{i}")


def test_every_property_has_a_description_for_editors():
    """Of every mapping the schema describes (conditions such as if: {properties: ...} describe none)."""
    mappings = [(where, node) for where, node in walk(SCHEMA) if node.get("type") == "object"]
    missing = [f"{where}/properties/{key}" for where, node in mappings
               for key, value in node.get("properties", {}).items() if not value.get("description")]
    assert len(mappings) > 20 and missing == []


def at(pointer: str):
    node = SCHEMA
    for part in pointer.strip("/").split("/"):
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


@pytest.mark.parametrize("registry, pointers", [
    (ACTIVATIONS, ["/$defs/activation/anyOf/0/enum", "/$defs/activation/anyOf/1/properties/name/enum"]),
    (TERMS, ["/$defs/loss/anyOf/0/enum", "/$defs/loss/anyOf/1/properties/kind/enum"]),
    (NAMES, ["/$defs/optimizer/anyOf/0/enum", "/$defs/optimizer/anyOf/1/properties/name/enum"]),
    (NOTATIONS, ["/$defs/notation/anyOf/0/enum", "/$defs/notation/anyOf/1/properties/preset/enum"]),
    (layered.INITS, ["/$defs/init/properties/init/enum"]),
    (PROFILES, ["/$defs/layered_problem/properties/convention/enum"]),
], ids=["activations", "losses", "optimizers", "notations", "inits", "conventions"])
def test_the_enums_are_the_registries(registry, pointers):
    for pointer in pointers:
        assert at(pointer) == list(registry), pointer


@pytest.mark.parametrize("pointer, settings", [
    ("/$defs/optimizer/anyOf/1", OPTIMIZER_SETTINGS),
    ("/$defs/activation/anyOf/1", {name: tuple(op.attrs) for name, op in ACTIVATIONS.items()}),
], ids=["optimizers", "activations"])
def test_every_setting_goes_with_the_names_that_take_it_and_no_other(pointer, settings):
    mapping = at(pointer)
    rules = {rule["if"]["required"][0]: rule["then"]["properties"]["name"]["enum"] for rule in mapping["allOf"]}
    every = dict.fromkeys(key for keys in settings.values() for key in keys)
    takers = {key: [name for name, keys in settings.items() if key in keys] for key in every}
    assert rules == takers and set(takers) <= set(mapping["properties"])


def test_an_answer_sheet_takes_the_sheet_readers_keys():
    assert list(at("/$defs/answer_sheet/properties")) == list(SHEET_KEYS)


# -- the files in problems/ -------------------------------------------------------------------------------

@pytest.mark.parametrize("path", PROBLEM_FILES + SYMBOLIC_FILES + SHEETS, ids=lambda p: str(p.relative_to(PROBLEMS)))
def test_every_file_in_problems_is_valid_as_the_reader_finds_it(path):
    text = path.read_text(encoding="utf-8")
    assert reader_refuses(text) == (path.name == "fay.yaml")  # fay's sheet changes the problem
    assert (schema_errors(text) != []) == (path.name == "fay.yaml")


@pytest.mark.parametrize("path", MULTI_PROBLEM_FILES, ids=lambda p: str(p.relative_to(PROBLEMS)))
def test_every_problem_of_a_file_of_several_is_valid(path):
    """An editor checks each YAML document of a file on its own, and so does the schema."""
    import yaml
    from backprop_cli.read.files import load_all
    problems = load_all(str(path))
    documents = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
    assert len(documents) == len(problems) >= 2
    for document in documents:
        assert list(VALIDATOR.iter_errors(document)) == []


@pytest.mark.parametrize("path", sorted(PROBLEMS.rglob("*.yaml")), ids=lambda p: str(p.relative_to(PROBLEMS)))
def test_every_file_in_problems_names_the_schema_on_its_first_line(path):
    """Templates do not: their draws stand where numbers go, which the schema of a problem refuses."""
    first = path.read_text(encoding="utf-8").split("\n", 1)[0]
    relative = os.path.relpath(COMMITTED, path.parent).replace(os.sep, "/")
    if path in TEMPLATES:
        assert not first.startswith("# yaml-language-server")
    else:
        assert first == f"# yaml-language-server: $schema={relative}"


# -- the readers and the schema agree ---------------------------------------------------------------------

BASE = """\
title: A 2-2-1 network
network:
  inputs: 2
  layers:
    - {name: hidden, units: 2, activation: sigmoid, weights: [[0.15, 0.2], [0.25, 0.3]], bias: 0.35}
    - {name: output, units: 1, activation: sigmoid, weights: [[0.4, 0.45]], bias: [0.6]}
input: [0.05, 0.1]
target: 0.01
loss: {kind: squared_error, factor: 1/2}
train: {learning_rate: 0.5}
"""
GRAPH = """\
graph:
  inputs: {x1: 1, x2: 1, x3: 1}
  params: {w: 1, v: {value: 1, frozen: false}}
  nodes:
    a1: relu(w * x1)
    a2: relu(w * x2)
    a3: relu(w * x3)
    b2: a2 + v * a1
    y_hat: a3 + v * b2
  output: y_hat
target: 1
loss: {kind: squared_error}
"""
SHEET = "student: ada\nanswers:\n  z^(1): [0.3775, 0.3925]\n"


def edit(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def readme_example() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.search(r"## The problem format.*?```yaml\n(.*?)```", text, re.S).group(1)


VALID = {  # the README's ways of writing things, each accepted by the reader and the schema
    "the README's example": readme_example(),
    "the base": BASE,
    "expressions and parameters": edit(edit(BASE, "bias: [0.6]", "bias: B")
                                       + "parameters: {B: 0.6, C: {value: '1/2', frozen: true}}\n",
                                       "[[0.15, 0.2], [0.25, 0.3]], bias: 0.35",
                                       "[['2/3', 'e**-1'], [C, null]], bias: {shared: '1 + sin(pi/4)'}"),
    "activations, thresholds, frozen parts, random weights": edit(
        BASE, "activation: sigmoid, weights: [[0.15, 0.2], [0.25, 0.3]], bias: 0.35",
        "activation: [{name: leaky_relu, slope: 0.2}, {name: elu, alpha: 0.5}], frozen: [weights, threshold], "
        "weights: {init: normal, mean: 0, std: 1, seed: 3}, threshold: {init: uniform, low: -1, high: 1}"),
    "folded bias, in_out, samples as columns": """\
network:
  inputs: 1
  orientation: in_out
  fold_bias: true
  seed: 7
  layers: [{units: 1, activation: tanh, weights: [[0.1], [0.2]], frozen: true}]
input: [[1, 2, 3]]
target: [[0.5, 0.1, -0.2]]
samples_are: columns
loss: squared_error
train: {learning_rate: 0.1, batch_size: 2, epochs: 2, shuffle: {seed: 0}, l2: {lambda: 0.01, include_bias: true}}
""",
    "an optimizer with settings, checks, notation, conventions and names": edit(BASE, "train: {learning_rate: 0.5}",
        "train: {learning_rate: 0.5, steps: 3, l2: 0.001, optimizer: {name: sgd, momentum: 0.9, form: classical}}\n"
        "check: {abs: 0.01, round: 3}\nnotation: {preset: standard, activation: h}\nconventions: {delta: -dL/dz}\n"
        "names: {w5: 'w^(2)_11'}\nexpected:\n  h^(2): {value: 0.75, abs: 0.01}\n  w5': 0.36\n  L@0: ~\n"),
    "adam by name": edit(BASE, "train: {learning_rate: 0.5}", "train: {learning_rate: 0.01, optimizer: adam}"),
    "a convention's loss": edit(BASE, "loss: {kind: squared_error, factor: 1/2}", "convention: delta-rule"),
    "a convention's loss, one setting changed": edit(BASE, "loss: {kind: squared_error, factor: 1/2}",
                                                      "convention: sensitivity\nloss: {factor: 1/2}"),
    "a grading key": BASE + ("grading:\n  points: 2\n  follows: 0.5\n  tolerance: {abs: 0.0005}\n  questions:\n"
                             "    z^(1): 1\n    a^(2): {points: 2, decimals: 3}\n    L: ~\n"),
    "a key by expected: alone": BASE + "student: '00123'\nexpected: {z^(1): ~, L: 0.27}\n",
    "the README's graph": GRAPH,
    "a graph with an upstream gradient": """\
graph:
  inputs: {x: [1, 2, 3, 4, 5]}
  nodes: {F: 'x[[2, 4, 3, 0, 1]]'}
upstream: [0.1, 0.2, 0.3, 0.4, 0.5]
expected: {dL/dx: [0.4, 0.5, 0.1, 0.3, 0.2]}
""",
    "a graph differentiated by itself, trained with adam": """\
graph:
  params: {W: [[1, 2], [3, 4]]}
  nodes: {y: sum(W @ W), z: 2}
  output: y
train: {learning_rate: 0.1, steps: 2, optimizer: {name: adam, betas: [0.9, 0.99], eps_inside: true}}
notation: netout
""",
    "an answer sheet": SHEET + "  L: {value: 0.27, abs: 0.01}\n  w^(2): [[0.4, null]]\n",
    "an answer sheet of a numbered student": "student: 00123\nanswers:\n  L: '0.75 and 0.77'\n",
}

INVALID = {  # files the reader refuses, and the schema too
    "an unknown top key": BASE.replace("network:", "netwrok:"),
    "an unknown layer key": edit(BASE, "units: 1,", "unit: 1,"),
    "an unknown loss key": edit(BASE, "factor: 1/2", "factr: 1/2"),
    "units as text": edit(BASE, "units: 1,", "units: one,"),
    "a fractional number of inputs": edit(BASE, "inputs: 2", "inputs: 2.5"),
    "a learning rate as a list": edit(BASE, "learning_rate: 0.5", "learning_rate: [0.5]"),
    "a negative learning rate": edit(BASE, "learning_rate: 0.5", "learning_rate: -0.5"),
    "fold_bias as text": edit(BASE, "inputs: 2", "inputs: 2\n  fold_bias: 'yes'"),
    "a title as a number": edit(BASE, "title: A 2-2-1 network", "title: 3"),
    "weights as a boolean": edit(BASE, "weights: [[0.4, 0.45]]", "weights: true"),
    "a misspelt activation": edit(BASE, "units: 1, activation: sigmoid", "units: 1, activation: sigmod"),
    "a slope for a sigmoid": edit(BASE, "units: 1, activation: sigmoid",
                                  "units: 1, activation: {name: sigmoid, slope: 2}"),
    "an unknown loss kind": edit(BASE, "kind: squared_error", "kind: cross_entropy"),
    "a loss without its kind": edit(BASE, "kind: squared_error, factor", "factor"),
    "no loss": edit(BASE, "loss: {kind: squared_error, factor: 1/2}\n", ""),
    "no target": edit(BASE, "target: 0.01\n", ""),
    "an unknown optimizer": edit(BASE, "learning_rate: 0.5", "learning_rate: 0.5, optimizer: adamm"),
    "a setting of another optimizer": edit(BASE, "learning_rate: 0.5",
                                           "learning_rate: 0.5, optimizer: {name: rmsprop, betas: [0.9, 0.99]}"),
    "an unknown notation": BASE + "notation: netOut\n",
    "an unknown symbol": BASE + "notation: {preset: netout, weights: w}\n",
    "an unknown initialisation": edit(BASE, "weights: [[0.4, 0.45]]", "weights: {init: glorot}"),
    "an unknown convention": BASE + "convention: delta_rule\n",
    "epochs without a batch size": edit(BASE, "learning_rate: 0.5", "learning_rate: 0.5, epochs: 2"),
    "steps and epochs": edit(BASE, "learning_rate: 0.5", "learning_rate: 0.5, batch_size: 1, steps: 2, epochs: 2"),
    "a bias and a threshold": edit(BASE, "bias: [0.6]", "bias: [0.6], threshold: [0.1]"),
    "too many decimals to check": BASE + "check: {decimals: 20}\n",
    "an answer with an unknown key": BASE + "expected: {L: {value: 0.27, tol: 0.01}}\n",
    "a question with an unknown key": BASE + "grading: {questions: {L: {points: 1, tol: 2}}}\n",
    "an unknown grading key": BASE + "grading: {point: 2}\n",
    "a network in a graph": GRAPH + "network: {inputs: 1}\n",
    "a batch size for a graph": GRAPH + "train: {learning_rate: 0.1, batch_size: 1}\n",
    "a loss and an upstream gradient": GRAPH + "upstream: 1\n",
    "a graph name with dunders": edit(GRAPH, "a1: relu", "__a1: relu"),
    "a graph without nodes": GRAPH.split("  nodes:")[0] + "target: 1\nloss: squared_error\n",
    "a sheet that changes the problem": SHEET + "network: {inputs: 2}\n",
    "a sheet with an unknown key": SHEET + "anwsers: {L: 1}\n",
}


@pytest.mark.parametrize("name", VALID)
def test_the_readers_and_the_schema_accept_what_the_readme_writes(name):
    assert not reader_refuses(VALID[name])
    assert schema_errors(VALID[name]) == []


@pytest.mark.parametrize("name", INVALID)
def test_the_readers_and_the_schema_refuse_the_same_mistakes(name):
    assert reader_refuses(INVALID[name])
    assert schema_errors(INVALID[name]) != []


# Keys a reader takes and then refuses in its own words: a graph's inputs are one sample.
REFUSED_AFTER_READING = {("graph", "train"): {"batch_size", "epochs", "shuffle"}}
PROBE = "unknown-key"


def closed_mappings_at(data, path: tuple) -> set[frozenset]:
    """The keys of the schema's closed mappings (additionalProperties: false) that stand at ``path``."""
    probed = copy.deepcopy(data)
    node = probed
    for part in path:
        node = node[part]
    node[PROBE] = 1
    found, errors = set(), list(VALIDATOR.iter_errors(probed))
    while errors:
        error = errors.pop()
        errors.extend(error.context or ())
        if error.validator == "additionalProperties" and tuple(error.absolute_path) == path \
                and PROBE in error.message:
            found.add(frozenset(error.schema["properties"]))
    return found


def test_every_closed_mapping_of_the_schema_takes_the_keys_its_reader_takes(monkeypatch):
    """Each reader's call of Fields.keys, recorded on every file in problems/ and every valid file above,
    against the mapping of the schema at the same place; every closed mapping of the schema is met."""
    calls = []
    keys = Fields.keys

    def recording(self, node, allowed, required=()):
        allowed = list(allowed)
        calls.append((node, allowed))
        return keys(self, node, allowed, required)

    monkeypatch.setattr(Fields, "keys", recording)
    texts = [p.read_text(encoding="utf-8") for p in PROBLEM_FILES] + \
            [text for text in VALID.values() if not is_sheet(text)]
    met = set()
    for text in texts:
        calls.clear()
        paths: dict[str, tuple] = {}
        data = plain(parse(text, "t.yaml"), (), paths)
        assert not reader_refuses(text)
        for node, allowed in calls:
            if not node.is_mapping:  # the reader says it expected a mapping
                continue
            path = paths[node.path]
            kind = "graph" if "graph" in data else "network"
            taken = set(allowed) - REFUSED_AFTER_READING.get((kind, *path), set())
            if path == ("parameters",):  # names of the file's choosing
                continue
            found = closed_mappings_at(data, path)
            assert found == {frozenset(taken)}, (path, text)
            met |= found
    closed = {frozenset(node["properties"]) for _, node in walk(SCHEMA) if node.get("additionalProperties") is False}
    assert closed - met == {frozenset(SHEET_KEYS)}  # a sheet is read without Fields
