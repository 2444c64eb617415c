"""The one protocol every kind of problem follows, and the registry of kinds.

A kind (``layered``, ``graph``) says how its problems are recorded on a tape (``compile``), solved and
replayed by another interpreter,
how an address written in its notation is resolved, and what value an address names in a result.
The stages after solving (checking, rendering) find a problem's kind here through ``kind_of``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Hashable, Protocol

import numpy as np

from . import layered, work

if TYPE_CHECKING:
    from ..read.addresses import Address


class ProblemKind(Protocol):
    """What each kind of problem provides."""

    name: str

    def compile(self, problem): ...
    def solve(self, problem, progress: Callable | None = None): ...
    def replay(self, problem, interpreter: Callable, **how): ...
    def resolve(self, text: str, problem) -> Address: ...
    def lookup(self, address: Address, result) -> np.ndarray: ...
    def slot(self, address: Address, problem) -> tuple[Hashable, int | None]: ...
    def counts(self, problem) -> tuple[int, int]: ...
    def size(self, result) -> int: ...


def laid_out(rows: np.ndarray, address: Address, problem) -> np.ndarray:
    """Per-sample values (samples as rows) as an address of a layered problem names them: one sample's
    vector, or the matrix in the file's layout, or one element of it."""
    values = rows[0] if len(rows) == 1 else rows if problem.samples_are == "rows" else rows.T
    values = np.asarray(values, dtype=float)
    return values if address.index is None else np.asarray(values[address.index])


def _parameter_value(kind: str, shared) -> np.ndarray:
    return np.array({"shared": shared.value, "shared_grad": shared.grad, "shared_updated": shared.updated}[kind])


def _after(address: Address, result) -> np.ndarray:
    """A quantity worked out at the parameters after ``address.after`` updates, over every sample (NaN
    where the result did not keep them: a replay of the first step)."""
    worked = after(result, address.after)
    if worked is None:
        whole = lookup(address._replace(after=0), result)
        return np.full(np.shape(whole), np.nan)
    return lookup(address._replace(after=0), worked)


def after(result, steps: int):
    """The problem worked out at the parameters after ``steps`` updates (made once, then kept), or None
    when the result did not keep those parameters."""
    if steps in result.after_worked:
        return result.after_worked[steps]
    params = result.after.get(steps)
    if params is None:
        return None
    kind = kind_of(result.problem)
    problem = result.whole if result.whole is not None else result.problem
    training = problem.training._replace(steps=1, batch_size=None, epochs=None, shuffle_seed=None)
    moved = kind.parts().with_parameters(problem, params)._replace(training=training, expected=[])
    worked = result.after_worked[steps] = kind.solve(moved)
    return worked


def _state(address: Address, result, key) -> np.ndarray:
    """What the optimizer kept for a parameter after the address's step: zeros where it kept nothing
    (a frozen parameter), NaN where the result did not keep that step (a replay of the first step)."""
    kept = result.moments.get(address.step)
    if kept is not None and address.state in kept.get(key, {}):
        return np.asarray(kept[key][address.state], dtype=float)
    whole = address._replace(kind=address.kind.removesuffix("_state"), index=None)
    shape = np.shape(kind_of(result.problem).lookup(whole, result))
    return np.zeros(shape) if kept is not None else np.full(shape, np.nan)


class _Worked:
    """Recording, solving and replaying, from the module that holds a kind's parts (see ``work``)."""

    @staticmethod
    def parts():
        raise NotImplementedError

    @classmethod
    def compile(cls, problem):
        return cls.parts().record(problem)

    @classmethod
    def solve(cls, problem, progress: Callable | None = None):
        return work.solve(cls.parts(), problem, progress)

    @classmethod
    def replay(cls, problem, interpreter: Callable, **how):
        return work.replay(cls.parts(), problem, interpreter, **how)


class Layered(_Worked):
    """Stacks of layers (``network:``)."""

    name = "layered"

    @staticmethod
    def parts():
        return layered

    @staticmethod
    def resolve(text: str, problem) -> Address:
        from ..read import addresses  # only files with answers need addresses
        return addresses.resolve_layered(text, problem)

    @staticmethod
    def lookup(address: Address, result) -> np.ndarray:
        """The value an address names in a result, as a float array (NaN where an entry is absent)."""
        problem, kind = result.problem, address.kind
        if address.after:
            return _after(address, result)
        if kind.endswith("_state"):
            key = {"weights_state": ("W", address.layer), "bias_state": ("b", address.layer)}.get(kind, ("shared",))
            values = _state(address, result, key)
            if kind == "shared_state":
                values = values[problem.shared_index[address.name]]
        elif kind == "loss":
            values = np.array(result.loss.value)
        elif kind.startswith("shared"):
            values = _parameter_value(kind, result.named[address.name])
        elif kind.startswith(("weights", "bias")):
            layer = result.layers[address.layer - 1]
            param = layer.weights if kind.startswith("weights") else layer.bias
            suffix = kind.split("_", 1)[1] if "_" in kind else ""
            values = {"": param.value, "grad": param.grad, "updated": param.updated}[suffix]
        else:
            if kind == "input":
                rows = problem.inputs
            elif kind == "target":
                rows = problem.targets
            elif kind == "residual":
                rows = result.residual
            else:
                layer = result.layers[address.layer - 1]
                rows = {"pre": layer.pre, "act": layer.act, "grad_act": layer.grad_act, "delta": layer.delta,
                        "g_prime": layer.g_prime, "weighted": layer.weighted}[kind]
            return laid_out(-rows if address.negated else rows, address, problem)  # the sheet's δ: −∂L/∂z
        values = np.asarray(values, dtype=float)
        return values if address.index is None else np.asarray(values[address.index])

    @staticmethod
    def slot(address: Address, problem) -> tuple[Hashable, int | None]:
        """The labelled tape slot that holds an address's value (its gradient, for a gradient), and
        the entry of that slot when the address is one entry of a vector of shared parameters."""
        kind = address.kind
        if kind.startswith("shared"):
            return ("shared",), problem.shared_index[address.name]
        labels = {"pre": "pre", "act": "act", "grad_act": "act", "delta": "pre", "weights_grad": "W", "bias_grad": "b"}
        return (labels[kind], address.layer), None

    @staticmethod
    def counts(problem) -> tuple[int, int]:
        """How many samples and outputs the loss sums or averages over."""
        return problem.targets.shape

    @staticmethod
    def size(result) -> int:
        """How many values one run holds."""
        return sum(layer.pre.size + layer.weights.value.size for layer in result.layers)


class Graph(_Worked):
    """Computation graphs written as formulas (``graph:``)."""

    name = "graph"

    @staticmethod
    def resolve(text: str, problem) -> Address:
        from ..read import addresses
        return addresses.resolve_graph(text, problem)

    @staticmethod
    def parts():
        from . import graph  # only graph problems pay for the formula machinery
        return graph

    @staticmethod
    def lookup(address: Address, result) -> np.ndarray:
        """The value an address names in a result, as a float array."""
        kind = address.kind
        if address.after:
            return _after(address, result)
        if kind.endswith("_state"):
            values = _state(address, result, address.name)
        elif kind == "loss":
            values = np.array(result.loss.value if result.loss is not None else np.nan)
        elif kind.startswith("shared"):
            values = _parameter_value(kind, result.named[address.name])
        else:
            item = result.named[address.name]
            values = item.grad if kind.endswith("_grad") else item.value
        values = np.asarray(values, dtype=float)
        return values if address.index is None else np.asarray(values[address.index])

    @staticmethod
    def slot(address: Address, problem) -> tuple[Hashable, int | None]:
        """The labelled tape slot that holds an address's value (its gradient, for a gradient)."""
        group = address.kind.removesuffix("_grad").removesuffix("_updated")
        return ({"shared": "param"}.get(group, group), address.name), None

    @staticmethod
    def counts(problem) -> tuple[int, int]:
        """How many samples and outputs the loss sums or averages over (one sample)."""
        return 1, 1 if problem.target is None else int(np.size(problem.target))

    @staticmethod
    def size(result) -> int:
        """How many values one run holds."""
        return sum(value.value.size for value in result.nodes)


KINDS: dict[str, ProblemKind] = {kind.name: kind for kind in (Layered, Graph)}


def kind_of(problem) -> ProblemKind:
    """The kind a problem belongs to."""
    return KINDS[problem.kind]


def solve(problem, progress: Callable[[int, int], None] | None = None):
    """Work a problem of any kind out; ``progress(done, total)`` hears how the training steps go."""
    if getattr(problem, "symbols", ()):
        from .symbolic import solve as in_formulas
        return in_formulas(problem)
    return kind_of(problem).solve(problem, progress)


def lookup(address: Address, result) -> np.ndarray:
    """The value an address names in a result of any kind."""
    return kind_of(result.problem).lookup(address, result)


def resolve(text: str, problem) -> Address:
    """The quantity an address written in a problem's notation names (raises AddressError)."""
    return kind_of(problem).resolve(text, problem)
