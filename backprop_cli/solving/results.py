"""What solving a problem yields: values, gradients and updates, for each kind of problem."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import Callable

import numpy as np

from ..engine.model import Activation, Entries, GraphProblem, Problem
from ..engine.network import Parameters
from ..engine.record import Fresh, Record


class Built(Sequence):
    """A sequence whose items are made on first use, each once."""

    def __init__(self, count: int, make: Callable[[int], object]):
        self._items: list = [None] * count
        self._make = make

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[k] for k in range(*index.indices(len(self)))]
        index = range(len(self))[index]  # negative indices, and IndexError past the end
        item = self._items[index]
        if item is None:
            item = self._items[index] = self._make(index)
        return item


class ParamResult(Record):
    """A weight matrix or bias vector: values as used, gradients and updated values, NaN where absent.

    For an entry that uses a shared parameter, ``grad`` is the gradient through that one use; the
    shared parameter's own gradient (the sum over its uses) is in ``Result.shared``.
    """

    value: np.ndarray
    grad: np.ndarray
    updated: np.ndarray
    entries: Entries

    @property
    def frozen(self) -> bool:
        return self.entries.frozen


class LayerResult(Record):
    """Everything computed for one layer, with samples as rows."""

    index: int
    name: str
    activations: tuple[Activation, ...]
    pre: np.ndarray
    act: np.ndarray
    grad_act: np.ndarray
    delta: np.ndarray
    weights: ParamResult
    bias: ParamResult | None
    bias_sign: float
    g_prime: np.ndarray  # g'(z), the activation's derivative at z; NaN for softmax (no factor per unit)
    weighted: np.ndarray  # Σ_k w_jk a_k: z without the bias (or threshold, or folded bias row/column)

    @property
    def units(self) -> int:
        return self.pre.shape[1]


class SharedResult(Record):
    """A named parameter: its value, the sum of the gradients of its uses, its updated value."""

    name: str
    value: float
    grad: float
    updated: float
    frozen: bool
    uses: list[str]


class LossResult(Record):
    """The loss of the first step, with the formula that defines it."""

    value: float  # what is minimised: data loss plus penalty
    data: float
    penalty: float
    per_sample: np.ndarray
    formula: str


SHOWN: dict[str, Callable] = {}  # format ("html", "markdown") -> renderer of a result, set by the library API


class _Shown:
    """Display in a notebook (Jupyter calls ``_repr_html_`` and ``_repr_markdown_``): the tables, and in
    HTML the diagram. The renderers belong to later stages, so the library API registers them."""

    def _repr_html_(self) -> str | None:
        show = SHOWN.get("html")
        return None if show is None else show(self)

    def _repr_markdown_(self) -> str | None:
        show = SHOWN.get("markdown")
        return None if show is None else show(self)


class Result(_Shown, Record):
    """A worked layered network: the first step in full, then the loss along any further steps."""

    problem: Problem
    layers: Sequence[LayerResult]
    shared: list[SharedResult]
    loss: LossResult
    history: list[float] = Fresh(list)  # objective before each step
    final_loss: float | None = None  # objective after the last update
    final: Parameters | None = None  # parameters after the last update
    warnings: list[str] = Fresh(list)
    moments: dict[int, dict] = Fresh(dict)  # the optimizer's state after step k: the first, those asked, the last
    batch: np.ndarray | None = None  # the samples of the file the first step worked on, when not all
    whole: object = None  # with mini-batches: the problem over every sample (``problem`` is the first batch's)
    after: dict[int, object] = Fresh(dict)  # the parameters after k updates: the last, and those asked
    after_worked: dict[int, object] = Fresh(dict)  # the problem worked out at them, when asked for

    @property
    def trained(self) -> bool:
        return self.problem.training.learning_rate > 0

    @property
    def residual(self) -> np.ndarray:
        """e = t − ŷ, the target minus the output, with samples as rows."""
        return self.problem.targets - self.layers[-1].act

    @cached_property
    def named(self) -> dict[str, SharedResult]:
        """Shared parameters by name."""
        return {p.name: p for p in self.shared}


class Value(Record):
    """A named value of a graph with the gradient of the objective with respect to it."""

    name: str
    text: str  # the formula, or 'input' / 'parameter'
    value: np.ndarray
    grad: np.ndarray


class GraphResult(_Shown, Record):
    """A worked computation graph: nodes in dependency order, inputs, parameters (as shared ones)."""

    problem: GraphProblem
    nodes: list[Value]
    inputs: list[Value]
    shared: list[SharedResult]
    loss: LossResult | None
    history: list[float] = Fresh(list)
    final_loss: float | None = None
    final: dict[str, np.ndarray] | None = None
    warnings: list[str] = Fresh(list)
    moments: dict[int, dict] = Fresh(dict)  # the optimizer's state after step k: the first, those asked, the last
    batch: np.ndarray | None = None  # the samples of the file the first step worked on, when not all
    whole: object = None  # with mini-batches: the problem over every sample (``problem`` is the first batch's)
    after: dict[int, object] = Fresh(dict)  # the parameters after k updates: the last, and those asked
    after_worked: dict[int, object] = Fresh(dict)  # the problem worked out at them, when asked for

    @property
    def trained(self) -> bool:
        return self.problem.training.learning_rate > 0

    @cached_property
    def named(self) -> dict[str, Value | SharedResult]:
        """Inputs, parameters and nodes by name."""
        return {v.name: v for v in (*self.inputs, *self.shared, *self.nodes)}
