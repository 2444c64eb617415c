"""Descriptions of a problem, as the reader validated them; nothing changes them afterwards.

Two kinds exist: a layered network (``Problem``) and a computation graph (``GraphProblem``); each names
its kind in ``kind``, which selects how it is compiled, solved, addressed and shown.
"""

from __future__ import annotations

from functools import cached_property
from typing import Literal, NamedTuple

import numpy as np

from .optimizers import PLAIN, Optimizer
from .record import Fresh, Record

MAX_VALUES = 2_000_000  # values a problem may hold in all; larger ones are refused before allocating

Orientation = Literal["out_in", "in_out"]
Reduction = Literal["sum", "mean"]


class Activation(NamedTuple):
    """An activation function by registry name, with its attributes (slope, alpha)."""

    name: str
    attrs: tuple[tuple[str, float], ...] = ()

    def __str__(self) -> str:
        if not self.attrs:
            return self.name
        return f"{self.name}({', '.join(f'{k}={v:g}' for k, v in self.attrs)})"


class Entries(Record):
    """A weight matrix or a bias vector: own values, missing connections, uses of named parameters.

    ``values`` holds the initial value of every entry that is a parameter of its own; ``absent`` marks
    entries that do not exist (no connection); ``shared`` maps an entry's index to the name of the
    shared scalar parameter it uses.
    """

    values: np.ndarray
    absent: np.ndarray | None = None
    shared: dict[tuple[int, ...], str] = Fresh(dict)
    frozen: bool = False

    @cached_property
    def has_own(self) -> bool:
        """Whether some entry is a parameter of its own (not every one shared or absent)."""
        mask = self.own_mask
        return mask is None or bool(mask.any())

    @property
    def own_mask(self) -> np.ndarray | None:
        """True where the entry is a parameter of its own; None when every entry is."""
        if self.absent is None and not self.shared:
            return None
        mask = np.ones(self.values.shape, dtype=bool) if self.absent is None else ~self.absent
        for index in self.shared:
            mask[index] = False
        return mask


class Layer(Record):
    """One layer of units: weights in the file's orientation, optional bias, activation(s)."""

    name: str
    units: int
    activations: tuple[Activation, ...]  # one for the whole layer, or one per unit
    weights: Entries
    bias: Entries | None = None
    bias_sign: float = 1.0  # -1 for a threshold that is subtracted


class Network(Record):
    """A stack of fully or partly connected layers in one orientation and bias convention."""

    inputs: int
    layers: tuple[Layer, ...]
    orientation: Orientation = "out_in"
    folded_bias: bool = False
    orientation_stated: bool = True  # False when the file left the orientation to its default


class SharedParameter(Record):
    """A named scalar parameter that may be used in several places."""

    name: str
    value: float
    frozen: bool = False


class Loss(Record):
    """Loss kind with its scale and reductions over outputs and over samples."""

    kind: str  # squared_error | binary_cross_entropy | categorical_cross_entropy
    factor: float = 1.0
    outputs: Reduction = "sum"
    samples: Reduction = "sum"


class L2(Record):
    """An L2 penalty lambda * ||w||^2 added to the loss."""

    strength: float
    include_bias: bool = False


class Training(Record):
    """Training settings: the learning rate, the steps, an L2 penalty and the optimizer."""

    learning_rate: float = 0.0
    steps: int = 1  # updates in all (with batches: epochs × batches in an epoch)
    l2: L2 | None = None
    optimizer: Optimizer = PLAIN
    batch_size: int | None = None  # None: every sample in every step
    epochs: int | None = None
    shuffle_seed: int | None = None  # None: samples in file order

    def batch(self, samples: int, step: int) -> np.ndarray:
        """The samples (indices, in order) that step ``step`` (from 1) works on."""
        if self.batch_size is None:
            return np.arange(samples)
        per_epoch = -(-samples // self.batch_size)
        epoch, k = divmod(step - 1, per_epoch)
        order = np.arange(samples)
        if self.shuffle_seed is not None:
            generator = np.random.default_rng(self.shuffle_seed)
            for _ in range(epoch + 1):  # one permutation per epoch, from one generator
                order = generator.permutation(samples)
        return order[k * self.batch_size:(k + 1) * self.batch_size]


class Notation(Record):
    """The symbols a course uses for each quantity."""

    pre: str = "z"
    act: str = "a"
    delta: str = "δ"
    loss: str = "L"
    weight: str = "w"
    bias: str = "b"
    threshold: str = "θ"
    input: str = "x"
    residual: str = "e"  # t − ŷ; refused where the loss has the same symbol (lfd's e)
    target: str = "y"
    delta_sign: float = 1.0  # -1 where the sheet's error term is δ = −∂L/∂z (updates then read w + η δ a)


NOTATIONS = {
    "standard": Notation(),
    "lfd": Notation(pre="s", act="x", loss="e", input="x"),
    "netout": Notation(pre="net", act="out", loss="E", input="in"),
    "sensitivity": Notation(pre="n", act="a", delta="s", loss="F", input="p", target="t"),  # Neural Network Design
}


class Problem(Record):
    """Everything needed to work a layered-network problem."""

    kind = "layered"

    source: str
    title: str
    network: Network
    inputs: np.ndarray  # (samples, inputs): one row per sample whatever the file's layout
    targets: np.ndarray  # (samples, outputs)
    loss: Loss
    training: Training
    notation: Notation = Notation()
    shared: tuple[SharedParameter, ...] = ()
    samples_are: Literal["rows", "columns"] = "rows"
    expected: list = Fresh(list)  # the answers to check, in the order written
    unreadable: list = Fresh(list)  # answers that could not be read, with their reasons
    check: object = None  # the file's check: settings, None when it has none
    grading: object = None  # the file's grading: section as read (a positioned node), for grade
    student: str | None = None  # the student a variant was made for
    names: dict = Fresh(dict)  # a sheet's own names for quantities (w5 -> the address of w^(2)_11)
    convention: str | None = None  # the profile named under convention:, None when none is
    part: tuple[int, int] = (1, 1)  # its number, and how many problems its file holds (documents split by ---)
    symbols: tuple[str, ...] = ()  # parameters and entries written `symbol`: the problem is worked in formulas
    data_symbols: dict = Fresh(dict)  # "input" or "target" -> {(sample, unit): the symbol written there}

    @cached_property
    def shared_index(self) -> dict[str, int]:
        """Position of each shared parameter by name."""
        return {p.name: i for i, p in enumerate(self.shared)}


class FormulaNode(Record):
    """A named node of a computation graph, defined by a formula."""

    name: str
    text: str
    expr: object  # formula.Expr
    line: int
    column: int
    shape: tuple[int, ...] = ()


class GraphProblem(Record):
    """A computation graph written as formulas: inputs, parameters, nodes, and what flows back."""

    kind = "graph"

    source: str
    title: str
    inputs: dict[str, np.ndarray]
    params: dict[str, np.ndarray]
    frozen: set[str]
    nodes: list[FormulaNode]
    output: str
    training: Training
    loss: Loss | None = None
    target: np.ndarray | None = None
    upstream: np.ndarray | None = None  # dL/d(output) given instead of a loss
    notation: Notation = Notation()
    expected: list = Fresh(list)
    unreadable: list = Fresh(list)
    check: object = None
    grading: object = None
    student: str | None = None
    symbols: tuple[str, ...] = ()  # every symbol's name: a problem with symbols is worked in formulas
    symbolic: dict = Fresh(dict)  # input, parameter or "upstream" -> its symbol's name, or the names of its entries
    part: tuple[int, int] = (1, 1)  # its number, and how many problems its file holds (documents split by ---)

    @cached_property
    def node_index(self) -> dict[str, tuple[int, tuple[int, ...]]]:
        """Position (from 1) and shape of each node by name."""
        return {spec.name: (i + 1, spec.shape) for i, spec in enumerate(self.nodes)}
