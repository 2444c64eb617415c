"""An independent simulator of students working backpropagation sheets by hand.

Nothing here comes from ``backprop_cli``: the networks and graphs are generated at random, worked out
in plain NumPy from what the problem format means (README, "The problem format" and "Computation
graphs"), and written as problem files with an ``expected:`` section that holds a student's answers as
text, with the student's own decimals.

A student works the sheet in one of two ways:

- ``exact``: every value kept at full precision, each answer rounded only when written;
- ``carried``: each value the sheet asks for is rounded to the student's decimals for its kind of
  quantity (z and a to 3 or 4 decimals, deltas and gradients to 4 to 6, ...) and that written value is
  what the next step uses. Values the sheet does not ask for stay at full precision (kept on the
  calculator), so that the written values alone determine every later answer.

A planted mistake (``Mistake``) happens at one place, is computed from the student's own earlier values,
and everything after it is computed from the wrong values, as a student carries them. Mistakes in
copying (``digits transposed``, ``digit slip``, ``other element``, ``transposed``) change the written text
of one answer only: the student's scratch work, and everything after it, keeps the right value.

``corpus(seed, ...)`` returns the sheets; each ``Sheet`` holds its YAML text, its answers (address,
written text, the student's values, the exact values), where the mistake first shows and which answers
it changes, which is what ``tests/test_mutations.py`` checks ``backprop check`` against.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

LAYERED_KINDS = (
    "derivative dropped", "activation for derivative", "derivative at activation", "activation not applied",
    "bias not updated", "digits transposed", "digit slip", "sign", "loss factor", "stale weights",
    "term left out", "transposed", "learning rate", "ascent", "other element",
)
GRAPH_KINDS = ("term left out", "path left out", "sign", "loss factor", "digits transposed", "digit slip")
# Mistakes in copying a value onto the sheet: nothing computed afterwards changes.
WRITING_KINDS = frozenset({"digits transposed", "digit slip", "other element", "transposed"})
DERIVATIVE_KINDS = frozenset({"derivative dropped", "activation for derivative", "derivative at activation"})

# Margin, in units of the last written decimal, kept from every rounding boundary (and from the edge of
# a tolerance), so that no verdict depends on the last bits of a float.
BOUNDARY_MARGIN = 0.01
# The same for the values written where a mistake first shows, wider: the tool replays the mistake its
# own way (through the student's written values or not), and its name should not hang on the last digit.
SITE_MARGIN = 0.05


class Rejected(Exception):
    """A draw that would make a flaky or meaningless sheet: draw again."""


@dataclass
class Mistake:
    kind: str
    params: dict = field(default_factory=dict)

    def __getattr__(self, name):
        try:
            return self.__dict__["params"][name]
        except KeyError:
            raise AttributeError(name) from None

    def where(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.params.items() if not k.startswith("_"))


NO_MISTAKE = Mistake("")


# ----------------------------------------------------------------------------------------------------------
# numbers as a student writes them

def fmt(value: float, decimals: int) -> str:
    text = f"{float(value):.{decimals}f}"
    if float(text) == 0.0:
        text = text.lstrip("-")
    return text


def to_boundary(value: float, decimals: int) -> float:
    """Distance, in units of the last decimal, from value to the nearest rounding boundary."""
    units = float(value) * 10.0 ** decimals
    return abs(units - math.floor(units) - 0.5)


def flow(texts) -> str:
    """A nested list of number texts as a YAML flow sequence (a scalar stays a scalar)."""
    texts = np.asarray(texts, dtype=object)
    if texts.ndim == 0:
        return str(texts[()])
    return "[" + ", ".join(flow(t) for t in texts) + "]"


@dataclass
class Answer:
    """One answer of a sheet: a whole quantity or one element of it, in the file's layout."""

    address: str
    key: tuple              # the quantity it belongs to
    group: str              # kind of quantity: sets the student's decimals
    element: tuple | None   # index into the quantity's canonical array, or None for all of it
    decimals: int
    values: np.ndarray = None    # the student's values (pre-rounding), file layout
    texts: np.ndarray = None     # what is written, file layout
    exact: np.ndarray = None     # the exact values, file layout

    def yaml(self) -> str:
        return f"  {self.address}: {flow(self.texts)}\n"

    def written(self) -> np.ndarray:
        return np.vectorize(float, otypes=[float])(self.texts) if self.texts.ndim else np.array(float(self.texts[()]))


# ----------------------------------------------------------------------------------------------------------
# layered networks

ACTIVATIONS = {
    "identity": lambda z: z,
    "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z)),
    "tanh": np.tanh,
    "relu": lambda z: np.where(z > 0, z, 0.0),
}


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@dataclass
class Layer:
    units: int
    act: str
    W: np.ndarray        # canonical: units × (inputs + 1 if folded), column 0 the folded bias
    b: np.ndarray | None  # separate bias (never with a folded bias)
    w_text: list = None   # the weights as written in the file (file layout)
    b_text: list = None


@dataclass
class Net:
    n_in: int
    layers: list
    orientation: str
    fold: bool
    X: np.ndarray         # samples × inputs
    T: np.ndarray         # samples × outputs
    samples_are: str
    loss: str             # squared_error, binary_cross_entropy, categorical_cross_entropy
    factor: str           # as written: "1", "1/2"
    outputs: str
    samples: str
    eta: float
    eta_text: str
    texts: dict = None    # X, T as written

    @property
    def depth(self):
        return len(self.layers)

    @property
    def N(self):
        return self.X.shape[0]

    @property
    def K(self):
        return self.layers[-1].units

    @property
    def fused(self):
        out = self.layers[-1].act
        return (out, self.loss) in {("sigmoid", "binary_cross_entropy"), ("softmax", "categorical_cross_entropy")}

    def factor_value(self):
        num, _, den = self.factor.partition("/")
        return float(num) / float(den or 1)

    # -- file layout --------------------------------------------------------------------------------------
    def to_file(self, key, array):
        """A quantity's canonical array in the layout the file (and so the sheet) writes it."""
        what = key[0]
        array = np.asarray(array)
        if what in ("z", "a", "dA", "delta"):
            if self.N == 1:
                return array[0]
            return array if self.samples_are == "rows" else array.T
        if what in ("dW", "W1"):
            return array if self.orientation == "out_in" else array.T
        return array

    def file_index(self, key, element):
        """The 1-based indices (folded bias index 0) of a canonical element, as an address writes them."""
        what = key[0]
        if what in ("dW", "W1"):
            j, c = element
            col = c if self.fold else c + 1
            return (j + 1, col) if self.orientation == "out_in" else (col, j + 1)
        if what in ("z", "a", "dA", "delta"):
            assert self.N == 1
            return (element[1] + 1,)
        return tuple(i + 1 for i in element)

    def address(self, key, element=None, style=None):
        what, l = key[0], (key[1] if len(key) > 1 else None)
        style = style or {}
        sub = ""
        if element is not None:
            sub = "_" + "".join(str(i) for i in self.file_index(key, element))
        if what == "z":
            return f"z^({l}){sub}"
        if what == "a":
            if l == self.depth and element is None and style.get("y_hat"):
                return "ŷ"
            return f"a^({l}){sub}"
        if what == "L":
            return "L"
        if what == "dA":
            return f"dL/da^({l}){sub}"
        if what == "delta":
            return f"δ^({l}){sub}" if style.get("delta", True) else f"dL/dz^({l}){sub}"
        if what == "dW":
            return f"dL/dW^({l})" if element is None else f"dL/dw^({l}){sub}"
        if what == "db":
            return f"dL/db^({l}){sub}"
        if what == "W1":
            return f"W^({l})'" if element is None else f"w^({l}){sub}'"
        if what == "b1":
            return f"b^({l}){sub}'"
        raise ValueError(key)

    def shape(self, key):
        what = key[0]
        if what == "L":
            return ()
        layer = self.layers[key[1] - 1]
        if what in ("z", "a", "dA", "delta"):
            return (self.N, layer.units)
        if what in ("dW", "W1"):
            return layer.W.shape
        return (layer.units,)

    def order(self, interleave=False):
        """Every quantity in the order a student computes (and a sheet lists) them: the updates after
        all the gradients, or (``interleave``) each layer's right after its gradients, going backward."""
        keys = []
        for l in range(1, self.depth + 1):
            keys += [("z", l), ("a", l)]
        keys.append(("L",))
        updates = []
        for l in range(self.depth, 0, -1):
            keys += [("dA", l), ("delta", l), ("dW", l)]
            has_bias = self.layers[l - 1].b is not None
            if has_bias:
                keys.append(("db", l))
            here = [("W1", l)] + ([("b1", l)] if has_bias else [])
            if interleave:
                keys += here
            else:
                updates = here + updates
        return keys + updates

    # -- the problem file ---------------------------------------------------------------------------------
    def yaml(self) -> str:
        lines = ["network:", f"  inputs: {self.n_in}"]
        if self.orientation != "out_in":
            lines.append(f"  orientation: {self.orientation}")
        if self.fold:
            lines.append("  fold_bias: true")
        lines.append("  layers:")
        for layer in self.layers:
            entry = f"    - {{units: {layer.units}, activation: {layer.act}, weights: {flow(layer.w_text)}"
            if layer.b is not None:
                entry += f", bias: {flow(layer.b_text)}"
            lines.append(entry + "}")
        if self.N > 1:
            lines.append(f"samples_are: {self.samples_are}")
        lines.append(f"input: {flow(self.texts['X'])}")
        lines.append(f"target: {flow(self.texts['T'])}")
        loss = f"{{kind: {self.loss}"
        if self.factor != "1":
            loss += f", factor: {self.factor}"
        if self.outputs != "sum":
            loss += f", outputs: {self.outputs}"
        if self.samples != "sum":
            loss += f", samples: {self.samples}"
        lines.append(f"loss: {loss}}}")
        lines.append(f"train: {{learning_rate: {self.eta_text}}}")
        return "\n".join(lines) + "\n"


def _draw(rng, low, high, decimals, nonzero=True):
    while True:
        value = round(float(rng.uniform(low, high)), decimals) + 0.0
        if value != 0 or not nonzero:
            return value


def random_net(rng) -> Net:
    n_in = int(rng.integers(2, 5))
    sizes = [int(rng.integers(2, 5)) for _ in range(int(rng.integers(1, 3)))]
    output, loss = [("identity", "squared_error"), ("identity", "squared_error"), ("sigmoid", "squared_error"),
                    ("tanh", "squared_error"), ("sigmoid", "binary_cross_entropy"),
                    ("softmax", "categorical_cross_entropy")][int(rng.integers(0, 6))]
    K = int(rng.integers(2, 4)) if output == "softmax" else int(rng.integers(1, 4))
    acts = [str(rng.choice(["sigmoid", "tanh", "relu"])) for _ in sizes] + [output]
    sizes.append(K)
    orientation = str(rng.choice(["out_in", "in_out"]))
    fold = bool(rng.random() < 0.3)
    with_bias = fold or rng.random() < 0.9
    wdec = int(rng.choice([1, 2]))
    N = 2 if rng.random() < 0.25 else 1
    layers = []
    prev = n_in
    for units, act in zip(sizes, acts):
        cols = prev + (1 if fold else 0)
        W = np.array([[_draw(rng, -1, 1, wdec) for _ in range(cols)] for _ in range(units)])
        b = None
        if with_bias and not fold:
            b = np.array([_draw(rng, -0.5, 0.5, wdec, nonzero=False) for _ in range(units)])
        layer = Layer(units, act, W, b)
        wf = W if orientation == "out_in" else W.T
        layer.w_text = [[repr(float(v)) for v in row] for row in wf]
        layer.b_text = None if b is None else [repr(float(v)) for v in b]
        layers.append(layer)
        prev = units
    X = np.array([[_draw(rng, -1, 1, 1) for _ in range(n_in)] for _ in range(N)])
    if loss == "categorical_cross_entropy":
        T = np.zeros((N, K))
        for s in range(N):
            T[s, int(rng.integers(0, K))] = 1.0
    elif loss == "binary_cross_entropy" or (output == "sigmoid" and rng.random() < 0.5):
        T = rng.integers(0, 2, size=(N, K)).astype(float)
    elif output == "sigmoid":
        T = np.array([[_draw(rng, 0.1, 0.9, 1) for _ in range(K)] for _ in range(N)])
    elif output == "tanh":
        T = np.array([[_draw(rng, -0.9, 0.9, 1) for _ in range(K)] for _ in range(N)])
    else:
        T = np.array([[_draw(rng, -1.5, 1.5, 1, nonzero=False) for _ in range(K)] for _ in range(N)])
    samples_are = str(rng.choice(["rows", "columns"])) if N > 1 else "rows"
    factor = "1"
    outputs = samples = "sum"
    if loss == "squared_error":
        factor = str(rng.choice(["1", "1/2"]))
        outputs = str(rng.choice(["sum", "sum", "mean"]))
    elif loss == "binary_cross_entropy":
        outputs = str(rng.choice(["sum", "mean"]))
    if N > 1:
        samples = str(rng.choice(["sum", "mean"]))
    eta_text = str(rng.choice(["0.1", "0.5", "1", "0.2", "0.05", "0.25"]))

    def layout(M):
        if N == 1:
            row = [repr(float(v)) for v in M[0]]
            return row[0] if len(row) == 1 else row
        M = M if samples_are == "rows" else M.T
        return [[repr(float(v)) for v in row] for row in M]

    net = Net(n_in, layers, orientation, fold, X, T, samples_are, loss, factor, outputs, samples,
              float(eta_text), eta_text)
    net.texts = {"X": layout(X), "T": layout(T)}
    return net


class Plan:
    """What a sheet writes and how the student rounds: the decimals of each kind of quantity, the
    elements written (rounded, when carried, before the next step uses them), and the address style."""

    def __init__(self, answers, decimals, carried, style=None):
        self.answers = answers          # list of (key, element or None)
        self.decimals = decimals        # group -> decimals
        self.carried = carried
        self.style = style or {}

    def masks(self, shapes):
        masks = {}
        for key, element in self.answers:
            mask = masks.setdefault(key, np.zeros(shapes(key), dtype=bool))
            if element is None:
                mask[...] = True
            else:
                mask[element] = True
        return masks


def group_of(key) -> str:
    return {"db": "dW", "b1": "W1"}.get(key[0], key[0])


def random_plan(rng, net: Net, interleave=None) -> Plan:
    if interleave is None:
        interleave = bool(rng.random() < 0.3)
    p = {"z": 0.75, "a": 0.75, "L": 0.7, "dA": 0.35, "delta": 0.7, "dW": 0.7, "db": 0.5, "W1": 0.6, "b1": 0.45}
    answers = []
    for key in net.order(interleave):
        what = key[0]
        if what == "dA" and key[1] < net.depth:
            prob = 0.25
        else:
            prob = p[what]
        if rng.random() >= prob:
            continue
        shape = net.shape(key)
        elementwise = what in ("dW", "W1", "db", "b1", "delta", "z") and len(shape) > 0 and rng.random() < 0.25
        if what in ("z", "delta") and net.N > 1:
            elementwise = False
        if elementwise:
            cells = [tuple(int(i) for i in ix) for ix in np.ndindex(shape)]
            picks = rng.choice(len(cells), size=min(len(cells), int(rng.integers(1, 3))), replace=False)
            for pick in sorted(picks):
                answers.append((key, cells[pick]))
        else:
            answers.append((key, None))
    decimals = {
        "z": int(rng.choice([3, 4])),
        "a": int(rng.choice([3, 4, 4, 5])),
        "L": int(rng.choice([4, 5])),
        "dA": int(rng.choice([4, 5])),
        "delta": int(rng.choice([4, 5, 5, 6])),
        "dW": int(rng.choice([4, 5, 5, 6, 7])),
        "W1": int(rng.choice([4, 5, 6])),
    }
    style = {"y_hat": bool(rng.random() < 0.5), "delta": bool(rng.random() < 0.6)}
    return Plan(answers, decimals, bool(rng.random() < 0.5), style)


def simulate(net: Net, plan: Plan, mistake: Mistake = NO_MISTAKE, exact=False):
    """The student's calculation: every quantity (canonical layout) before rounding (``raw``) and as
    carried (``values``); ``exact=True`` works without any rounding or mistake."""
    m = NO_MISTAKE if exact else mistake
    carried = plan.carried and not exact
    masks = plan.masks(net.shape)
    raw, values = {}, {}
    relu_z = []

    def R(key, x):
        x = np.array(x, dtype=float)
        raw[key] = x.copy()
        if carried and key in masks:
            x = np.where(masks[key], np.round(x, plan.decimals[group_of(key)]), x)
        if m.kind == "_perturb" and m.key == key:
            x = x + 1e-3 * (1 + np.abs(x))
        values[key] = x
        return x

    def aug(a):
        return np.hstack([np.ones((a.shape[0], 1)), a]) if net.fold else a

    L_ = net.depth
    a_prev = net.X
    acts = [a_prev]
    zs = []
    for l, layer in enumerate(net.layers, 1):
        A = aug(a_prev)
        z = A @ layer.W.T
        if layer.b is not None:
            z = z + layer.b
        if m.kind == "term left out" and m.layer == l:
            z[m.sample, m.unit] -= layer.W[m.unit, m.term] * A[m.sample, m.term]
        z = R(("z", l), z)
        a = softmax(z) if layer.act == "softmax" else ACTIVATIONS[layer.act](z)
        if layer.act == "relu":
            relu_z.append(z)
        if m.kind == "activation not applied" and m.layer == l:
            a = z.copy()
        a = R(("a", l), a)
        zs.append(z)
        acts.append(a)
        a_prev = a

    y, T = acts[-1], net.T
    so = 1.0 / net.K if net.outputs == "mean" else 1.0
    ss = 1.0 / net.N if net.samples == "mean" else 1.0
    f = net.factor_value()
    if net.loss == "squared_error":
        per = (y - T) ** 2
    elif net.loss == "binary_cross_entropy":
        per = -(T * np.log(y) + (1 - T) * np.log(1 - y))
    else:
        per = -(T * np.log(y))
    L = f * per.sum() * so * ss
    R(("L",), L)

    residual = (T - y) if m.kind == "sign" else (y - T)
    if net.loss == "squared_error":
        dA = f * 2 * residual * so * ss
    elif net.loss == "binary_cross_entropy":
        dA = f * so * ss * (residual / (y * (1 - y)))
    else:
        dA = f * so * ss * (-T / y)
        if m.kind == "sign":
            dA = -dA
    if m.kind == "loss factor":
        dA = dA * m.factor
    dA = R(("dA", L_), dA)

    new_W = {}
    deltas_next = None  # the deltas of the layer after this one, from the previous pass of the loop
    for l in range(L_, 0, -1):
        layer = net.layers[l - 1]
        z, a = zs[l - 1], acts[l]
        if l < L_:
            nxt = net.layers[l]
            W_next = new_W[l + 1] if (m.kind == "stale weights" and m.layer == l) else nxt.W
            dA = deltas_next @ W_next[:, 1:] if net.fold else deltas_next @ W_next
            dA = R(("dA", l), dA)
        derivative_mistake = m.kind in DERIVATIVE_KINDS and m.layer == l
        if l == L_ and net.fused and not derivative_mistake:
            delta = f * so * ss * residual
        else:
            delta = dA * derivative(layer.act, z, a, m.kind if derivative_mistake else "")
        delta = R(("delta", l), delta)
        A = aug(acts[l - 1])
        dW = R(("dW", l), delta.T @ A)
        W1 = update(net, layer.W, dW, m, l, "W")
        new_W[l] = R(("W1", l), W1)
        if layer.b is not None:
            db = R(("db", l), delta.sum(axis=0))
            if m.kind == "bias not updated" and m.layer == l:
                b1 = layer.b.copy()
            else:
                b1 = update(net, layer.b, db, m, l, "b")
            R(("b1", l), b1)
        deltas_next = delta
    return raw, values, relu_z


def derivative(act, z, a, mistake=""):
    """g'(z) as the student works it out: from the written a for sigmoid (a(1 − a)) and tanh (1 − a²)."""
    if mistake == "derivative dropped":
        return np.ones_like(z)
    if mistake == "activation for derivative":
        return a
    if mistake == "derivative at activation":
        if act == "sigmoid":
            s = ACTIVATIONS["sigmoid"](a)
            return s * (1 - s)
        if act == "tanh":
            return 1 - np.tanh(a) ** 2
        raise ValueError(act)
    if act == "sigmoid":
        return a * (1 - a)
    if act == "tanh":
        return 1 - a ** 2
    if act == "relu":
        return (z > 0).astype(float)
    if act == "identity":
        return np.ones_like(z)
    raise ValueError(act)


def update(net, value, grad, m, l, which):
    eta = net.eta
    if m.kind == "learning rate" and m.layer == l and m.which == which:
        eta = m.eta
    if m.kind == "ascent" and m.layer == l and m.which == which:
        return value + eta * grad
    return value - eta * grad


def layered_variants(net: Net, plan: Plan, kind: str):
    """Every place a mistake of this kind can be planted in this network (computational kinds)."""
    out = []
    L_ = net.depth
    for l, layer in enumerate(net.layers, 1):
        act = layer.act
        if kind == "derivative dropped" and act in ("sigmoid", "tanh", "relu"):
            out.append(Mistake(kind, {"layer": l}))
        if kind == "activation for derivative" and act in ("sigmoid", "tanh", "relu"):
            out.append(Mistake(kind, {"layer": l}))
        if kind == "derivative at activation" and act in ("sigmoid", "tanh"):
            out.append(Mistake(kind, {"layer": l}))
        if kind == "activation not applied" and l < L_ and act in ("sigmoid", "tanh", "relu"):
            out.append(Mistake(kind, {"layer": l}))
        if kind == "bias not updated" and layer.b is not None:
            out.append(Mistake(kind, {"layer": l}))
        if kind == "stale weights" and l < L_:
            out.append(Mistake(kind, {"layer": l}))
        if kind == "term left out":
            for s in range(net.N):
                for j in range(layer.units):
                    for k in range(layer.W.shape[1]):
                        out.append(Mistake(kind, {"layer": l, "sample": s, "unit": j, "term": k}))
        if kind in ("learning rate", "ascent"):
            for which in ("W", "b") if layer.b is not None else ("W",):
                if kind == "ascent":
                    out.append(Mistake(kind, {"layer": l, "which": which}))
                else:
                    for eta in sorted({1.0, 10 * net.eta} - {net.eta}):
                        out.append(Mistake(kind, {"layer": l, "which": which, "eta": eta}))
    if kind == "sign":
        out.append(Mistake(kind, {"layer": L_}))
    if kind == "loss factor" and net.loss == "squared_error":
        # the factor 2 of the square forgotten (factor 1) or added on top of the 1/2 (factor 1/2)
        out.append(Mistake(kind, {"layer": L_, "factor": 0.5 if net.factor == "1" else 2.0}))
    return out


# ----------------------------------------------------------------------------------------------------------
# computation graphs: a few templates, each differentiated by hand

class Template:
    name = ""
    loss = True
    train = True
    kinds = ()

    def __init__(self, rng):
        self.v = {}
        self.text = {}

    def number(self, rng, name, low, high, decimals=1, nonzero=True):
        value = _draw(rng, low, high, decimals, nonzero)
        self.v[name] = value
        self.text[name] = repr(value)
        return value

    def order(self):
        raise NotImplementedError

    def group(self, name):
        if name == "L":
            return "L"
        if name.startswith("dL/d"):
            return "grad"
        if name.endswith("'"):
            return "update"
        return "value"

    def yaml(self):
        raise NotImplementedError

    def tail(self):
        lines = []
        if self.loss:
            lines.append(f"target: {self.text['t']}")
            factor = "" if self.v["f"] == 1 else ", factor: 1/2"
            lines.append(f"loss: {{kind: squared_error{factor}}}")
        if self.train:
            lines.append(f"train: {{learning_rate: {self.text['eta']}}}")
        return lines

    def loss_setup(self, rng):
        self.number(rng, "t", -1, 1, 1, nonzero=False)
        self.v["f"] = float(rng.choice([1.0, 0.5]))
        self.text["eta"] = str(rng.choice(["0.1", "0.5", "0.2", "1"]))
        self.v["eta"] = float(self.text["eta"])

    def dloss(self, y, m):
        f = self.v["f"]
        g = 2 * f * ((self.v["t"] - y) if m.kind == "sign" else (y - self.v["t"]))
        if m.kind == "loss factor":
            g = g * m.factor
        return g

    def loss_variants(self):
        return [Mistake("sign", {"at": "dL/dy_hat"}),
                Mistake("loss factor", {"at": "dL/dy_hat", "factor": 0.5 if self.v["f"] == 1 else 2.0})]


class Linear(Template):
    """y_hat = x*w + b with a squared error."""
    name = "linear"
    kinds = ("term left out", "sign", "loss factor")

    def __init__(self, rng):
        super().__init__(rng)
        self.number(rng, "x", -2, 2)
        self.number(rng, "w", -1, 1, 2)
        self.number(rng, "b", -1, 1, 2)
        self.loss_setup(rng)

    def yaml(self):
        t = self.text
        return "\n".join([
            "graph:", f"  inputs: {{x: {t['x']}}}", f"  params: {{w: {t['w']}, b: {t['b']}}}",
            "  nodes:", "    y_hat: x * w + b", "  output: y_hat", *self.tail()]) + "\n"

    def order(self):
        return ["y_hat", "L", "dL/dy_hat", "dL/dw", "dL/db", "dL/dx", "w'", "b'"]

    def variants(self, kind):
        if kind == "term left out":
            return [Mistake(kind, {"node": "y_hat", "drop": d}) for d in ("x * w", "b")]
        return [v for v in self.loss_variants() if v.kind == kind]

    def run(self, R, m):
        v = self.v
        x, w, b = v["x"], v["w"], v["b"]
        terms = {"x * w": x * w, "b": b}
        if m.kind == "term left out":
            terms.pop(m.drop)
        y = R("y_hat", sum(terms.values()))
        R("L", v["f"] * (y - v["t"]) ** 2)
        gy = R("dL/dy_hat", self.dloss(y, m))
        gw = R("dL/dw", gy * x)
        gb = R("dL/db", gy)
        R("dL/dx", gy * w)
        R("w'", w - v["eta"] * gw)
        R("b'", b - v["eta"] * gb)


class Gate(Template):
    """q = x + y (or x - y); f = q*z: the CS231n example, the output differentiated by itself."""
    name = "gate"
    loss = False
    train = False
    kinds = ("term left out", "sign")

    def __init__(self, rng):
        super().__init__(rng)
        for n in ("x", "y", "z"):
            self.number(rng, n, -4, 4, int(rng.choice([0, 1])))
        self.op = str(rng.choice(["+", "-"]))

    def yaml(self):
        t = self.text
        return "\n".join([
            "graph:", f"  inputs: {{x: {t['x']}, y: {t['y']}, z: {t['z']}}}",
            "  nodes:", f"    q: x {self.op} y", "    f: q * z", "  output: f"]) + "\n"

    def order(self):
        return ["q", "f", "dL/dq", "dL/dz", "dL/dx", "dL/dy"]

    def variants(self, kind):
        if kind == "term left out":
            return [Mistake(kind, {"node": "q", "drop": d}) for d in ("x", "y")]
        if kind == "sign" and self.op == "-":
            return [Mistake(kind, {"at": "dL/dy"})]
        return []

    def run(self, R, m):
        v = self.v
        sgn = 1.0 if self.op == "+" else -1.0
        terms = {"x": v["x"], "y": sgn * v["y"]}
        if m.kind == "term left out":
            terms.pop(m.drop)
        q = R("q", sum(terms.values()))
        R("f", q * v["z"])
        gq = R("dL/dq", v["z"])
        R("dL/dz", q)
        R("dL/dx", gq)
        R("dL/dy", (-sgn if m.kind == "sign" else sgn) * gq)


class Neuron(Template):
    """s = w1*x1 + w2*x2 + b; y_hat = sigmoid(s) with a squared error."""
    name = "neuron"
    kinds = ("term left out", "sign", "loss factor")

    def __init__(self, rng):
        super().__init__(rng)
        for n in ("x1", "x2"):
            self.number(rng, n, -2, 2)
        for n in ("w1", "w2", "b"):
            self.number(rng, n, -1, 1, 2)
        self.loss_setup(rng)
        self.number(rng, "t", 0.1, 0.9, 1)

    def yaml(self):
        t = self.text
        return "\n".join([
            "graph:", f"  inputs: {{x1: {t['x1']}, x2: {t['x2']}}}",
            f"  params: {{w1: {t['w1']}, w2: {t['w2']}, b: {t['b']}}}",
            "  nodes:", "    s: w1 * x1 + w2 * x2 + b", "    y_hat: sigmoid(s)", "  output: y_hat",
            *self.tail()]) + "\n"

    def order(self):
        return ["s", "y_hat", "L", "dL/dy_hat", "dL/ds", "dL/dw1", "dL/dw2", "dL/db", "dL/dx1", "dL/dx2",
                "w1'", "w2'", "b'"]

    def variants(self, kind):
        if kind == "term left out":
            return [Mistake(kind, {"node": "s", "drop": d}) for d in ("w1 * x1", "w2 * x2", "b")]
        return [v for v in self.loss_variants() if v.kind == kind]

    def run(self, R, m):
        v = self.v
        terms = {"w1 * x1": v["w1"] * v["x1"], "w2 * x2": v["w2"] * v["x2"], "b": v["b"]}
        if m.kind == "term left out":
            terms.pop(m.drop)
        s = R("s", sum(terms.values()))
        y = R("y_hat", 1 / (1 + math.exp(-s)))
        R("L", v["f"] * (y - v["t"]) ** 2)
        gy = R("dL/dy_hat", self.dloss(y, m))
        gs = R("dL/ds", gy * y * (1 - y))
        g = {n: R(f"dL/d{n}", gs * v[x]) for n, x in (("w1", "x1"), ("w2", "x2"))}
        g["b"] = R("dL/db", gs)
        R("dL/dx1", gs * v["w1"])
        R("dL/dx2", gs * v["w2"])
        for n in ("w1", "w2", "b"):
            R(f"{n}'", v[n] - v["eta"] * g[n])


class Twice(Template):
    """a = x*y; f = a + a*z: a value used twice, the output differentiated by itself."""
    name = "twice"
    loss = False
    train = False
    kinds = ("term left out", "path left out")

    def __init__(self, rng):
        super().__init__(rng)
        for n in ("x", "y", "z"):
            self.number(rng, n, -3, 3, int(rng.choice([0, 1])))

    def yaml(self):
        t = self.text
        return "\n".join([
            "graph:", f"  inputs: {{x: {t['x']}, y: {t['y']}, z: {t['z']}}}",
            "  nodes:", "    a: x * y", "    f: a + a * z", "  output: f"]) + "\n"

    def order(self):
        return ["a", "f", "dL/da", "dL/dz", "dL/dx", "dL/dy"]

    def variants(self, kind):
        if kind == "term left out":
            return [Mistake(kind, {"node": "f", "drop": d}) for d in ("a", "a * z")]
        if kind == "path left out":
            return [Mistake(kind, {"node": "a", "drop": d}) for d in ("a", "a * z")]
        return []

    def run(self, R, m):
        v = self.v
        a = R("a", v["x"] * v["y"])
        terms = {"a": a, "a * z": a * v["z"]}
        if m.kind == "term left out":
            terms.pop(m.drop)
        R("f", sum(terms.values()))
        paths = {"a": 1.0, "a * z": v["z"]}
        if m.kind == "path left out":
            paths.pop(m.drop)
        ga = R("dL/da", sum(paths.values()))
        R("dL/dz", a)
        R("dL/dx", ga * v["y"])
        R("dL/dy", ga * v["x"])


class Skip(Template):
    """h = tanh(w*x + b); y_hat = v*h + h (h used twice) with a squared error."""
    name = "skip"
    kinds = ("term left out", "path left out", "sign", "loss factor")

    def __init__(self, rng):
        super().__init__(rng)
        self.number(rng, "x", -2, 2)
        for n in ("w", "b", "v"):
            self.number(rng, n, -1, 1, 2)
        self.loss_setup(rng)

    def yaml(self):
        t = self.text
        return "\n".join([
            "graph:", f"  inputs: {{x: {t['x']}}}", f"  params: {{w: {t['w']}, b: {t['b']}, v: {t['v']}}}",
            "  nodes:", "    h: tanh(w * x + b)", "    y_hat: v * h + h", "  output: y_hat", *self.tail()]) + "\n"

    def order(self):
        return ["h", "y_hat", "L", "dL/dy_hat", "dL/dv", "dL/dh", "dL/dw", "dL/db", "dL/dx", "w'", "b'", "v'"]

    def variants(self, kind):
        if kind == "term left out":
            return ([Mistake(kind, {"node": "h", "drop": d}) for d in ("w * x", "b")]
                    + [Mistake(kind, {"node": "y_hat", "drop": d}) for d in ("v * h", "h")])
        if kind == "path left out":
            return [Mistake(kind, {"node": "h", "drop": d}) for d in ("v * h", "h")]
        return [v for v in self.loss_variants() if v.kind == kind]

    def run(self, R, m):
        v = self.v
        inner = {"w * x": v["w"] * v["x"], "b": v["b"]}
        if m.kind == "term left out" and m.node == "h":
            inner.pop(m.drop)
        h = R("h", math.tanh(sum(inner.values())))
        outer = {"v * h": v["v"] * h, "h": h}
        if m.kind == "term left out" and m.node == "y_hat":
            outer.pop(m.drop)
        y = R("y_hat", sum(outer.values()))
        R("L", v["f"] * (y - v["t"]) ** 2)
        gy = R("dL/dy_hat", self.dloss(y, m))
        gv = R("dL/dv", gy * h)
        paths = {"v * h": v["v"], "h": 1.0}
        if m.kind == "path left out":
            paths.pop(m.drop)
        gh = R("dL/dh", gy * sum(paths.values()))
        gpre = gh * (1 - h * h)
        gw = R("dL/dw", gpre * v["x"])
        gb = R("dL/db", gpre)
        R("dL/dx", gpre * v["w"])
        for n, g in (("w", gw), ("b", gb), ("v", gv)):
            R(f"{n}'", v[n] - v["eta"] * g)


TEMPLATES = (Linear, Gate, Neuron, Twice, Skip)


def graph_plan(rng, tpl: Template) -> Plan:
    answers = []
    for name in tpl.order():
        group = tpl.group(name)
        prob = {"value": 0.8, "L": 0.7, "grad": 0.75, "update": 0.6}[group]
        if rng.random() < prob:
            answers.append(((name,), None))
    decimals = {"value": int(rng.choice([3, 4])), "L": int(rng.choice([4, 5])),
                "grad": int(rng.choice([4, 5, 6])), "update": int(rng.choice([4, 5]))}
    return Plan(answers, decimals, bool(rng.random() < 0.5))


def simulate_graph(tpl: Template, plan: Plan, mistake: Mistake = NO_MISTAKE, exact=False):
    m = NO_MISTAKE if exact else mistake
    carried = plan.carried and not exact
    written = {key[0] for key, _ in plan.answers}
    raw, values = {}, {}

    def R(name, x):
        x = float(x)
        raw[(name,)] = np.array(x)
        if carried and name in written:
            x = round(x, plan.decimals[tpl.group(name)])
        if m.kind == "_perturb" and m.key == (name,):
            x = x + 1e-3 * (1 + abs(x))
        values[(name,)] = np.array(x)
        return x

    tpl.run(R, m)
    return raw, values, []


# ----------------------------------------------------------------------------------------------------------
# sheets

@dataclass
class Sheet:
    family: str                 # "layered" or "graph"
    kind: str                   # the planted mistake, "" for an all-correct sheet
    mistake: Mistake
    problem: object             # Net or Template
    plan: Plan
    answers: list               # the student's answers (Answer), in the order computed
    site: int | None = None     # index of the first answer the mistake changes
    changed: list = field(default_factory=list)      # answers off the exact value by a clear margin
    independent: list = field(default_factory=list)  # answers the mistake cannot reach
    right: list = field(default_factory=list)        # answers within tolerance of the exact value
    name: str = ""
    yaml_text: str = ""

    @property
    def site_answer(self):
        return None if self.site is None else self.answers[self.site]


def _problem_yaml(problem) -> str:
    return problem.yaml()


def _shapes(problem):
    if isinstance(problem, Net):
        return problem.shape
    return lambda key: ()


def _to_file(problem, key, array):
    return problem.to_file(key, array) if isinstance(problem, Net) else np.asarray(array)


def _group(problem, key):
    return group_of(key) if isinstance(problem, Net) else problem.group(key[0])


def _address(problem, plan, key, element):
    return problem.address(key, element, plan.style) if isinstance(problem, Net) else key[0]


def _run(problem, plan, mistake=NO_MISTAKE, exact=False):
    if isinstance(problem, Net):
        return simulate(problem, plan, mistake, exact)
    return simulate_graph(problem, plan, mistake, exact)


def render(problem, plan, quantities, exact):
    """The answers of a plan, with the student's values (pre-rounding) and the exact values."""
    answers = []
    for key, element in plan.answers:
        group = _group(problem, key)
        d = plan.decimals[group]
        value, truth = quantities[key], exact[key]
        if element is not None:
            value, truth = value[element], truth[element]
        else:
            value, truth = _to_file(problem, key, value), _to_file(problem, key, truth)
        value, truth = np.asarray(value, dtype=float), np.asarray(truth, dtype=float)
        texts = np.vectorize(lambda x: fmt(x, d), otypes=[object])(value) if value.ndim else \
            np.array(fmt(value, d), dtype=object)
        answers.append(Answer(_address(problem, plan, key, element), key, group, element, d, value, texts, truth))
    return answers


def _unit(answer):
    return 10.0 ** -answer.decimals


def _safe(answers, relu_z):
    """Every written value clear of rounding boundaries and of the edges of its tolerance."""
    for ans in answers:
        for value, truth, text in zip(ans.values.ravel(), ans.exact.ravel(), ans.texts.ravel()):
            if not (np.isfinite(value) and np.isfinite(truth)):
                raise Rejected("not finite")
            if to_boundary(value, ans.decimals) < BOUNDARY_MARGIN:
                raise Rejected(f"{ans.address} at a rounding boundary")
            off = abs(float(text) - truth) / _unit(ans)
            if abs(off - 0.5) < BOUNDARY_MARGIN:
                raise Rejected(f"{ans.address} at the edge of its tolerance")
    for z in relu_z:
        if np.any(np.abs(z) < 0.02):
            raise Rejected("relu near its kink")


def clear_margin(ans: Answer, flat: int, dmin: int) -> bool:
    """Written value off the exact one by more than any rounding could explain."""
    written = float(ans.texts.ravel()[flat])
    truth = float(ans.exact.ravel()[flat])
    off = abs(written - truth)
    return off >= max(5 * _unit(ans), 2 * 10.0 ** -dmin, 0.03 * abs(truth))


def within(ans: Answer, flat: int) -> bool:
    return abs(float(ans.texts.ravel()[flat]) - float(ans.exact.ravel()[flat])) <= 0.5 * _unit(ans)


# -- mistakes in copying ---------------------------------------------------------------------------------

def _digit_positions(text):
    """Positions of a number's digits up to its third significant one (leading zeros included)."""
    out, significant = [], 0
    for i, ch in enumerate(text):
        if ch.isdigit():
            out.append(i)
            if ch != "0" or significant:
                significant += 1
            if significant == 3:
                break
    return out


def digit_variants(text, kind):
    """Texts a copying slip of this kind makes of text (up to its third significant digit)."""
    positions = _digit_positions(text)
    out = []
    if kind == "digit slip":
        for i in positions:
            for d in "0123456789":
                if d != text[i]:
                    out.append(text[:i] + d + text[i + 1:])
    elif kind == "digits transposed":
        for i in positions:
            j = i + 1
            if j < len(text) and text[j].isdigit() and text[i] != text[j]:
                out.append(text[:i] + text[j] + text[i] + text[j + 1:])
    return out


def neighbours(shape, index):
    """Other indices of the same quantity a student may copy from: the same row or column, next to it
    (never the mirror entry, which is a transposition)."""
    out = []
    for axis in range(len(shape)):
        for step in (-1, 1):
            other = list(index)
            other[axis] += step
            if 0 <= other[axis] < shape[axis]:
                other = tuple(other)
                if len(index) == 2 and other == (index[1], index[0]):
                    continue
                out.append(other)
    return out


# -- building sheets -------------------------------------------------------------------------------------

def _dmin(plan):
    return min(plan.decimals.values())


def build(problem, plan, kind, mistake, family="layered"):
    """A sheet: the student's answers with the mistake planted (``kind`` "" for none). Raises Rejected
    when the sheet would be ambiguous."""
    _, exact_vals, _ = _run(problem, plan, exact=True)
    raw_clean, _, relu_clean = _run(problem, plan)
    clean = render(problem, plan, raw_clean, exact_vals)
    sheet = Sheet(family, kind, mistake, problem, plan, clean)
    if not kind:
        _safe(clean, relu_clean)
        sheet.right = [i for i, a in enumerate(clean) if all(within(a, f) for f in range(a.texts.size))]
        return finish(sheet)
    if kind in WRITING_KINDS:
        answers = [Answer(a.address, a.key, a.group, a.element, a.decimals, a.values, a.texts.copy(), a.exact)
                   for a in clean]
        site = mistake.answer
        ans = answers[site]
        if kind == "transposed":
            ans.texts = ans.texts.T.copy()
            ans.values = ans.values.T
        else:
            flat = mistake.flat
            texts = ans.texts.ravel().copy()
            texts[flat] = mistake.text
            ans.texts = texts.reshape(ans.texts.shape)
        # the right value was used on scratch: every answer that depends on it through a written value
        # is left unjudged here when carried (the tool cannot know which value was used)
        depends = set()
        if plan.carried:
            raw_p, _, _ = _run(problem, plan, Mistake("_perturb", {"key": ans.key}))
            depends = {i for i, a in enumerate(clean) if i != site
                       and not np.array_equal(np.asarray(raw_p[a.key]), np.asarray(raw_clean[a.key]))}
        _safe([a for i, a in enumerate(clean)], relu_clean)
        sheet.answers = answers
        sheet.site = site
        dmin = _dmin(plan)
        if kind == "transposed":
            # visible only when the entries differ: the square matrix not symmetric, and any matrix not
            # constant (a matrix of zeros written in the other shape says nothing of a mistake)
            spread = float(np.ptp(ans.exact))
            if spread < max(5 * _unit(ans), 2 * 10.0 ** -dmin, 0.03 * float(np.max(np.abs(ans.exact)))):
                raise Rejected("transposed of a constant matrix")
            if ans.texts.shape == ans.exact.shape:
                ok = any(abs(float(w) - float(e)) >= max(5 * _unit(ans), 2 * 10.0 ** -dmin, 0.03 * abs(float(e)))
                         for w, e in zip(ans.texts.ravel(), ans.exact.ravel()))
                if not ok:
                    raise Rejected("transposed looks the same")
        elif not clear_margin(ans, mistake.flat, dmin):
            raise Rejected("copying slip too small")
        else:
            _no_coincidence(kind, ans, clean[site])
        sheet.changed = [site]
        sheet.independent = [i for i in range(len(answers)) if i != site and i not in depends]
        sheet.right = [i for i, a in enumerate(answers) if i != site
                       and all(within(a, f) for f in range(a.texts.size))]
        return finish(sheet)
    raw_mut, _, relu_mut = _run(problem, plan, mistake)
    answers = render(problem, plan, raw_mut, exact_vals)
    _safe(clean, relu_clean)
    _safe(answers, relu_mut)
    sheet.answers = answers
    dmin = _dmin(plan)
    site = None
    for i, (a, c) in enumerate(zip(answers, clean)):
        if not np.array_equal(a.texts, c.texts):
            site = i
            break
    if site is None:
        raise Rejected("the mistake changes no written answer")
    ans = answers[site]
    if not any(clear_margin(ans, f, dmin) for f in range(ans.texts.size)):
        raise Rejected("the first change is too small to be judged")
    _no_coincidence(kind, ans, clean[site])
    if any(to_boundary(v, ans.decimals) < SITE_MARGIN for v in ans.values.ravel()):
        raise Rejected("the planted value is near a rounding boundary")
    sheet.site = site
    for i, (a, c) in enumerate(zip(answers, clean)):
        if np.array_equal(a.values, c.values):
            sheet.independent.append(i)
        elif any(clear_margin(a, f, dmin) for f in range(a.texts.size)):
            sheet.changed.append(i)
        if all(within(a, f) for f in range(a.texts.size)) and i != site:
            sheet.right.append(i)
    if site in sheet.independent:
        raise Rejected("site unchanged")
    return finish(sheet)


def _no_coincidence(kind, ans, clean):
    """Reject a site whose written value is also, exactly, the right one with its sign flipped or off by a
    factor 2 (then another usual mistake explains it as well as the planted one)."""
    written = ans.written()
    if written.shape != clean.exact.shape:
        return
    moved = ans.texts != clean.texts  # the elements the mistake changed (a whole answer may be judged by them)
    for factor, same in ((-1.0, "sign"), (2.0, "loss factor"), (0.5, "loss factor")):
        if kind == same:
            continue
        for ref in (clean.written(), clean.exact):
            if np.all(np.abs(written - factor * ref)[moved] <= 2.01 * _unit(ans)):
                raise Rejected(f"also off by a factor {factor}")
    if kind not in ("digit slip", "digits transposed") and moved.sum() == 1:
        was, now = clean.texts[moved][0], ans.texts[moved][0]
        if now in digit_variants(was, "digit slip") or now in digit_variants(was, "digits transposed"):
            raise Rejected("also a copying slip")


def finish(sheet):
    body = _problem_yaml(sheet.problem)
    lines = [f"title: {sheet.name or 'generated sheet'}"]
    text = "\n".join(lines) + "\n" + body + "expected:\n" + "".join(a.yaml() for a in sheet.answers)
    sheet.yaml_text = text
    return sheet


def plant(rng, problem, plan, kind, family):
    """A mistake of this kind for this problem and plan, or Rejected."""
    answers = render(problem, plan, _run(problem, plan)[0], _run(problem, plan, exact=True)[1])
    if kind in ("digits transposed", "digit slip", "other element"):
        if not answers:
            raise Rejected("nothing written")
        i = int(rng.integers(len(answers)))
        ans = answers[i]
        if ans.key[0] == "L" and kind == "other element":
            raise Rejected("a scalar")
        flat = int(rng.integers(ans.texts.size))
        text = ans.texts.ravel()[flat]
        if kind == "other element":
            if ans.element is not None:
                shape = _shapes(problem)(ans.key)
                choices = neighbours(shape, ans.element)
                if not choices:
                    raise Rejected("no neighbour")
                other = choices[int(rng.integers(len(choices)))]
                raw = _run(problem, plan)[0][ans.key]
                new = fmt(raw[other], ans.decimals)
            else:
                if ans.texts.size < 2:
                    raise Rejected("one element")
                index = np.unravel_index(flat, ans.texts.shape)
                choices = neighbours(ans.texts.shape, index)
                if not choices:
                    raise Rejected("no neighbour")
                other = choices[int(rng.integers(len(choices)))]
                new = ans.texts[other]
            return Mistake(kind, {"answer": i, "flat": flat, "text": new, "_address": ans.address})
        options = digit_variants(text, kind)
        if not options:
            raise Rejected("no digits to change")
        new = options[int(rng.integers(len(options)))]
        return Mistake(kind, {"answer": i, "flat": flat, "text": new, "_address": ans.address})
    if kind == "transposed":
        cands = [i for i, a in enumerate(answers) if a.key[0] == "dW" and a.element is None]
        if not cands:
            raise Rejected("no weight gradient written whole")
        i = cands[int(rng.integers(len(cands)))]
        return Mistake(kind, {"answer": i, "_address": answers[i].address})
    if family == "layered":
        options = layered_variants(problem, plan, kind)
    else:
        options = problem.variants(kind)
    if not options:
        raise Rejected("kind does not apply")
    return options[int(rng.integers(len(options)))]


def layered_sheet(rng, kind):
    for _ in range(500):
        net = random_net(rng)
        # whoever sends the deltas back through the updated weights has updated them first
        plan = random_plan(rng, net, interleave=True if kind == "stale weights" else None)
        if kind == "loss factor" and ((net.outputs == "mean" and net.K == 2) or (net.samples == "mean" and net.N == 2)):
            continue  # a factor 2 would also be the mean over two outputs or samples
        try:
            mistake = plant(rng, net, plan, kind, "layered") if kind else NO_MISTAKE
            return build(net, plan, kind, mistake, "layered")
        except (Rejected, FloatingPointError):
            continue
    raise RuntimeError(f"could not plant {kind!r}")


def graph_sheet(rng, kind):
    for _ in range(500):
        templates = [t for t in TEMPLATES if not kind or kind in t.kinds or kind in ("digits transposed", "digit slip")]
        tpl = templates[int(rng.integers(len(templates)))](rng)
        plan = graph_plan(rng, tpl)
        try:
            mistake = plant(rng, tpl, plan, kind, "graph") if kind else NO_MISTAKE
            return build(tpl, plan, kind, mistake, "graph")
        except (Rejected, FloatingPointError):
            continue
    raise RuntimeError(f"could not plant {kind!r} in a graph")


def corpus(seed=20260522, per_kind=20, per_graph_kind=16, clean_layered=80, clean_graph=30):
    """The sheets: ``per_kind`` planted sheets per layered kind, ``per_graph_kind`` per graph kind, and
    all-correct ones."""
    rng = np.random.default_rng(seed)
    sheets = []
    with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
        for kind in LAYERED_KINDS:
            for n in range(per_kind):
                s = layered_sheet(rng, kind)
                s.name = f"layered {kind} no. {n + 1}"
                sheets.append(finish(s))
        for kind in GRAPH_KINDS:
            for n in range(per_graph_kind):
                s = graph_sheet(rng, kind)
                s.name = f"graph {kind} no. {n + 1}"
                sheets.append(finish(s))
        for n in range(clean_layered):
            s = layered_sheet(rng, "")
            s.name = f"layered correct no. {n + 1}"
            sheets.append(finish(s))
        for n in range(clean_graph):
            s = graph_sheet(rng, "")
            s.name = f"graph correct no. {n + 1}"
            sheets.append(finish(s))
    return sheets


def own_key(sheet: Sheet):
    """The quantity the mistake is made in (whether or not the sheet writes it)."""
    m, kind = sheet.mistake, sheet.kind
    if kind in WRITING_KINDS:
        return sheet.answers[m.answer].key
    if sheet.family == "graph":
        if kind == "term left out":
            return (m.node,)
        if kind == "path left out":
            return (f"dL/d{m.node}",)
        return (m.at,)
    return {
        "term left out": ("z", m.params.get("layer")),
        "activation not applied": ("a", m.params.get("layer")),
        "sign": ("dA", m.params.get("layer")),
        "loss factor": ("dA", m.params.get("layer")),
        "stale weights": ("dA", m.params.get("layer")),
        "bias not updated": ("b1", m.params.get("layer")),
    }.get(kind) or (
        ("W1" if m.params.get("which") == "W" else "b1", m.params.get("layer")) if kind in ("learning rate", "ascent")
        else ("delta", m.params.get("layer")))


def written_at_mistake(sheet: Sheet) -> bool:
    """Whether the sheet writes the quantity the mistake is made in (else the tool must find it through
    what follows)."""
    return sheet.site_answer.key == own_key(sheet)


# -- explaining a written value with a named mistake (numerical coincidences) ------------------------------

def reproduces(sheet: Sheet, named: str, index: int) -> bool:
    """Whether a mistake of kind ``named``, worked by this simulator from the same sheet, writes the
    same value as the sheet at answer ``index`` (so naming it is as right as naming the planted one)."""
    ans = sheet.answers[index]
    clean = render(sheet.problem, sheet.plan, _run(sheet.problem, sheet.plan)[0],
                   _run(sheet.problem, sheet.plan, exact=True)[1])[index]
    if named in ("digit slip", "digits transposed"):
        if ans.texts.shape != clean.texts.shape:
            return False
        diff = [f for f in range(ans.texts.size) if ans.texts.ravel()[f] != clean.texts.ravel()[f]]
        return len(diff) == 1 and ans.texts.ravel()[diff[0]] in digit_variants(clean.texts.ravel()[diff[0]], named)
    if named == "transposed":
        return ans.texts.ndim == 2 and np.array_equal(ans.texts, clean.texts.T)
    if named == "other element":
        if ans.texts.shape != clean.texts.shape:
            return False
        diff = [f for f in range(ans.texts.size) if ans.texts.ravel()[f] != clean.texts.ravel()[f]]
        return len(diff) == 1 and ans.texts.ravel()[diff[0]] in set(clean.texts.ravel())
    if sheet.family == "layered":
        if named not in LAYERED_KINDS:
            return False
        options = layered_variants(sheet.problem, sheet.plan, named)
    else:
        if named not in GRAPH_KINDS:
            return False
        options = sheet.problem.variants(named)
    exact = _run(sheet.problem, sheet.plan, exact=True)[1]
    for option in options:
        try:
            with np.errstate(all="ignore"):
                raw, _, _ = _run(sheet.problem, sheet.plan, option)
        except (ValueError, AttributeError, KeyError):
            continue
        other = render(sheet.problem, sheet.plan, raw, exact)[index]
        if other.texts.shape == ans.texts.shape and all(
                abs(float(a) - float(b)) <= 1.01 * _unit(ans)
                for a, b in zip(other.texts.ravel(), ans.texts.ravel())):
            return True
    return False
