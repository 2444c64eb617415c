"""Answers written as formulas, judged by equivalence with the formula the problem works out to.

Simplification decides first (the difference, written with exponentials, simplifies to 0); where it
cannot, the two are compared at random points, and the verdict says which decided. A wrong formula is
named a mistake only when that mistake, applied to the correct formula, gives the written one at every
point: the sign flipped, a constant factor, one term of the sum left out or one added.
"""

from __future__ import annotations

import numpy as np

from .judged import FileCheck, Verdict

POINTS = 12  # random points compared when simplification does not settle it
SIMPLIFIED = 150  # operations, at most, in a difference given to SymPy's full (slow) simplification


def _zero(difference) -> bool:
    """Whether a difference is 0 as a rational function of its exponentials (quick, and enough for the
    sigmoids and tanh of homework; ``simplify`` is tried only where the points agree)."""
    import sympy
    return sympy.cancel(sympy.together(sympy.sympify(difference).rewrite(sympy.exp))) == 0


def _sheet_functions() -> dict:
    """The formulas of the functions a sheet may call beyond the ops (``read.sheet_formulas``)."""
    import sympy

    def sigmoid(z):
        return 1 / (1 + sympy.exp(-z))
    return {"sigmoid_prime": lambda z: sigmoid(z) * (1 - sigmoid(z)), "tanh_prime": lambda z: 1 - sympy.tanh(z) ** 2,
            "relu_prime": sympy.Heaviside, "cosh": sympy.cosh, "sinh": sympy.sinh, "sech": sympy.sech,
            "sign": sympy.sign}
ENOUGH = 6  # points where both formulas are finite, at least, for a verdict by points


def _value(result, address):
    """The correct formula an address names in a result worked in formulas."""
    if result.problem.kind == "layered":
        return result.lookup(address)
    kind, name = address.kind, address.name
    if kind == "loss":
        found = result.loss
    elif kind == "shared_updated":
        found = result.updated.get(name)
    elif kind.endswith("_grad"):
        found = result.grads[name]
    else:
        found = result.values[name]
    if address.index is not None:
        found = np.asarray(found, dtype=object)[address.index]
    return found


def _points(symbols: list, count: int, seed: int = 12345) -> list[dict]:
    """Random points away from 0 (where derivatives of kinks and divisions are undefined), both signs."""
    import sympy
    generator = np.random.default_rng(seed)
    return [{s: sympy.Float(float(generator.choice([-1, 1]) * generator.uniform(0.3, 2.5))) for s in symbols}
            for _ in range(count)]


def _at(expression, point) -> float:
    import sympy
    try:
        value = complex(sympy.sympify(expression).xreplace(point).evalf())
    except (TypeError, ValueError, ZeroDivisionError):
        return float("nan")
    return value.real if abs(value.imag) < 1e-12 else float("nan")


def _agree(a: list[float], b: list[float]) -> bool:
    pairs = [(x, y) for x, y in zip(a, b) if np.isfinite(x) and np.isfinite(y)]
    return len(pairs) >= ENOUGH and all(np.isclose(x, y, rtol=1e-9, atol=1e-12) for x, y in pairs)


def _swapped(ratio) -> bool:
    """Whether a ratio of two formulas is one factor over another (``w1/x``): a factor written wrong."""
    import sympy
    mine, theirs = sympy.fraction(ratio)
    return all(part != 1 and len(sympy.Mul.make_args(part)) == 1 and sympy.count_ops(part) <= 2
               for part in (mine, theirs))


def _mistake(written: list[float], correct, points: list[dict], written_formula=None) -> tuple[str, str]:
    """(name, reason) of the mistake that turns the correct formula into the written one at every point."""
    import sympy
    right = [_at(correct, p) for p in points]
    if _agree(written, [-v for v in right]):
        return "sign", "sign flipped"
    ratios = [w / r for w, r in zip(written, right) if np.isfinite(w) and np.isfinite(r) and r != 0]
    if len(ratios) >= ENOUGH and np.allclose(ratios, ratios[0], rtol=1e-9) and not np.isclose(ratios[0], 1.0):
        factor = sympy.nsimplify(ratios[0], rational=False, tolerance=1e-9)
        return "factor", f"off by a constant factor {factor} (the formula is right otherwise)"
    ratio = None
    if written_formula is not None:
        ratio = sympy.cancel(sympy.together((sympy.sympify(written_formula) / correct).rewrite(sympy.exp)))
    if ratio is not None and ratio.free_symbols and _swapped(ratio):
        mine, theirs = sympy.fraction(ratio)
        return "factor swapped", f"where the correct formula has the factor {theirs}, yours has {mine}"
    terms = list(dict.fromkeys([*sympy.Add.make_args(correct), *sympy.Add.make_args(sympy.expand(correct))]))
    if 1 < len(terms) <= 40:
        for term in terms:
            if _agree(written, [r - _at(term, p) for r, p in zip(right, points)]):
                return "term left out", f"the term {term} left out"
            if _agree(written, [r + _at(term, p) for r, p in zip(right, points)]):
                return "term added", f"the term {term} counted twice"
    return "", "not explained by a usual mistake"


def _derivative_swapped(answer, problem, written: list[float], points: list[dict]) -> tuple[str, str]:
    from .swapped import explained
    words = explained(problem, answer.address, written, points)
    return ("derivative", words) if words else ("", "")


def judge(answer, result) -> Verdict:
    """The verdict on one formula answer."""
    import sympy

    from ..engine.symbolic import SymbolicError, constant, from_formula
    problem = result.problem
    from ..solving.symbolic import symbols_of
    names = {name: sympy.Symbol(name, real=True) for name in problem.symbols}
    if problem.kind == "graph":
        for leaf, named in problem.symbolic.items():  # a vector or matrix of symbols, by its own name too
            if not isinstance(named, str) and leaf != "upstream":
                names[leaf] = symbols_of(named)
        for name, value in {**problem.inputs, **problem.params}.items():
            if name not in names and name not in problem.symbolic:
                names[name] = constant(value).item() if np.ndim(value) == 0 else constant(value)
        for spec in problem.nodes:  # a node's name in an answer stands for its formula (s1 for σ(w1 x))
            names[spec.name] = result.values[spec.name]
    if answer.address.kind == "property":
        return _property(answer, result, names)
    correct = _value(result, answer.address)
    if getattr(answer, "formula", None) is not None:
        try:
            written = from_formula(answer.formula, names, _sheet_functions())
        except SymbolicError as exc:  # a product of matrices that do not fit: the student's formula is wrong
            return Verdict(answer, correct, "wrong", f"{exc} (the order of the factors or a transpose is wrong)")
    elif np.size(answer.written) == 1:  # a number written for a quantity worked in formulas
        written = constant(np.reshape(answer.written, ())).item()
    else:
        return Verdict(answer, correct, "wrong", "expected a formula or one number, found several numbers")
    if np.ndim(correct) != 0 or np.ndim(written) != 0:
        return _vector(answer, written, correct, names, problem)
    return _scalar(answer, written, correct, names, problem)


def _scalar(answer, written, correct, names: dict, problem) -> Verdict:
    """One formula against the correct one."""
    import sympy
    if _zero(written - correct):
        return Verdict(answer, correct, "correct", "equal: simplification shows it")
    points = _points([names[s] for s in sorted(problem.symbols)], POINTS)
    mine, right = [_at(written, p) for p in points], [_at(correct, p) for p in points]
    if _agree(mine, right):
        if sympy.count_ops(written - correct) <= SIMPLIFIED and sympy.simplify((written - correct).rewrite(sympy.exp)) == 0:
            return Verdict(answer, correct, "correct", "equal: simplification shows it")
        return Verdict(answer, correct, "correct", f"equal at {POINTS} random points (simplification did "
                                                   "not settle it)")
    mistake, reason = _mistake(mine, correct, points, written)
    if not mistake:
        mistake, reason = _derivative_swapped(answer, problem, mine, points) or (mistake, reason)
        reason = reason or "not explained by a usual mistake"
    where = next((p for p, a, b in zip(points, mine, right)  # a point where the two differ, to see it there
                  if np.isfinite(a) and np.isfinite(b) and not np.isclose(a, b, rtol=1e-9, atol=1e-12)), points[0])
    at = ", ".join(f"{s} = {float(v):.4g}" for s, v in where.items())
    shown = f"at {at} yours gives {_at(written, where):.6g}, the correct formula {_at(correct, where):.6g}"
    return Verdict(answer, correct, "wrong", f"{reason}; {shown}", mistake=mistake)


def _vector(answer, written, correct, names: dict, problem) -> Verdict:
    """A vector of formulas, entry by entry: right when every entry is; else the first wrong entry's reason."""
    written, correct = np.asarray(written, dtype=object), np.asarray(correct, dtype=object)
    if written.ndim == 2 and written.shape == correct.T.shape and written.shape != correct.shape:
        flipped = _vector(answer, written.T, correct, names, problem)
        if flipped.passed:
            return Verdict(answer, correct, "wrong", "the transpose of the correct matrix (a product taken in the "
                                                     "other order, or transposed)", mistake="transposed")
    if written.shape != correct.shape:
        shapes = " and ".join("×".join(map(str, a.shape)) or "one formula" for a in (written, correct))
        return Verdict(answer, correct, "wrong", f"expected {shapes.split(' and ')[1]}, found {shapes.split(' and ')[0]}")
    reasons = []
    for index in np.ndindex(correct.shape):
        verdict = _scalar(answer, written[index], correct[index], names, problem)
        if not verdict.passed:
            entry = ",".join(str(i) for i in index)
            return Verdict(answer, correct, "wrong", f"entry [{entry}]: {verdict.reason}", mistake=verdict.mistake)
        reasons.append(verdict.reason)
    return Verdict(answer, correct, "correct", reasons[0] if len(set(reasons)) == 1 else "equal entry by entry")


_ASKED = {"max": "maximum", "min": "minimum", "argmax": "point of the maximum", "argmin": "point of the minimum",
          "sup": "supremum", "inf": "infimum"}


def _interval(low, high, closed_low: bool, closed_high: bool) -> str:
    return f"{'[' if closed_low else '('}{low}, {high}{']' if closed_high else ')'}"


def _property(answer, result, names: dict) -> Verdict:
    """The maximum, its point, the range, ... of a function of one symbol, against what is written."""
    import sympy

    from ..engine.symbolic import constant, from_formula
    from ..solving.symbolic import function_properties
    asked, name = answer.address.state, answer.address.name
    found = function_properties(result, name)
    names = {**names, "oo": sympy.oo, "inf": sympy.oo, "infinity": sympy.oo}
    written = answer.formula if getattr(answer, "formula", None) is not None else None
    if asked == "range":
        low, high, closed_low, closed_high = found["range"]
        shown = _interval(low, high, closed_low, closed_high)
        _, w_closed_low, w_low, w_high, w_closed_high = written
        ends = [from_formula(w_low, names), from_formula(w_high, names)]
        same = all(_same(a, b) for a, b in zip(ends, (low, high)))
        if same and (w_closed_low, w_closed_high) == (closed_low, closed_high):
            return Verdict(answer, shown, "correct", "equal")
        why = "an end included that is only approached, or the other way round" if same else "other ends"
        return Verdict(answer, shown, "wrong", f"{why}: the range is {shown}", mistake="")
    correct = found[asked]
    value = from_formula(written, names) if written is not None else constant(np.reshape(answer.written, ())).item()
    if correct is None:
        bound = "supremum" if asked in ("max", "argmax") else "infimum"
        edge = found["sup" if bound == "supremum" else "inf"]
        return Verdict(answer, "none", "wrong", f"the {_ASKED[asked]} is not attained: the {bound} {edge} is only "
                                                 f"approached as {found['symbol']} → ±∞")
    if _same(value, correct):
        where = f" at {found['symbol']} = {found['arg' + asked]}" if asked in ("max", "min") and found.get("arg" + asked) is not None else ""
        return Verdict(answer, correct, "correct", f"equal: the {_ASKED[asked]} is {correct}{where}")
    return Verdict(answer, correct, "wrong", f"the {_ASKED[asked]} is {correct}")


def _same(a, b) -> bool:
    import sympy
    if a in (sympy.oo, -sympy.oo) or b in (sympy.oo, -sympy.oo):
        return a == b
    return _zero(sympy.sympify(a) - b)


def check(problem, result) -> FileCheck:
    """Every answer of a problem worked in formulas, numbers and formulas alike judged by formula."""
    report = FileCheck(problem, result, unreadable=list(problem.unreadable))
    report.verdicts = [judge(answer, result) for answer in problem.expected]
    return report
