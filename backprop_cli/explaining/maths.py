"""Formulas as small trees, written as plain text; the LaTeX and MathML spellings read the same trees.

A worked step writes one formula twice: in symbols (``δ = ∂L/∂a · σ'(z)``) and with the numbers put in
(``0.7414 · 0.1868``). Both are trees of these nodes, so every output format spells the same formula.
"""

from __future__ import annotations

from typing import NamedTuple, Union


class Sym(NamedTuple):
    """A quantity's symbol: ``base^(layer)_index``, primed once updated."""

    base: str
    layer: str = ""
    index: str = ""
    prime: bool = False


class Num(NamedTuple):
    """A number, shown to the solution's precision."""

    value: float


class Call(NamedTuple):
    """A function applied to arguments: ``sigma``, ``sigma'``, ``tanh``, ``exp``, ``ln``, ``max``, ``sqrt``."""

    name: str
    args: tuple


class Op(NamedTuple):
    """An operator on operands: ``+`` (any number), ``-``, ``*`` (any number), ``/``, ``^``, ``neg``."""

    op: str
    args: tuple


class Partial(NamedTuple):
    """The derivative ``∂of/∂wrt``; ``whole`` for the total derivative ``d of/d wrt``, where the partial
    one (the other names held fixed) is shown beside it."""

    of: "Node"
    wrt: "Node"
    whole: bool = False


class Elided(NamedTuple):
    """Terms of a sum left out: ``…`` and how many."""

    count: int


class State(NamedTuple):
    """What an optimizer keeps for a parameter: ``m[w^(2)_11]``, ``v̂[b^(1)_2]``."""

    name: str
    of: "Node"


STATE_TEXT = {"m_hat": "m̂", "v_hat": "v̂"}


class Verbatim(NamedTuple):
    """A formula kept as the file wrote it (indexing, stacking: nothing to put numbers into)."""

    text: str


Node = Union[Sym, Num, Call, Op, Partial, Elided, State, Verbatim]

FUNCTION_TEXT = {"sigma": "σ", "sigma'": "σ'"}
MOST_TERMS = 8  # terms of a sum written out; past this, the first ones, "…" and the last


def add(*terms: Node) -> Node:
    return terms[0] if len(terms) == 1 else Op("+", terms)


def sub(a: Node, b: Node) -> Op:
    return Op("-", (a, b))


def mul(*factors: Node) -> Node:
    return factors[0] if len(factors) == 1 else Op("*", factors)


def div(a: Node, b: Node) -> Op:
    return Op("/", (a, b))


def power(a: Node, b: Node) -> Op:
    return Op("^", (a, b))


def neg(a: Node) -> Op:
    return Op("neg", (a,))


def call(name: str, *args: Node) -> Call:
    return Call(name, args)


def total(terms: list[Node], most: int = MOST_TERMS) -> Node:
    """The sum of the terms, written out up to ``most`` of them, else the first, "…" and the last."""
    if not terms:
        return Num(0.0)
    if len(terms) > most:
        terms = [*terms[:most - 2], Elided(len(terms) - (most - 1)), terms[-1]]
    return add(*terms)


def substitute(node: Node, leaf) -> Node:
    """The tree with every symbol for which ``leaf(symbol)`` gives a node replaced by it."""
    if isinstance(node, Sym):
        found = leaf(node)
        return node if found is None else found
    if isinstance(node, (Op, Call)):
        return type(node)(node[0], tuple(substitute(a, leaf) for a in node.args))
    return node


def elided(node: Node) -> bool:
    """Whether some terms of the formula are left out (it cannot be worked again from what is shown)."""
    if isinstance(node, Elided):
        return True
    if isinstance(node, (Op, Call)):
        return any(elided(a) for a in node.args)
    if isinstance(node, Partial):
        return False
    return False


def precedence(node: Node) -> int:
    """How tightly a node binds: sums 1, products 2, a sign 3, powers 4, atoms 5."""
    if isinstance(node, Op):
        return {"+": 1, "-": 1, "*": 2, "/": 2, "neg": 3, "^": 4}[node.op]
    if isinstance(node, Num) and node.value < 0:
        return 3  # written with its sign
    if isinstance(node, Partial) or isinstance(node, Sym) and (node.layer or node.index or node.prime):
        return 4  # a derivative or a decorated symbol is grouped before a power
    return 5


def signed(node: Node) -> bool:
    """Whether the node is written starting with a minus sign (a negative number, a negation)."""
    return precedence(node) == 3


def operands(node: Op, spell, paren) -> list[str]:
    """Each operand of an operator spelt, in parentheses where the operator needs them: the same rules in
    every format (a format that draws a fraction bar or raises an exponent groups those on its own)."""
    op, args = node.op, node.args
    if op == "+":
        tight = [None] + [3 if signed(a) else None for a in args[1:]]  # None: never in parentheses
    elif op == "-":
        tight = [None, 3 if signed(args[1]) else 1]
    elif op == "*":
        tight = [3 if i or signed(a) else 1 for i, a in enumerate(args)]
    elif op == "/":
        tight = [1, 3]
    elif op == "neg":
        tight = [3]
    else:
        tight = [4, 4]
    return [paren(spell(a)) if t is not None and precedence(a) <= t else spell(a) for a, t in zip(args, tight)]


def number(value: float, precision: int) -> str:
    """A value to ``precision`` significant digits, with a real minus sign."""
    if value != value:
        return "nan"
    if value in (float("inf"), float("-inf")):
        return "∞" if value > 0 else "−∞"
    text = f"{value:.{precision}g}"
    if text == "-0":
        text = "0"
    return text.replace("-", "−")


def text(node: Node, precision: int = 6) -> str:
    """The formula in plain Unicode text, as a hand solution writes it."""
    def spell(node: Node) -> str:
        if isinstance(node, Num):
            return number(node.value, precision)
        if isinstance(node, Sym):
            return symbol(node)
        if isinstance(node, Elided):
            return f"… ({node.count} more terms)"
        if isinstance(node, Verbatim):
            return node.text
        if isinstance(node, State):
            return f"{STATE_TEXT.get(node.name, node.name)}[{spell(node.of)}]"
        if isinstance(node, Partial):
            d = "d" if node.whole else "∂"
            return f"{d}{spell(node.of)}/{d}{spell(node.wrt)}"
        if isinstance(node, Call):
            name = FUNCTION_TEXT.get(node.name, node.name)
            return f"{name}({', '.join(spell(a) for a in node.args)})"
        return operation(node)

    def operation(node: Op) -> str:
        op, shown = node.op, operands(node, spell, lambda inner: f"({inner})")
        if op == "+":
            return " + ".join(shown)
        if op == "-":
            return f"{shown[0]} − {shown[1]}"
        if op == "*":
            return " · ".join(shown)
        if op == "/":
            return f"{shown[0]} / {shown[1]}"
        if op == "neg":
            return f"−{shown[0]}"
        exponent = node.args[1]
        if isinstance(exponent, Num) and exponent.value == 2:
            return f"{shown[0]}²"
        return f"{shown[0]}^{shown[1]}"

    return spell(node)


def symbol(sym: Sym) -> str:
    """``base^(layer)_index'`` as the tables and addresses write it."""
    shown = sym.base
    if sym.layer:
        shown += f"^({sym.layer})"
    if sym.index:
        shown += f"_{{{sym.index}}}" if "," in sym.index else f"_{sym.index}"
    return shown + ("'" if sym.prime else "")
