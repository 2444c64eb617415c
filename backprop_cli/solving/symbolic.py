"""Problems with symbols: the graph recorded as usual, then worked in formulas (``engine.symbolic``).

Every node's value and every gradient is a formula in the symbols; numbers of the file stay exact (0.1
as 1/10). SymPy is imported here, and only problems with symbols come here.
"""

from __future__ import annotations

import numpy as np

from ..engine.record import Fresh, Record


class SymbolicResult(Record):
    """A problem worked in formulas: values and gradients by name, the loss, and one update."""

    symbolic = True

    problem: object
    values: dict  # name -> formula (a SymPy expression, or an object array of them for a vector)
    grads: dict  # name -> d(objective)/d(name), the same way
    loss: object = None  # the loss as a formula, when the problem has one
    updated: dict = Fresh(dict)  # parameter -> its value after one step of gradient descent
    warnings: list = Fresh(list)

    @property
    def trained(self) -> bool:
        return self.problem.training.learning_rate > 0


def _formula(array):
    """A 0-d object array as its formula, a vector or matrix as an object array of formulas (as worked:
    they are simplified where they are shown, since simplifying takes most of the time)."""
    array = np.asarray(array, dtype=object)
    return array.item() if array.ndim == 0 else array


def symbols_of(named) -> np.ndarray:
    """The symbols of a leaf: one named, or a vector of them (``[d0, d1, d2]``)."""
    import sympy
    if isinstance(named, str):
        return np.array(sympy.Symbol(named, real=True), dtype=object)
    shape = (len(named), len(named[0])) if isinstance(named[0], tuple) else (len(named),)
    flat = [n for row in named for n in row] if len(shape) == 2 else list(named)
    out = np.empty(len(flat), dtype=object)
    for k, name in enumerate(flat):
        out[k] = sympy.Symbol(name, real=True)
    return out.reshape(shape)


def solve(problem):
    """Every value and gradient of a problem with symbols, as formulas."""
    if problem.kind == "layered":
        return solve_layered(problem)
    return solve_graph(problem)


def solve_graph(problem) -> SymbolicResult:
    """Every node and gradient of a graph with symbols, as formulas."""
    import sympy

    from ..engine.graph import record
    from ..engine.symbolic import Symbolic, constant
    program = record(problem)
    names = program.names
    slots = {**names, "upstream": program.tape.slots.get(("upstream",))}
    leaves = {slots[leaf]: symbols_of(named) for leaf, named in problem.symbolic.items()}
    values, grads = Symbolic(program.tape).run(program.objective, leaves)
    named = [*problem.inputs, *problem.params, *(spec.name for spec in problem.nodes)]
    zero = lambda name: np.full(np.shape(values[names[name]]), sympy.Integer(0), dtype=object)  # noqa: E731
    result = SymbolicResult(
        problem,
        {name: _formula(values[names[name]]) for name in named},
        {name: _formula(zero(name) if grads[names[name]] is None else grads[names[name]]) for name in named},
        None if program.loss is None else _formula(values[program.objective]))
    rate = problem.training.learning_rate
    if rate:
        step = constant(rate).item()
        for name in problem.params:
            if name not in problem.frozen:
                result.updated[name] = _formula(np.asarray(values[names[name]], dtype=object)
                                                - step * np.asarray(grads[names[name]], dtype=object))
    return result


def function_properties(result, name: str) -> dict:
    """Of a node that is a function of the problem's one symbol: its maximum and minimum (None where not
    attained), where they are, its supremum and infimum, and its range as (low, high, low included,
    high included). Found from the critical points and the limits at ±∞."""
    import sympy
    (symbol_name,) = result.problem.symbols
    z = sympy.Symbol(symbol_name, real=True)
    f = sympy.sympify(result.values[name])
    critical = sympy.solveset(sympy.Eq(sympy.diff(f, z), 0), z, domain=sympy.S.Reals)
    points = sorted(critical, key=float) if critical.is_FiniteSet else []
    at = {point: sympy.simplify(f.subs(z, point)) for point in points}
    ends = [sympy.limit(f, z, sympy.oo), sympy.limit(f, z, -sympy.oo)]
    values = [*at.values(), *ends]
    high, low = max(values, key=_order), min(values, key=_order)
    reached = lambda v: [p for p, w in at.items() if sympy.simplify(w - v) == 0]  # noqa: E731
    return {"max": high if reached(high) else None, "min": low if reached(low) else None,
            "argmax": reached(high)[0] if len(reached(high)) == 1 else None,
            "argmin": reached(low)[0] if len(reached(low)) == 1 else None,
            "sup": high, "inf": low, "range": (low, high, bool(reached(low)), bool(reached(high))),
            "symbol": z}


def _order(value) -> float:
    import sympy
    return float("inf") if value == sympy.oo else float("-inf") if value == -sympy.oo else float(value)


class LayeredSymbolicResult(Record):
    """A layered network with symbols among its parameters, worked in formulas: every slot's value and
    gradient as object arrays of formulas (samples as rows, as the engine keeps them)."""

    symbolic = True

    problem: object
    program: object
    values: list
    grads: list
    warnings: list = Fresh(list)

    @property
    def trained(self) -> bool:
        return False

    @property
    def loss(self):
        return np.asarray(self.values[self.program.objective], dtype=object).item()

    def slot(self, label) -> np.ndarray:
        return np.asarray(self.values[self.program.tape.slots[label]], dtype=object)

    def gradient(self, slot: int) -> np.ndarray:
        import sympy
        found = self.grads[slot]
        return np.full(np.shape(self.values[slot]), sympy.Integer(0), dtype=object) if found is None \
            else np.asarray(found, dtype=object)

    def lookup(self, address):
        """The formula (or array of them) an address names, in the file's layout."""
        problem, kind, l = self.problem, address.kind, address.layer
        tape = self.program.tape
        if kind == "loss":
            return self.loss
        if kind.startswith("shared"):
            i = problem.shared_index[address.name]
            source = self.slot(("shared",)) if kind == "shared" else self.gradient(tape.slots[("shared",)])
            return source[i]
        if kind in ("weights", "bias"):
            values = self.values[tape.slots[("weights" if kind == "weights" else "bias", l)]] \
                if ("bias", l) in tape.slots or kind == "weights" else None
            values = np.asarray(values, dtype=object)
        elif kind in ("weights_grad", "bias_grad"):
            layer = self.program.layers[l - 1]
            own, used = (layer.weights, layer.weights_used) if kind == "weights_grad" else (layer.bias, layer.bias_used)
            values = self.gradient(own).copy()
            entries = problem.network.layers[l - 1].weights if kind == "weights_grad" else problem.network.layers[l - 1].bias
            for position in entries.shared:  # a shared entry: the gradient through that one use
                values[position] = self.gradient(used)[position]
        else:
            rows = {"pre": lambda: self.slot(("pre", l)), "act": lambda: self.slot(("act", l)),
                    "delta": lambda: self.gradient(tape.slots[("pre", l)]),
                    "grad_act": lambda: self.gradient(tape.slots[("act", l)])}.get(kind)
            if rows is None:
                from ..read.addresses import AddressError
                raise AddressError(f"expected a quantity worked in formulas (z, a, δ, dL/da, gradients, the loss), "
                                   f"found '{address.text}'")
            rows = rows()
            values = rows[0] if len(rows) == 1 else rows if problem.samples_are == "rows" else rows.T
            if address.negated:
                values = -values
        values = np.asarray(values, dtype=object)
        return values.item() if address.index is None and values.ndim == 0 else \
            values if address.index is None else values[address.index]


def solve_layered(problem) -> LayeredSymbolicResult:
    """A layered network whose symbols are shared parameters, worked in formulas."""
    import sympy

    from ..engine.network import record
    from ..engine.symbolic import Symbolic, constant
    program = record(problem)
    shared = constant(program.tape.values[program.shared])
    for i, parameter in enumerate(problem.shared):
        if parameter.name in problem.symbols:
            shared[i] = sympy.Symbol(parameter.name, real=True)
    leaves = {program.shared: shared}
    for what, label in (("input", ("act", 0)), ("target", ("target",))):
        marked = problem.data_symbols.get(what)
        if marked:
            slot = program.tape.slots[label]
            data = constant(program.tape.values[slot])
            for position, name in marked.items():
                data[position] = sympy.Symbol(name, real=True)
            leaves[slot] = data
    values, grads = Symbolic(program.tape).run(program.objective, leaves)
    return LayeredSymbolicResult(problem, program, values, grads)
