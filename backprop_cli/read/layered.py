"""The layered-network format: a positioned node tree in, a Problem out.

Every problem found in a file is collected and reported at once, sorted by position.
"""

from __future__ import annotations

import re

import numpy as np

from ..engine.model import MAX_VALUES, NOTATIONS, Activation, Entries, Layer, Network, Problem, SharedParameter
from ..engine.ops import ACTIVATIONS
from ..errors import did_you_mean
from . import profiles, sections
from .fields import SYMBOL, Fields, as_number, probe
from .yaml_tree import Node

TOP_KEYS = ("title", "description", "convention", "notation", "parameters", "network", "input", "target",
            "samples_are", "loss", "train", "expected", "check", "grading", "student", "names", "conventions")
INITS = ("normal", "uniform", "xavier_normal", "xavier_uniform", "he_normal", "he_uniform")
MAX_UNITS = 1_000_000
_NAME = r"[A-Za-z_][A-Za-z0-9_]*"


def read_problem(tree: Node, f: Fields) -> Problem:
    """A layered problem from a parsed file (raises ProblemError listing every problem found)."""
    return _Reader(f).problem(tree)


class _Reader:
    def __init__(self, fields: Fields):
        self.f = fields
        self.shared: dict[str, SharedParameter] = {}
        self.origins: dict[str, str] = {}  # where each shared parameter's name comes from, for messages
        self.values = 0  # weights and activations of the network, once its sizes are known
        self.convention: str | None = None  # the profile named under convention:
        self.profile = profiles.PROFILES["default"]  # its defaults for the keys the file leaves out
        self.folded_by = ""  # where network.fold_bias came from, when from the convention
        self.symbols: list[str] = []  # parameters and entries written `symbol`
        self.data_symbols: dict = {}  # "input" or "target" -> {(sample, unit): symbol}
        self.label = None  # the name of a symbol written in the entries being read

    # -- top level -------------------------------------------------------------------------------
    def problem(self, tree: Node) -> Problem:
        f = self.f
        top = f.keys(tree, TOP_KEYS, required=("network", "input", "target")) or {}
        profile = self.convention_profile(tree, top)
        title = sections.title(top, f)
        notation = sections.conventions(top, f, sections.notation(top, f, NOTATIONS[profile.notation]),
                                        profile.delta_sign)
        self.notation = notation
        if "parameters" in top:
            self.shared_parameters(top["parameters"])
        samples_are = f.choice(top["samples_are"], ("rows", "columns")) if "samples_are" in top else "rows"
        network = self.network(top["network"], top) if "network" in top else None
        loss = sections.loss(top.get("loss"), f, profile.loss)
        training = sections.training(top, f)
        inputs = targets = None
        if network is not None and samples_are is not None:
            inputs = self.data(top.get("input"), network.inputs, samples_are, "input")
            targets = self.data(top.get("target"), network.layers[-1].units, samples_are, "target")
            if inputs is not None and targets is not None and len(inputs) != len(targets):
                f.error(top["target"], f"expected {len(inputs)} samples (as many as input), found {len(targets)}")
            if targets is not None and loss is not None:
                sections.check_targets(top["target"], targets, loss, f)
        else:
            for key in ("input", "target"):
                if key in top:
                    self.check_numbers(top[key])
        if "train" in top and inputs is not None:
            training = sections.batches(training, len(inputs), top["train"], f)
        if "train" in top and network is not None and inputs is not None:
            from ..engine import cost
            seconds = self.training_seconds(network, len(inputs), training.steps)
            if seconds > cost.MAX_TRAINING_SECONDS:
                f.error(top["train"], cost.refusal(seconds, training.steps))
        settings = sections.check_settings(top, f)
        f.raise_if_any()
        problem = Problem(source=f.filename, title=title, network=network, inputs=inputs,
                          targets=targets, loss=loss, training=training, notation=notation,
                          student=sections.student(top, f), grading=top.get("grading"),
                          shared=tuple(self.shared.values()), samples_are=samples_are, check=settings,
                          convention=self.convention, symbols=tuple(self.symbols),
                          data_symbols=self.data_symbols)
        if "names" in top:
            problem.names = self.names(top["names"], problem)
            _symbols_renamed(problem)
        sections.expected(problem, top, f, "resolve_layered")
        return problem

    def convention_profile(self, tree: Node, top: dict[str, Node]) -> profiles.Profile:
        """``convention:`` the profile whose defaults the file's own keys override; ``loss`` is required
        unless the profile gives one."""
        self.convention, self.profile = profiles.read(top, self.f)
        if "convention" in top and self.convention is None:
            self.f.raise_if_any()  # the rest is read against the defaults of a profile that is not known
        if tree.is_mapping and "loss" not in top and self.profile.loss is None:
            self.f.error(tree, "expected a key 'loss', found none")
        return self.profile

    def names(self, node: Node, problem: Problem) -> dict:
        """``names:`` a sheet's own names for quantities (``w5: w^(2)_11``), each resolved now."""
        from .addresses import AddressError, resolve_layered, symbols
        f = self.f
        if not node.is_mapping:
            f.error(node, f"expected a mapping of names to addresses (w5: w^(2)_11), found {node.describe()}")
            f.raise_if_any()
        taken = {*symbols(problem), *problem.shared_index, problem.notation.loss, "L"}
        named = {}
        for name, value in node.value.items():
            if not re.fullmatch(_NAME, name) or name in taken:
                f.error(node, f"expected a new name (letters, digits, _), found '{name}'"
                              + (" (a symbol or parameter of the problem)" if name in taken else ""), at_key=name)
                continue
            if not isinstance(value.value, str):
                f.error(value, f"expected an address such as w^(2)_11, found {value.describe()}")
                continue
            try:
                named[name] = resolve_layered(value.value, problem)
            except AddressError as error:
                f.error(value, str(error), error.hint)
        f.raise_if_any()
        return named

    def shared_parameters(self, node: Node) -> None:
        for name, child in (self.f.keys(node, node.value if node.is_mapping else ()) or {}).items():
            if not re.fullmatch(_NAME, name):
                self.f.error(node, f"expected a parameter name (letters, digits, _), found '{name}'", at_key=name)
                continue
            frozen = False
            if child.is_mapping:
                keys = self.f.keys(child, ("value", "frozen"), required=("value",)) or {}
                child = keys.get("value")
                if "frozen" in keys:
                    frozen = bool(self.f.boolean(keys["frozen"]))
            if child is not None and child.value == SYMBOL:  # worked in formulas: recorded with a probe number
                self.symbols.append(name)
                value = float(probe(len(self.symbols)))
            else:
                value = None if child is None else self.f.number(child)
            if value is not None:
                self.shared[name] = SharedParameter(name, value, frozen)
                self.origins[name] = f"the parameter declared at line {node.key_marks[name][0]}"

    # -- network ---------------------------------------------------------------------------------
    def network(self, node: Node, top: dict[str, Node]) -> Network | None:
        f = self.f
        keys = f.keys(node, ("inputs", "orientation", "fold_bias", "seed", "layers"),
                      required=("inputs", "layers"))
        if keys is None:
            return None
        inputs = f.integer(keys["inputs"], "a number of inputs", 1, MAX_UNITS) if "inputs" in keys else None
        profile = self.profile
        orientation = f.choice(keys["orientation"], ("out_in", "in_out")) if "orientation" in keys \
            else profile.orientation or "out_in"
        folded = f.boolean(keys["fold_bias"]) if "fold_bias" in keys else profile.fold_bias
        if folded and "fold_bias" not in keys:
            self.folded_by = f" (the default of convention: {self.convention})"
        seed = f.integer(keys["seed"], "a seed", 0) if "seed" in keys else 0
        layer_nodes = keys.get("layers")
        if layer_nodes is None or not layer_nodes.is_sequence or not layer_nodes.value:
            if layer_nodes is not None:
                f.error(layer_nodes, f"expected a list of at least one layer, found {layer_nodes.describe()}")
            return None
        shapes = [self.layer_shape(n) for n in layer_nodes.value]
        known = all(s is not None and s[0] is not None and "weights" in s[1] for s in shapes)
        if inputs is None or orientation is None or folded is None or seed is None or not known or \
                not self.fits_in_memory(node, inputs, [u for u, _ in shapes], top):
            for index, shape in enumerate(shapes, start=1):
                if shape is not None:
                    self.layer_settings(shape[1], index, shape[0])
            return None
        layers, fan_in = [], inputs
        for index, (layer_node, (units, keys_)) in enumerate(zip(layer_nodes.value, shapes), start=1):
            layer = self.layer(layer_node, keys_, index, units, fan_in, orientation, folded, seed)
            if layer is not None:
                layers.append(layer)
            fan_in = units
        if len(layers) != len(shapes):
            return None
        return Network(inputs, tuple(layers), orientation, folded,
                       orientation_stated="orientation" in keys or profile.orientation is not None)

    def layer_shape(self, node: Node) -> tuple[int | None, dict[str, Node]] | None:
        """A layer's keys and number of units (None when missing or invalid)."""
        keys = self.f.keys(node, ("name", "units", "activation", "weights", "bias", "threshold", "frozen"),
                           required=("units", "weights"))
        if keys is None:
            return None
        units = self.f.integer(keys["units"], "a number of units", 1, MAX_UNITS) if "units" in keys else None
        return units, keys

    def fits_in_memory(self, node: Node, inputs: int, units: list[int], top: dict[str, Node]) -> bool:
        data = top.get("input")
        nested = data is not None and data.is_sequence and data.value and data.value[0].is_sequence
        columns = "samples_are" in top and top["samples_are"].value == "columns"
        samples = (len(data.value[0].value) if columns else len(data.value)) if nested else 1
        widths = [inputs, *units]
        total = sum((a + 1) * b for a, b in zip(widths, widths[1:])) + samples * sum(widths)
        self.values = total
        if total > MAX_VALUES:
            self.f.error(node, f"expected at most {MAX_VALUES:,} weights and activations in all, "
                               f"found {total:,} (too large to work here)")
            return False
        return True

    def training_seconds(self, network: Network, samples: int, steps: int) -> float:
        """Estimated time of the training asked for: about 6 recorded ops a layer, 10 for the loss."""
        from ..engine import cost
        weights = sum(layer.weights.values.size for layer in network.layers)
        return cost.training_seconds(steps, 6 * len(network.layers) + 10, samples * weights, self.values)

    def layer_settings(self, keys: dict[str, Node], index: int, units: int | None):
        """A layer's name, activation(s) and frozen parts: the checks that do not need its shape."""
        name = self.f.text(keys["name"], "a layer name") if "name" in keys else None
        activations = self.activations(keys["activation"], units) if "activation" in keys \
            else (Activation("identity"),)
        frozen = self.frozen(keys["frozen"]) if "frozen" in keys else set()
        return name or f"layer {index}", activations, frozen

    def layer(self, node: Node, keys: dict[str, Node], index: int, units: int, fan_in: int,
              orientation: str, folded: bool, seed: int) -> Layer | None:
        f = self.f
        name, activations, frozen = self.layer_settings(keys, index, units)
        rows, cols = (units, fan_in + folded) if orientation == "out_in" else (fan_in + folded, units)
        what = "units × inputs" if orientation == "out_in" else "inputs × units"
        if folded:
            what += ", bias included"
        n = self.notation
        offsets = (0 if folded and orientation == "in_out" else 1, 0 if folded and orientation == "out_in" else 1)
        self.label = lambda position: f"{n.weight}^({index})_{_index(position, offsets)}"  # a symbol's name
        weights = self.entries(keys["weights"], (rows, cols), f"layer '{name}' ({what})",
                               "weights" in frozen, [seed, index, 0], fan_in, units)
        bias, sign = None, 1.0
        if "bias" in keys and "threshold" in keys:
            f.error(keys["threshold"], "expected either bias or threshold, found both")
        for key, key_sign in (("bias", 1.0), ("threshold", -1.0)):
            if key not in keys or keys[key].value is None:
                continue
            if folded:
                hint = "fold_bias: false under network: keeps it separate" if self.folded_by else ""
                f.error(keys[key], f"expected no separate {key}: network.fold_bias{self.folded_by} puts the bias in "
                                   "the weights", hint)
                continue
            symbol = n.bias if key == "bias" else n.threshold
            self.label = lambda position, symbol=symbol: f"{symbol}^({index})_{position[0] + 1}"
            bias = self.entries(keys[key], (units,), f"layer '{name}' (one per unit)", key in frozen,
                                [seed, index, 1], fan_in, units, layer_name=name, key=key)
            sign = key_sign
        if activations is None or weights is None or (bias is None and any(
                k in keys and keys[k].value is not None for k in ("bias", "threshold"))):
            return None
        return Layer(name, units, activations, weights, bias, sign)

    def frozen(self, node: Node) -> set[str]:
        if isinstance(node.value, bool):
            return {"weights", "bias", "threshold"} if node.value else set()
        if not node.is_sequence:
            self.f.error(node, f"expected true, false or a list of weights/bias/threshold, found {node.describe()}")
            return set()
        return {self.f.choice(item, ("weights", "bias", "threshold")) for item in node.value} - {None}

    def activations(self, node: Node, units: int | None) -> tuple[Activation, ...] | None:
        if node.is_sequence:
            if units is not None and len(node.value) != units:
                self.f.error(node, f"expected one activation per unit ({units}), found {len(node.value)}")
                return None
            found = [self.activation(item) for item in node.value]
            if None in found:
                return None
            if len(set(found)) > 1 and any(a.name == "softmax" for a in found):
                self.f.error(node, "expected softmax on a whole layer, found it mixed with other activations")
                return None
            return tuple(found) if len(set(found)) > 1 else (found[0],)
        found = self.activation(node)
        return None if found is None else (found,)

    def activation(self, node: Node) -> Activation | None:
        if node.is_mapping:
            keys = self.f.keys(node, ("name", "slope", "alpha"), required=("name",)) or {}
            if "name" not in keys:
                return None
            name = self.f.choice(keys["name"], ACTIVATIONS, "activation")
            if name is None:
                return None
            allowed = ACTIVATIONS[name].attrs
            attrs = []
            for key in ("slope", "alpha"):
                if key in keys:
                    if key not in allowed:
                        self.f.error(keys[key], f"expected no '{key}' for {name}, found one", at_key=None)
                        continue
                    value = self.f.number(keys[key])
                    if value is not None:
                        attrs.append((key, value))
            return Activation(name, tuple(attrs))
        name = self.f.choice(node, ACTIVATIONS, "activation")
        return None if name is None else Activation(name)

    # -- weights and biases ----------------------------------------------------------------------
    def entries(self, node: Node, shape: tuple[int, ...], context: str, frozen: bool, seed: list[int],
                fan_in: int, fan_out: int, layer_name: str = "", key: str = "") -> Entries | None:
        """A weight matrix or bias vector in any of its forms: list, fill value, shared name, init."""
        value = node.value
        if node.is_mapping:
            if key and "shared" in value:
                return self.shared_bias(node, shape, layer_name, key, frozen)
            return self.random(node, shape, seed, fan_in, fan_out, frozen)
        if not node.is_sequence:
            if isinstance(value, str) and value in self.shared:  # a parameter's name, even pi or e
                return Entries(np.zeros(shape), shared={i: value for i in np.ndindex(shape)}, frozen=frozen)
            number = self.f.number(node, "a number, a list, a parameter name or {init: ...}")
            return None if number is None else Entries(np.full(shape, number), frozen=frozen)
        items = self.grid(node, shape, context)
        if items is None:
            return None
        values = np.zeros(shape)
        absent = np.zeros(shape, dtype=bool)
        shared: dict[tuple[int, ...], str] = {}
        ok = True
        for index, item in items:
            if item.value is None:
                absent[index] = True
                continue
            named = isinstance(item.value, str) and item.value in self.shared  # even pi or e
            number = None if named else as_number(item.value)
            if item.value == SYMBOL:  # a symbol of its own, named as the table names the entry
                label = self.label(index)
                self.symbols.append(label)
                self.shared[label] = SharedParameter(label, float(probe(len(self.symbols))), frozen)
                shared[index] = label
            elif named:
                shared[index] = item.value
            elif number is None:
                self.f.error(item, f"expected a number, null (no connection) or a parameter name, found "
                                   f"{item.describe()}", did_you_mean(item.value, self.shared)
                             if isinstance(item.value, str) else "")
                ok = False
            elif self.f.number(item) is None:
                ok = False
            else:
                values[index] = number
        if not ok:
            return None
        return Entries(values, absent if absent.any() else None, shared, frozen)

    def grid(self, node: Node, shape: tuple[int, ...], context: str) -> list[tuple[tuple[int, ...], Node]] | None:
        """The entries of a list or nested list of the expected shape, with their indices."""
        rows = node.value
        want = "×".join(map(str, shape))
        if len(shape) == 1 or (1 in shape and all(not r.is_sequence for r in rows)):
            if len(rows) != int(np.prod(shape)) or any(r.is_sequence for r in rows):
                found = f"a list of {len(rows)}" if not any(r.is_sequence for r in rows) else "a nested list"
                self.f.error(node, f"expected {want} values for {context}, found {found}")
                return None
            return [(np.unravel_index(i, shape), r) for i, r in enumerate(rows)]
        if not all(r.is_sequence for r in rows):
            self.f.error(node, f"expected a {want} matrix for {context} (a list of rows), found a flat list")
            return None
        lengths = {len(r.value) for r in rows}
        if len(rows) != shape[0] or lengths != {shape[1]}:
            found = f"{len(rows)}×{lengths.pop()}" if len(lengths) == 1 else \
                f"{len(rows)} rows of unequal length"
            self.f.error(node, f"expected a {want} matrix for {context}, found {found}")
            return None
        return [((i, j), item) for i, r in enumerate(rows) for j, item in enumerate(r.value)]

    def shared_bias(self, node: Node, shape: tuple[int, ...], layer_name: str, key: str,
                    frozen: bool) -> Entries | None:
        keys = self.f.keys(node, ("shared",), required=("shared",)) or {}
        value = self.f.number(keys["shared"]) if "shared" in keys else None
        if value is None:
            return None
        name = f"{key}_{re.sub(r'[^A-Za-z0-9_]', '_', layer_name)}"
        if name in self.shared:
            self.f.error(node, f"expected a name of its own for the shared {key} of layer '{layer_name}', found "
                               f"'{name}', which is already the name of {self.origins[name]}",
                         "rename the layer or the parameter")
            return None
        self.shared[name] = SharedParameter(name, value, frozen)
        self.origins[name] = f"the shared {key} of layer '{layer_name}' (line {node.line})"
        return Entries(np.zeros(shape), shared={i: name for i in np.ndindex(shape)})

    def random(self, node: Node, shape: tuple[int, ...], seed: list[int], fan_in: int, fan_out: int,
               frozen: bool) -> Entries | None:
        f = self.f
        keys = f.keys(node, ("init", "mean", "std", "low", "high", "seed"), required=("init",))
        if not keys or "init" not in keys:
            return None
        init = f.choice(keys["init"], INITS, "init")
        numbers = {k: f.number(keys[k], minimum=0.0 if k == "std" else None)
                   for k in ("mean", "std", "low", "high") if k in keys}
        if "seed" in keys:
            own = f.integer(keys["seed"], "a seed", 0)
            seed = seed if own is None else [own]
        if init is None or None in numbers.values():
            return None
        low, high = numbers.get("low", -1.0), numbers.get("high", 1.0)
        if init == "uniform" and not 0.0 <= high - low < np.inf:
            f.error(keys.get("high", keys.get("low")), f"expected low <= high (both within float range), "
                                                       f"found low {low:g}, high {high:g}")
            return None
        rng = np.random.default_rng(seed)
        if init == "normal":
            values = rng.normal(numbers.get("mean", 0.0), numbers.get("std", 1.0), shape)
        elif init == "uniform":
            values = rng.uniform(low, high, shape)
        else:
            scale = 2.0 / (fan_in + fan_out) if init.startswith("xavier") else 2.0 / fan_in
            if init.endswith("normal"):
                values = rng.normal(0.0, np.sqrt(scale), shape)
            else:
                limit = np.sqrt(3.0 * scale)
                values = rng.uniform(-limit, limit, shape)
        return Entries(values, frozen=frozen)

    # -- data, loss, training --------------------------------------------------------------------
    def data(self, node: Node | None, width: int, samples_are: str, what: str) -> np.ndarray | None:
        """Input or target values as a (samples, width) array whatever the file's layout."""
        if node is None:
            return None
        value = node.value
        if not isinstance(value, list):
            number = self.f.number(node) if width == 1 else None
            if width != 1:
                self.f.error(node, f"expected a list of {width} values, found {node.describe()}")
            return None if number is None else np.array([[number]])
        nested = any(item.is_sequence for item in value)
        if not nested:
            if len(value) != width:
                self.f.error(node, f"expected {width} values (one per {'input' if what == 'input' else 'output'}"
                                   f" unit), found {len(value)}")
                self.check_numbers(node)
                return None
            rows = [value]
        else:
            if not all(item.is_sequence for item in value) or len({len(i.value) for i in value}) != 1:
                self.f.error(node, "expected a matrix (a list of equal-length lists), found a ragged list")
                return None
            rows = [item.value for item in value]
            lead = len(rows[0]) if samples_are == "rows" else len(rows)
            if lead != width:
                layout = "row" if samples_are == "rows" else "column"
                self.f.error(node, f"expected {width} values in each {layout} (one sample per {layout}, "
                                   f"samples_are: {samples_are}), found {lead}")
                self.check_numbers(node)
                return None
        if not rows[0]:
            self.f.error(node, "expected at least one sample, found none")
            return None
        marked = {}  # (row, column) of the file -> the symbol written there
        for r, row in enumerate(rows):
            for c, item in enumerate(row):
                if item.value == SYMBOL:
                    marked[r, c] = None
        numbers = [[float(probe(len(self.symbols) + 1 + r * len(row) + c)) if (r, c) in marked else self.f.number(item)
                    for c, item in enumerate(row)] for r, row in enumerate(rows)]
        if any(n is None for row in numbers for n in row):
            return None
        array = np.array(numbers, dtype=float)
        columns = nested and samples_are == "columns"
        if marked:
            symbol = self.notation.input if what == "input" else "y"
            single = len(rows) == 1 if not columns else len(rows[0]) == 1
            for r, c in marked:
                sample, unit = (c, r) if columns else (r, c)
                name = f"{symbol}_{unit + 1}" if single else f"{symbol}_{sample + 1},{unit + 1}"
                self.symbols.append(name)
                self.data_symbols.setdefault(what, {})[sample, unit] = name
        return array.T.copy() if columns else array

    def check_numbers(self, node: Node) -> None:
        """Check every value of a number, list or matrix whose expected shape is unknown or wrong."""
        for item in node.value if node.is_sequence else [node]:
            for leaf in item.value if item.is_sequence else [item]:
                self.f.number(leaf)



def _index(position: tuple[int, ...], offsets: tuple[int, ...]) -> str:
    """Matrix indices as the tables write them: from 1 (0 for a folded bias), commas past 9."""
    indices = [str(p + o) for p, o in zip(position, offsets)]
    return ("," if any(len(i) > 1 for i in indices) else "").join(indices)


def _symbols_renamed(problem: Problem) -> None:
    """Symbols take the sheet's own names (``names: {w5: w^(2)_11}``), so that answers can write them."""
    renamed = {}
    for alias, address in problem.names.items():
        if address.after:
            continue
        old = None
        if address.kind == "shared":
            old = address.name
        elif address.kind in ("input", "target") and address.index is not None:
            marked = problem.data_symbols.get(address.kind, {})
            position = address.index if len(address.index) == 2 else (0, address.index[0])
            if problem.samples_are == "columns" and len(address.index) == 2:
                position = position[::-1]
            old = marked.get(position)
        if old in problem.symbols:
            renamed[old] = alias
    if not renamed:
        return
    for spec in problem.network.layers:
        for entries in (spec.weights, spec.bias):
            if entries is not None:
                entries.shared.update({k: renamed.get(v, v) for k, v in entries.shared.items()})
    for marked in problem.data_symbols.values():
        marked.update({k: renamed.get(v, v) for k, v in marked.items()})
    problem.shared = tuple(p._replace(name=renamed.get(p.name, p.name)) for p in problem.shared)
    problem.symbols = tuple(renamed.get(name, name) for name in problem.symbols)
    problem.__dict__.pop("shared_index", None)  # worked out again with the new names
