"""A problem worked in formulas, as tables (text, terminal, pages) and as JSON."""

from __future__ import annotations

import json

import numpy as np

from .report import Report, Table


def formula(value) -> str:
    """A formula simplified, as plain text (SymPy's spelling: ``**`` for powers); a vector as a list."""
    from ..engine.symbolic import simplified
    if isinstance(value, str):  # already words, such as an interval or "none"
        return value
    array = np.asarray(value, dtype=object)
    if array.ndim == 0:
        return str(simplified(array.item()))
    return "[" + ", ".join(formula(item) for item in array) + "]"


def latex(value) -> str:
    import sympy

    from ..engine.symbolic import simplified
    array = np.vectorize(simplified, otypes=[object])(np.asarray(value, dtype=object))
    if array.ndim == 0:
        return sympy.latex(array.item())
    return sympy.latex(sympy.Matrix(array.reshape(len(array), -1)) if array.ndim == 1 else sympy.Matrix(array))


def mathml(value) -> str:
    """A formula (a vector as a column) as a MathML ``<math>`` element."""
    import sympy
    from sympy.printing.mathml import mathml as spell

    from ..engine.symbolic import simplified
    array = np.vectorize(simplified, otypes=[object])(np.asarray(value, dtype=object))
    shown = array.item() if array.ndim == 0 else sympy.Matrix(array.reshape(len(array), -1) if array.ndim == 1
                                                              else array)
    return f"<math>{spell(shown, printer='presentation')}</math>"


SPELLINGS = {"text": (formula, False), "markdown": (lambda v: f"${latex(v)}$", True), "html": (mathml, True)}


def build(result, precision: int = 6, page: str = "text") -> Report:
    """The inputs and parameters, then each node: its formula in the file, its value and its gradient;
    the formulas as text, or as math for a Markdown or HTML ``page``."""
    if result.problem.kind == "layered":
        return build_layered(result, page)
    formula, markup = SPELLINGS[page]
    problem = result.problem
    n = problem.notation
    gradient = f"∂{n.loss}/∂name" if problem.loss is not None or problem.upstream is not None else \
        f"∂{problem.output}/∂name"
    leaves = [[name, "symbol" if problem.symbolic.get(name) == name else formula(result.values[name]),
               formula(result.grads[name])] for name in [*problem.inputs, *problem.params]]
    tables = [Table("inputs and parameters", ["name", "value", gradient], leaves, left=3, markup=markup)]
    nodes = [[spec.name, spec.text, formula(result.values[spec.name]), formula(result.grads[spec.name])]
             for spec in problem.nodes]
    if markup:  # the file's own formula text, made safe for the page
        from html import escape
        nodes = [[escape(name), escape(text) if page == "html" else f"`{text}`", *rest] for name, text, *rest in nodes]
        leaves[:] = [[escape(name), *rest] for name, *rest in leaves]
    tables.append(Table("nodes (in the order computed)", ["name", "formula", "value", gradient], nodes, left=4,
                        markup=markup))
    if result.loss is not None:
        tables.append(Table("loss", ["term", "value"], [[n.loss, formula(result.loss)]], left=2, markup=markup))
    if result.updated:
        rate = f"{problem.training.learning_rate:g}"
        rows = [[f"{name}'", formula(value)] for name, value in result.updated.items()]
        tables.append(Table(f"after one step (p − {rate} · {gradient.replace('name', 'p')})", ["parameter", "value"],
                            rows, left=2, markup=markup))
    lines = [f"worked in formulas: {', '.join(problem.symbols)} "
             f"{'is a symbol' if len(problem.symbols) == 1 else 'are symbols'}; numbers of the file are exact"]
    if "upstream" in problem.symbolic:
        lines.append(f"the upstream gradient {gradient.replace('name', problem.output)} = "
                     f"{SPELLINGS['text'][0](_upstream(problem))}")
    return Report(problem.title or problem.source, lines, tables)


def _upstream(problem):
    import sympy
    named = problem.symbolic["upstream"]
    return sympy.Symbol(named) if isinstance(named, str) else np.array([sympy.Symbol(n) for n in named], dtype=object)


def document(result) -> dict:
    """The JSON document: each quantity as its formula's text and its LaTeX."""
    def both(value) -> dict:
        return {"formula": formula(value), "latex": latex(value)}
    problem = result.problem
    if problem.kind == "layered":
        return _layered_document(result, both)
    names = [*problem.inputs, *problem.params, *(spec.name for spec in problem.nodes)]
    return {"schema": "backprop-cli/symbolic", "version": 1, "title": problem.title, "file": problem.source,
            "symbols": list(problem.symbols),
            "values": {name: both(result.values[name]) for name in names},
            "gradients": {name: both(result.grads[name]) for name in names},
            "loss": None if result.loss is None else both(result.loss),
            "updated": {name: both(value) for name, value in result.updated.items()}}


def render_json(result) -> str:
    from ..printable import json_safe
    return json_safe(json.dumps(document(result), indent=2, ensure_ascii=False)) + "\n"


def build_layered(result, page: str = "text") -> Report:
    """A layered network in formulas: each layer's units (z, a, δ), each parameter's gradient, the loss."""
    from ..read.addresses import Address
    formula, markup = SPELLINGS[page]
    problem = result.problem
    n = problem.notation
    samples = len(problem.inputs)
    tables = []
    for l, spec in enumerate(problem.network.layers, start=1):
        rows = []
        for s in range(min(samples, 4)):
            for j in range(spec.units):
                pick = (s, j) if samples > 1 else (j,)
                cells = [formula(result.lookup(Address("", kind, l, pick if problem.samples_are == "rows" or samples == 1
                                                         else pick[::-1]))) for kind in ("pre", "act", "delta")]
                rows.append(([str(s + 1)] if samples > 1 else []) + [str(j + 1), *cells])
        columns = (["n"] if samples > 1 else []) + ["j", f"{n.pre}^({l})_j", f"{n.act}^({l})_j",
                                                    f"∂{n.loss}/∂{n.pre}^({l})_j"]
        tables.append(Table(f"layer {l} ({spec.name})", columns, rows, left=len(columns), markup=markup))
    rows = [[p.name, "symbol" if p.name in problem.symbols else formula(p.value),
             formula(result.lookup(Address("", "shared_grad", name=p.name)))] for p in problem.shared]
    if rows:
        tables.append(Table("parameters", ["name", "value", f"∂{n.loss}/∂name"], rows, left=3, markup=markup))
    tables.append(Table("loss", ["term", "value"], [[n.loss, formula(result.loss)]], left=2, markup=markup))
    lines = [f"worked in formulas: {', '.join(problem.symbols)} "
             f"{'is a symbol' if len(problem.symbols) == 1 else 'are symbols'}; numbers of the file are exact"]
    return Report(problem.title or problem.source, lines, tables)


def _layered_document(result, both) -> dict:
    from ..read.addresses import Address
    problem = result.problem
    layers = [{"layer": l, "name": spec.name,
               **{key: both(result.lookup(Address("", kind, l))) for key, kind in
                  (("pre", "pre"), ("act", "act"), ("delta", "delta"))}}
              for l, spec in enumerate(problem.network.layers, start=1)]
    return {"schema": "backprop-cli/symbolic", "version": 1, "title": problem.title, "file": problem.source,
            "symbols": list(problem.symbols), "layers": layers,
            "gradients": {p.name: both(result.lookup(Address("", "shared_grad", name=p.name))) for p in problem.shared},
            "loss": both(result.loss)}
