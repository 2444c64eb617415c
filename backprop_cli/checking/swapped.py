"""A wrong formula replayed as a derivative taken wrong: the problem's recorded computation worked again
in numbers at each random point, with the derivative of one step swapped (the function itself for its
derivative, the derivative left out, or the derivative of another activation). A mistake is named only
when that replay gives the written formula's value at every point."""

from __future__ import annotations

import numpy as np

from ..engine.ops import OPS
from ..engine.tape import Interpreter

STEPS = ("sigmoid", "tanh", "relu", "softplus", "exp", "log", "sin", "cos", "square", "sqrt")
OTHERS = {"sigmoid": ("tanh",), "tanh": ("sigmoid",)}  # the derivative of an activation mixed up with another's


def _swaps(name: str, node: str):
    """(words, VJP) of each wrong derivative of an op applied in a node."""
    yield (f"the derivative of {name} in {node} taken as {name} itself",
           lambda g, out, z, **attrs: g * out)
    yield f"the derivative of {name} in {node} left out", lambda g, out, z, **attrs: g
    for other in OTHERS.get(name, ()):
        op = OPS[other]
        yield (f"the derivative of {other} used for that of {name} in {node}",
               lambda g, out, z, op=op, **attrs: op.vjp(0)(g, op.forward(z), z))


class _Swapped(Interpreter):
    def __init__(self, tape, step: int, vjp):
        super().__init__(tape)
        self.swapped, self.vjp = tape.steps[step], vjp

    def rule(self, step, index):
        return self.vjp if step is self.swapped else step.op.vjp(index)


def explained(problem, address, written: list[float], points: list[dict]) -> str:
    """The words of the swapped derivative that reproduces the written values at every point, or ""."""
    if not address.kind.endswith("_grad"):
        return ""
    from ..engine.graph import record
    program = record(problem)
    tape, slot = program.tape, program.names.get(address.name)
    if slot is None:
        return ""
    leaves = _leaves(problem, program)
    nodes = sorted((program.names[spec.name], spec.name) for spec in problem.nodes)
    for k, step in enumerate(tape.steps):
        if step.op.name not in STEPS or not tape.trainable[step.out]:
            continue
        node = next((name for slot, name in nodes if slot >= step.out), problem.output)  # the node it is part of
        for words, vjp in _swaps(step.op.name, node):
            replayed = []
            for point in points:
                values = {leaf: np.array([float(point[s]) for s in symbols]).reshape(np.shape(tape.values[leaf]))
                          for leaf, symbols in leaves.items()}
                with np.errstate(all="ignore"):
                    _, grads = _Swapped(tape, k, vjp).run(program.objective, values)
                grad = np.zeros_like(tape.values[slot]) if grads[slot] is None else grads[slot]
                replayed.append(float(np.asarray(grad)[address.index] if address.index is not None else np.sum(grad)))
            pairs = [(a, b) for a, b in zip(written, replayed) if np.isfinite(a) and np.isfinite(b)]
            if len(pairs) >= 6 and all(np.isclose(a, b, rtol=1e-9, atol=1e-12) for a, b in pairs):
                return words
    return ""


def _leaves(problem, program) -> dict:
    """Leaf slot -> the SymPy symbols of its entries, in order."""
    import sympy
    found = {}
    for leaf, named in problem.symbolic.items():
        slot = program.tape.slots.get(("upstream",)) if leaf == "upstream" else program.names[leaf]
        flat = [named] if isinstance(named, str) else [n for row in named for n in (row if isinstance(row, tuple) else (row,))]
        found[slot] = [sympy.Symbol(n, real=True) for n in flat]
    return found
