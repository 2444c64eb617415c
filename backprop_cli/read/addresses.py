"""Addresses of the quantities a result holds, written in the notation of the tables.

Examples (standard notation): ``z^(1)`` (a whole vector), ``a^(2)_1`` (one element), ``δ^(hidden)_2``
(a layer by name), ``w^(1)_21`` (row 2, column 1 of the file's matrix), ``dL/dw^(2)_11`` (a gradient),
``w^(1)_21'`` (after the update), ``L`` (the loss), ``B``, ``dL/dB``, ``B'`` (a shared parameter),
``ŷ`` or ``y_hat`` (the output), ``x^(0)`` (the input), ``σ'(z^(2)_1)`` or ``g'(z^(2))`` (the activation's
derivative at z), ``(W a)^(2)_1`` or ``Wa^(2)_1`` (z without the bias), ``e_1`` or ``residual_1`` (t − ŷ),
``y_1`` or ``t_1`` (the target). With several samples, per-sample quantities are
matrices in the file's layout (``samples_are``), so ``a^(1)_{2,1}`` is sample 2, unit 1 when samples
are rows. Indices are 1-based; a folded bias row or column is 0.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from ..engine.model import GraphProblem, Problem

# Order in which a hand calculation meets each kind: forward, loss, backward, gradients, updates.
ORDER = {"input": 0, "weights": 0, "bias": 0, "shared": 0, "target": 0, "pre": 1, "act": 1, "weighted": 1,
         "g_prime": 1, "node": 1, "residual": 2, "loss": 2, "property": 2,
         "grad_act": 3, "delta": 3, "node_grad": 3, "weights_grad": 4, "bias_grad": 4, "shared_grad": 4,
         "input_grad": 4, "weights_updated": 5, "bias_updated": 5, "shared_updated": 5,
         "weights_state": 6, "bias_state": 6, "shared_state": 6}

_PATTERN = re.compile(
    r"(?:(?:d|∂)(?P<loss>[^/\s]+)\s*/\s*(?:d|∂))?"
    r"(?P<symbol>[^\^_'+\s]+)"
    r"(?:\^\((?P<layer>[^)]+)\)|\^(?P<digit>\d))?"
    r"(?:_(?P<index>\{[^}]*\}|[0-9,]+))?"
    r"(?P<updated>['+])?")


class AddressError(ValueError):
    """An address that names nothing in this problem; the message says what was expected."""

    def __init__(self, message: str, hint: str = ""):
        super().__init__(message)
        self.hint = hint


class Address(NamedTuple):
    """A resolved address: which quantity, of which layer (1-based, 0 = input), which element."""

    text: str
    kind: str
    layer: int = 0
    index: tuple[int, ...] | None = None  # 0-based position in the array the kind yields
    name: str = ""  # shared parameter, or a graph's input, parameter or node
    shape: tuple[int, ...] = ()  # of the whole array the kind yields
    state: str = ""  # for kinds ending in _state: what the optimizer keeps (m, v, m_hat, v_hat, s)
    step: int = 1  # for kinds ending in _state: after which training step
    after: int = 0  # the quantity worked out at the parameters after this many updates (E', L@100)
    negated: bool = False  # δ written for −∂L/∂z, the sheet's convention (conventions: {delta: -dL/dz})

    @property
    def stage(self) -> tuple[int, int, int, int]:
        """Sort key: the order a hand calculation computes it (backward quantities output first), the
        quantities after updates after those of the first step."""
        backward = self.kind in ("grad_act", "delta", "node_grad")
        within = {"act": 1, "g_prime": 2, "delta": 1}.get(self.kind, 0)  # z, a, g'(z); dL/da before delta
        return (self.after, ORDER[self.kind], -self.layer if backward else self.layer, within)


def symbols(problem: Problem) -> dict[str, str]:
    """Symbol -> quantity, the file's notation first, then the usual names where they are free."""
    n = problem.notation
    table = {n.pre: "pre", n.act: "act", n.delta: "delta", n.weight: "weights", n.weight.upper(): "weights",
             n.bias: "bias", n.threshold: "bias", "delta": "delta"}
    for symbol, kind in (("z", "pre"), ("a", "act"), ("δ", "delta"), ("w", "weights"), ("W", "weights"),
                         ("b", "bias"), ("θ", "bias"), ("theta", "bias")):
        table.setdefault(symbol, kind)
    return table


_INDEX = re.compile(r"_(?P<index>\{[^}]*\}|[0-9,]+)|\[(?P<bracket>[0-9, ]+)\]")
_WHOLE = re.compile(r"(?:(?:d|∂)(?P<loss>[^/\s]+)\s*/\s*(?:d|∂))?(?P<body>.*?)(?P<updated>['+])?")


MAX_ADDRESS = 200  # characters


def _one_line(text: str) -> str:
    """The address without surrounding blanks; refused when it could not be one written on a sheet."""
    text = text.strip()
    if len(text) > MAX_ADDRESS:
        raise AddressError(f"expected an address of at most {MAX_ADDRESS} characters, found {len(text):,}")
    if any(not c.isprintable() for c in text):
        raise AddressError("expected an address on one line of printable characters, found a control character")
    return text


def _split_index(body: str, names) -> tuple[str, str | None]:
    """A name and the index after it: the longest known name that the rest of ``body`` indexes
    (``x_3``, ``x_{2,1}``, ``x[0]``), or ``body`` itself. Linear in the length of ``body``."""
    if body in names:
        return body, None
    for cut in sorted((i for i, c in enumerate(body) if c in "_["), reverse=True):
        if body[:cut] in names:
            rest = _INDEX.fullmatch(body[cut:])
            if rest and rest["index"]:
                return body[:cut], rest["index"]
            if rest:
                parts = [p.strip() for p in rest["bracket"].split(",")]
                if all(p.isascii() and p.isdigit() for p in parts):
                    return body[:cut], "{" + ",".join(str(int(p) + 1) for p in parts) + "}"
    return body, None


_STATE = re.compile(r"(?P<state>[A-Za-z_]+|m̂|v̂)\[(?P<inner>.*[^0-9, ].*)\](?:@(?P<step>[0-9]+))?")
_STATE_NAMES = {"m̂": "m_hat", "v̂": "v_hat"}


def _state(text: str, problem, resolve) -> Address | None:
    """What the optimizer keeps for a parameter, after a step: ``m[w^(2)_11]``, ``v_hat[w^(1)]@3``
    (None when the text is not written that way)."""
    match = _STATE.fullmatch(text)
    if match is None:
        return None
    optimizer = problem.training.optimizer
    state = _STATE_NAMES.get(match["state"], match["state"])
    if state not in optimizer.state_names:
        kept = ", ".join(optimizer.state_names) or "nothing (plain gradient descent)"
        raise AddressError(f"expected what the optimizer keeps ({kept}) before [...], found '{match['state']}'")
    inner = resolve(match["inner"].strip(), problem)
    if inner.kind not in ("weights", "bias", "shared"):
        raise AddressError(f"expected a parameter inside {state}[...], such as w^(1)_21, found '{match['inner']}'")
    step = int(match["step"] or 1)
    if not 1 <= step <= problem.training.steps:
        raise AddressError(f"expected a step from 1 to {problem.training.steps} after @, found {step}")
    return inner._replace(text=text, kind=inner.kind + "_state", state=state, step=step)


_AFTER = re.compile(r"(?P<body>.+?)(?:@(?P<step>[0-9]+)|(?P<once>'))")


def _after(text: str, problem, resolve) -> Address | None:
    """A quantity at the parameters after updates: ``E'``, ``a^(1)_2'`` (after one), ``L@10000``,
    ``w^(2)_11@3`` (after that many; ``@0`` before any). None for text written otherwise, and for a
    parameter's own ``'`` (its updated value, read as before)."""
    match = _AFTER.fullmatch(text)
    if match is None:
        return None
    try:
        address = resolve(match["body"], problem)
    except AddressError:
        return None
    if match["once"] and address.kind in ("weights", "bias", "shared"):
        return None  # w' is the updated parameter
    if address.kind.endswith(("_updated", "_state")) or address.after:
        raise AddressError(f"expected one step mark, after a value of the first step, found '{text}'")
    steps = problem.training.steps if problem.training.learning_rate else 0
    after = 1 if match["once"] else int(match["step"])
    if after > steps:
        raise AddressError(f"expected a step from 0 to {steps} (the updates the file makes), found {after}"
                           if steps else "values after an update need a learning rate: the file has no train: section")
    return address._replace(text=text, after=after)


def resolve_graph(text: str, problem: GraphProblem) -> Address:
    """An address in a computation graph: a node, input or parameter by name (``b2``, ``x_3``,
    ``dL/dx_1``, ``w'``), or the loss. ``x_1`` counts from 1 like a sheet, ``x[0]`` from 0 like a formula;
    ``'`` or ``@k`` after it, at the parameters after one or k updates."""
    text = _one_line(text)
    asked = _PROPERTY.fullmatch(text)
    if asked is not None:
        return _property(text, asked["property"], asked["name"], problem)
    state = _state(text, problem, resolve_graph)
    if state is not None:
        return _trained(state, problem)
    after = _after(text, problem, resolve_graph)
    if after is not None:
        return after
    nodes = problem.node_index
    whole = _WHOLE.fullmatch(_one_line(text))
    loss, body, updated = whole["loss"], whole["body"], bool(whole["updated"])
    name, index = _split_index(body, _GraphNames(problem))
    n = problem.notation
    if loss is not None and loss not in (n.loss, "L"):
        raise AddressError(f"expected a gradient written d{n.loss}/d..., found '{text}'")
    if name in (n.loss, "L", "loss") and not (loss or updated or index):
        return Address(text, "loss")
    if name in nodes:
        kind, (position, shape) = "node", nodes[name]
    elif name in problem.inputs:
        kind, position, shape = "input", 0, problem.inputs[name].shape
    elif name in problem.params:
        kind, position, shape = "shared", 0, problem.params[name].shape
    else:
        from ..errors import did_you_mean
        names = [*nodes, *problem.inputs, *problem.params]
        raise AddressError(f"expected a node, input or parameter name, found '{name}'", did_you_mean(name, names))
    if updated and kind != "shared":
        raise AddressError(f"expected a value, found '{text}' (only parameters are updated)")
    kind += "_grad" if loss else "_updated" if updated else ""
    position_index = _index(index, shape, kind, problem, text) if index else None
    return _trained(Address(text, kind, position, position_index, name, shape), problem)


PROPERTIES = ("max", "min", "argmax", "argmin", "sup", "inf", "range")
_PROPERTY = re.compile(r"(?P<property>[a-z]+)\s+(?P<name>[A-Za-z_][A-Za-z0-9_]*)")


def _property(text: str, asked: str, name: str, problem: GraphProblem) -> Address:
    """``max g``, ``argmax g``, ``range g``: a property of a node that is a function of one symbol."""
    from ..errors import did_you_mean
    if asked not in PROPERTIES:
        raise AddressError(f"expected a property ({', '.join(PROPERTIES)}) before '{name}', found '{asked}'",
                           did_you_mean(asked, PROPERTIES))
    if name not in problem.node_index:
        raise AddressError(f"expected a node name after '{asked}', found '{name}'", did_you_mean(name, problem.node_index))
    if len(getattr(problem, "symbols", ())) != 1:
        raise AddressError(f"expected a graph with one symbol for '{text}' (its {asked} over that symbol), found "
                           f"{len(getattr(problem, 'symbols', ()))}")
    return Address(text, "property", name=name, state=asked)


def _trained(address: Address, problem) -> Address:
    """The address, refused when it names an updated value and nothing is updated."""
    if address.kind.endswith(("_updated", "_state")) and not problem.training.learning_rate:
        raise AddressError("updated values need a learning rate: the file has no train: section")
    return address


class _GraphNames:
    """Membership in a graph's names (nodes, inputs, parameters) without building a set."""

    def __init__(self, problem: GraphProblem):
        self.problem = problem

    def __contains__(self, name: str) -> bool:
        p = self.problem
        return name in p.node_index or name in p.inputs or name in p.params


def resolve_layered(text: str, problem: Problem) -> Address:
    """Resolve an address against a layered problem, or raise AddressError saying what was expected."""
    written = _one_line(text)
    text = _renamed(written, problem)
    state = _state(text, problem, _layered)
    if state is not None:
        return _trained(state, problem)._replace(text=written)
    after = _after(text, problem, resolve_layered)
    return (after if after is not None else _trained(_layered(text, problem), problem))._replace(text=written)


_NAMED = re.compile(r"(?P<before>(?:d|∂)[^/\s]+\s*/\s*(?:d|∂))?(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<after>['+]|@[0-9]+)?")


def _renamed(text: str, problem) -> str:
    """The address with a sheet's own name (``names:``) written out: ``dE/dw5`` -> ``dE/dw^(2)_11``."""
    if not problem.names:
        return text
    match = _NAMED.fullmatch(text)
    if match is None or match["name"] not in problem.names:
        return text
    return (match["before"] or "") + problem.names[match["name"]].text + (match["after"] or "")


def _layered(text: str, problem: Problem) -> Address:
    text = _renamed(_one_line(text), problem)
    slope = _SLOPE.fullmatch(text)
    if slope is not None:
        return _slope(text, slope["function"], slope["inner"], problem)
    whole = _WHOLE.fullmatch(text)
    if whole and whole["body"] in problem.shared_index:  # names such as bias_hidden
        text_loss, updated_mark = whole["loss"], bool(whole["updated"])
        if text_loss is not None and text_loss not in (problem.notation.loss, "L"):
            raise AddressError(f"expected a gradient written d{problem.notation.loss}/d..., found '{text}'")
        kind = "shared_grad" if text_loss else "shared_updated" if updated_mark else "shared"
        return Address(text, kind, name=whole["body"], shape=())
    product = _PRODUCT.sub(lambda m: m[0].replace(" ", "").replace("^T", "ᵀ"), text)  # (W^T a) -> (Wᵀa)
    match = _PATTERN.fullmatch(product.replace("y_hat", "ŷ"))
    if not match:
        raise AddressError("expected an address such as z^(1)_2, dL/dw^(2)_11, w^(1)_21' or L, "
                           f"found '{text}'")
    loss, symbol, index, updated = match["loss"], match["symbol"], match["index"], bool(match["updated"])
    layer_text = match["layer"] or match["digit"]
    n = problem.notation
    if loss is not None and loss not in (n.loss, "L"):
        raise AddressError(f"expected a gradient written d{n.loss}/d..., found '{text}'")
    if loss is not None and updated:
        raise AddressError(f"expected either a gradient or an updated value, found both in '{text}'")
    if symbol in (n.loss, "L", "loss") and layer_text is None and index is None:
        if loss is not None or updated:
            raise AddressError(f"expected the loss as '{n.loss}', found '{text}'")
        return Address(text, "loss")
    if symbol in ("ŷ", "yhat") and layer_text is None:
        symbol, layer_text = n.act, str(len(problem.network.layers))
    if symbol == n.input and layer_text in (None, "0") and symbol not in (n.pre, n.act):
        symbol, layer_text = n.act, "0"
    shared = problem.shared_index
    if layer_text is None and symbol in shared:
        kind = "shared_grad" if loss else "shared_updated" if updated else "shared"
        if index is not None:
            raise AddressError(f"expected no index on the shared parameter '{symbol}', found '{text}'")
        return Address(text, kind, name=symbol)
    output = _output_kind(symbol, problem) if layer_text is None else None
    if output is not None:
        if loss is not None or updated:
            raise AddressError(f"expected a value, found '{text}' (the {output} has no gradient and no update)")
        layer = len(problem.network.layers)
        shape = layered_shape(output, layer, problem)
        return Address(text, output, layer, _index(index, shape, output, problem, text) if index else None,
                       shape=shape)
    table = symbols(problem)
    base = table.get(symbol) or ("weighted" if _weighted(symbol, problem) else None)
    if base is None:
        from ..errors import did_you_mean
        raise AddressError(f"expected a quantity ({', '.join(dict.fromkeys(table))}), the loss {n.loss} or a "
                           f"shared parameter, found '{symbol}'", did_you_mean(symbol, [*table, *shared, n.loss]))
    if layer_text is None:
        raise AddressError(f"expected a layer, as in {symbol}^(1) or {symbol}^(name), found '{text}'")
    layer = _layer(layer_text, problem, base)
    kind = _kind(base, loss is not None, updated, layer, text)
    shape = layered_shape(kind, layer, problem)
    negated = base == "delta" and n.delta_sign < 0  # δ itself, not dL/dz
    return Address(text, kind, layer, _index(index, shape, kind, problem, text) if index else None, shape=shape,
                   negated=negated)


_SLOPE = re.compile(r"(?P<function>[^\s'()/^]+)'\((?P<inner>.+)\)")
_GENERIC = ("g", "f", "h", "θ")  # the activation written without its name, as in g'(z)
_FUNCTIONS = {"σ": "sigmoid", "sigma": "sigmoid"}  # besides each activation's own name (tanh', relu', ...)


def _slope(text: str, function: str, inner: str, problem: Problem) -> Address:
    """``g'(z^(2)_1)``: the activation's derivative at a pre-activation (``g``, ``f``, ``h``, ``θ`` for
    any activation, ``σ``, ``tanh``, ``relu``, ... for that one)."""
    n = problem.notation
    address = _layered(inner, problem)
    if address.kind != "pre":
        raise AddressError(f"expected a pre-activation inside {function}'(...), as in {function}'({n.pre}^(1)_2), "
                           f"found '{inner}'")
    activations = unit_activations(address, problem)
    names = sorted({a.name for a in activations})
    if "softmax" in names:
        raise AddressError(f"expected an elementwise activation in '{text}', found softmax in layer {address.layer}: "
                           f"its derivative is not one factor per unit (each output depends on every "
                           f"{n.pre}); check {n.delta} or d{n.loss}/d{n.act} there instead")
    if function not in _GENERIC and [_FUNCTIONS.get(function, function)] != names:
        which = "g'" if len(names) > 1 else f"g' or {names[0]}'"
        raise AddressError(f"expected {which} for layer {address.layer} ({', '.join(names)}), found {function}'")
    return address._replace(text=text, kind="g_prime")


def unit_activations(address: Address, problem: Problem) -> tuple:
    """The activations an address of a layer's units covers: the layer's, or the one unit's."""
    activations = problem.network.layers[address.layer - 1].activations
    if address.index is None or len(activations) == 1:
        return activations
    rows = len(address.shape) == 1 or problem.samples_are == "rows"
    return (activations[address.index[-1] if rows else address.index[0]],)


_PRODUCT = re.compile(r"\([^()]*\)(?=\^)")  # a product in parentheses before its layer: (W a)^(2)


def _weighted(symbol: str, problem: Problem) -> bool:
    """Whether the symbol is the weighted sum without the bias: ``(W a)``, ``Wa``, ``(Wᵀ x)``, ... in
    the file's symbols or the usual ones."""
    n = problem.notation
    body = symbol[1:-1] if symbol.startswith("(") and symbol.endswith(")") else symbol
    weights, inputs = {n.weight, n.weight.upper(), "w", "W"}, {n.act, n.input, "a", "x"}
    return any(body.startswith(w) and body[len(w):].removeprefix("ᵀ") in inputs for w in weights)


def _output_kind(symbol: str, problem: Problem) -> str | None:
    """``residual`` (t − ŷ) or ``target`` for their symbols where the notation does not use them
    otherwise; None for other symbols."""
    n = problem.notation
    taken = {*symbols(problem), n.loss, "L", n.input}
    if symbol == "residual" or (symbol == n.residual and symbol not in taken):
        return "residual"
    if symbol == n.residual == n.loss:
        raise AddressError(f"expected the residual t − ŷ as residual_1 (or residual): {symbol} is the loss in this "
                           f"notation (notation: {{residual: r}} gives the residual a symbol)")
    if symbol in ("target", n.target, "y", "t") and symbol not in taken:
        return "target"
    return None


def _layer(text: str, problem: Problem, base: str) -> int:
    layers = problem.network.layers
    names = {layer.name: i + 1 for i, layer in enumerate(layers)}
    if text.isascii() and text.isdigit():
        layer = int(text)
        lowest = 0 if base == "act" else 1
        if not lowest <= layer <= len(layers):
            raise AddressError(f"expected a layer from {lowest} to {len(layers)}, found {layer}")
        return layer
    if text in names:
        return names[text]
    from ..errors import did_you_mean
    raise AddressError(f"expected a layer number or name ({', '.join(names)}), found '{text}'",
                       did_you_mean(text, names))


def _kind(base: str, gradient: bool, updated: bool, layer: int, text: str) -> str:
    if base == "act" and layer == 0:
        if gradient or updated:
            raise AddressError(f"expected no gradient or update of the input, found '{text}'")
        return "input"
    if base == "weighted" and gradient:
        raise AddressError(f"expected a value, found '{text}' (its gradient is the delta's: z = W a + b)")
    if base in ("pre", "act", "delta", "weighted"):
        if updated or (gradient and base == "delta"):
            raise AddressError(f"expected a value, found '{text}' (only parameters are updated)")
        return {"pre": "delta", "act": "grad_act"}[base] if gradient else base
    return base + ("_grad" if gradient else "_updated" if updated else "")


def layered_shape(kind: str, layer: int, problem: Problem) -> tuple[int, ...]:
    """Shape of the array an address of this kind yields (per-sample kinds in the file's layout)."""
    network = problem.network
    if kind in ("loss",) or kind.startswith("shared"):
        return ()
    if kind.startswith("weights"):
        return network.layers[layer - 1].weights.values.shape
    if kind.startswith("bias"):
        spec = network.layers[layer - 1].bias
        if spec is None:
            raise AddressError(f"expected a layer with a bias, found none in layer {layer}")
        return spec.values.shape
    units = network.inputs if kind == "input" else network.layers[layer - 1].units
    samples = len(problem.training.batch(len(problem.inputs), 1))  # the first step's samples
    if samples == 1:
        return (units,)
    return (samples, units) if problem.samples_are == "rows" else (units, samples)


def _index(text: str, shape: tuple[int, ...], kind: str, problem: Problem, address: str) -> tuple[int, ...]:
    body = text.strip("{}")
    if "," in body:
        parts = [p.strip() for p in body.split(",")]
    elif len(shape) == 2 and len(body) == 2:
        parts = list(body)
    else:
        parts = [body]
    if len(parts) != len(shape) or not all(p.isascii() and p.isdigit() for p in parts):
        dims = "one index" if len(shape) == 1 else f"{len(shape)} indices, e.g. _21 or _{{12,3}}"
        raise AddressError(f"expected {dims} for '{address}', found '_{text}'")
    offsets = _offsets(kind, problem)
    position = tuple(int(p) - o for p, o in zip(parts, offsets))
    if not all(0 <= p < n for p, n in zip(position, shape)):
        low = ", ".join(str(o) for o in offsets)
        high = ", ".join(str(n - 1 + o) for n, o in zip(shape, offsets))
        raise AddressError(f"expected indices from ({low}) to ({high}) for '{address}', found '_{text}'")
    return position


def _offsets(kind: str, problem: Problem) -> tuple[int, ...]:
    """What the first row and column are called: 1, or 0 for a folded bias row or column."""
    network = getattr(problem, "network", None)
    if network is not None and kind.startswith("weights") and network.folded_bias:
        return (0, 1) if network.orientation == "in_out" else (1, 0)
    return (1, 1)
