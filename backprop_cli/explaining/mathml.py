"""Formulas as MathML (Core), which current browsers render natively: no script, no network."""

from __future__ import annotations

from html import escape

from .maths import Call, Elided, Node, Num, Op, Partial, State, Sym, Verbatim, number, operands

FUNCTIONS = {"sigma": "σ", "sigma'": "σ'", "ln": "ln"}


def _token(text: str) -> str:
    """Digits as a number, anything else as an identifier, commas as separators."""
    pieces = []
    for i, part in enumerate(text.split(",")):
        if i:
            pieces.append("<mo>,</mo>")
        pieces.append(f"<mn>{escape(part)}</mn>" if part.isdigit() else f"<mi>{escape(part)}</mi>")
    return pieces[0] if len(pieces) == 1 else "<mrow>" + "".join(pieces) + "</mrow>"


def _number(value: float, precision: int) -> str:
    shown = number(value, precision)
    sign = ""
    if shown.startswith("−"):
        sign, shown = "<mo>−</mo>", shown[1:]
    if "e" in shown:
        mantissa, exponent = shown.split("e")
        power = str(int(exponent.replace("−", "-"))).replace("-", "−")
        exponent_ml = (f"<mrow><mo>−</mo><mn>{power[1:]}</mn></mrow>" if power.startswith("−")
                       else f"<mn>{power}</mn>")
        body = f"<mn>{mantissa}</mn><mo>×</mo><msup><mn>10</mn>{exponent_ml}</msup>"
        return f"<mrow>{sign}{body}</mrow>"
    body = f"<mn>{escape(shown)}</mn>"
    return f"<mrow>{sign}{body}</mrow>" if sign else body


def _paren(inner: str) -> str:
    return f"<mrow><mo>(</mo>{inner}<mo>)</mo></mrow>"


def math(node: Node, precision: int = 6) -> str:
    """The formula as MathML content for a ``<math>`` element."""
    def spell(node: Node) -> str:
        if isinstance(node, Num):
            return _number(node.value, precision)
        if isinstance(node, Sym):
            base = f"<mi>{escape(node.base)}</mi>"
            upper = ""
            if node.layer:
                upper = f"<mo>(</mo>{_token(node.layer)}<mo>)</mo>"
            if node.prime:
                upper += "<mo>′</mo>"
            upper = f"<mrow>{upper}</mrow>" if upper else ""
            lower = _token(node.index) if node.index else ""
            if upper and lower:
                return f"<msubsup>{base}{lower}{upper}</msubsup>"
            if upper:
                return f"<msup>{base}{upper}</msup>"
            if lower:
                return f"<msub>{base}{lower}</msub>"
            return base
        if isinstance(node, Partial):
            d = "<mi>d</mi>" if node.whole else "<mo>∂</mo>"
            return f"<mfrac><mrow>{d}{spell(node.of)}</mrow><mrow>{d}{spell(node.wrt)}</mrow></mfrac>"
        if isinstance(node, Elided):
            return f"<mrow><mo>…</mo><mtext>({node.count} more terms)</mtext></mrow>"
        if isinstance(node, Verbatim):
            return f"<mtext>{escape(node.text)}</mtext>"
        if isinstance(node, State):
            bare = node.name.removesuffix("_hat")
            name = f"<mi>{escape(bare)}</mi>"
            if bare != node.name:
                name = f"<mover>{name}<mo>^</mo></mover>"
            return f"<mrow>{name}<mo>[</mo>{spell(node.of)}<mo>]</mo></mrow>"
        if isinstance(node, Call):
            if node.name == "sqrt":
                return f"<msqrt>{spell(node.args[0])}</msqrt>"
            name = FUNCTIONS.get(node.name, node.name)
            bare = name.rstrip("'")
            shown = f"<mi>{escape(bare)}</mi>"
            if bare != name:
                shown = f"<msup>{shown}<mo>{'′' * (len(name) - len(bare))}</mo></msup>"
            args = "<mo>,</mo>".join(spell(a) for a in node.args)
            return f"<mrow>{shown}{_paren(args)}</mrow>"
        return operation(node)

    def operation(node: Op) -> str:
        op, shown = node.op, operands(node, spell, _paren)
        if op == "/":
            return f"<mfrac>{spell(node.args[0])}{spell(node.args[1])}</mfrac>"
        if op == "^":
            return f"<msup>{shown[0]}{spell(node.args[1])}</msup>"
        if op == "neg":
            return f"<mrow><mo>−</mo>{shown[0]}</mrow>"
        sign = {"+": "<mo>+</mo>", "-": "<mo>−</mo>", "*": "<mo>·</mo>"}[op]
        return f"<mrow>{sign.join(shown)}</mrow>"

    return spell(node)
