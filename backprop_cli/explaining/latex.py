"""A worked solution as LaTeX: a complete document that pdflatex compiles, or its body alone.

Formulas are spelt from the same trees as the text (``math``); text from files (titles, names, notes)
is escaped, and the Unicode symbols the tool writes are turned into LaTeX commands, so that nothing
from a file is read as LaTeX and no glyph is missing from the standard fonts.
"""

from __future__ import annotations

import re

from .maths import Call, Elided, Node, Num, Op, Partial, State, Sym, Verbatim, number, operands, signed
from .text import parts, text as plain

GREEK = {"α": r"\alpha", "β": r"\beta", "γ": r"\gamma", "δ": r"\delta", "ε": r"\varepsilon", "η": r"\eta",
         "θ": r"\theta", "λ": r"\lambda", "μ": r"\mu", "σ": r"\sigma", "τ": r"\tau", "φ": r"\phi",
         "ω": r"\omega", "Δ": r"\Delta", "Σ": r"\Sigma", "Θ": r"\Theta"}
SYMBOLS = {"∂": r"\partial", "→": r"\to", "←": r"\leftarrow", "·": r"\cdot", "×": r"\times", "−": "-",
           "²": "^2", "‖": r"\|", "≤": r"\le", "≥": r"\ge", "∞": r"\infty", "ŷ": r"\hat{y}", "…": r"\dots",
           "′": r"\prime", "√": r"\surd", "≈": r"\approx", "±": r"\pm", "∑": r"\Sigma"}
TEXT_ESCAPES = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "%": r"\%",
                "#": r"\#", "_": r"\_", "~": r"\~{}", "^": r"\^{}",
                "—": "---", "–": "--", "\u00a0": "~"}
FUNCTIONS = {"sigma": r"\sigma", "sigma'": r"\sigma'", "tanh": r"\tanh", "exp": r"\exp", "ln": r"\ln",
             "max": r"\max", "min": r"\min", "sin": r"\sin", "cos": r"\cos", "tan": r"\tan"}


_INDEXED = re.compile(r"\^\(([^()]*)\)(?:_([A-Za-z0-9]+))?")  # z^(l)_jk in the tool's words


def escape(text: str) -> str:
    """Text from a file or the tool as LaTeX text: special characters escaped, symbols as math, and the
    layer and index of ``z^(l)_jk`` raised and lowered."""
    pieces, at = [], 0
    for match in _INDEXED.finditer(text):
        pieces.append(_escape(text[at:match.start()]))
        lower = f"_{{{_escape(match[2])}}}" if match[2] else ""
        pieces.append(f"$^{{({_escape(match[1])})}}{lower}$")
        at = match.end()
    pieces.append(_escape(text[at:]))
    return "".join(pieces)


def _escape(text: str) -> str:
    out = []
    for char in text:
        if char in TEXT_ESCAPES:
            out.append(TEXT_ESCAPES[char])
        elif char in GREEK or char in SYMBOLS:
            out.append(f"${GREEK.get(char) or SYMBOLS[char]}$")
        elif ord(char) < 128 or char.isalpha() and ord(char) < 0x250:
            out.append(char)
        elif char.isprintable():
            out.append(f"[U+{ord(char):04X}]")  # no glyph for it in the standard fonts
    return "".join(out)


def _name(base: str) -> str:
    """A symbol's base in math: a single letter in italics, words upright, Greek and symbols as commands."""
    if len(base) == 1 and base.isascii():
        return base
    out, word = [], []
    for char in base:
        command = GREEK.get(char) or SYMBOLS.get(char)
        if command is None and (char.isascii() or char.isalpha() and ord(char) < 0x250):
            word.append(TEXT_ESCAPES.get(char, char) if char in "_$&%#{}" else char)
            continue
        if word:
            out.append(r"\mathrm{" + "".join(word) + "}")
            word = []
        out.append(command if command is not None else f"[U+{ord(char):04X}]")
    if word:
        out.append(r"\mathrm{" + "".join(word) + "}")
    return " ".join(out) if len(out) > 1 else out[0]


def _paren(shown: str) -> str:
    """Parentheses that grow with a fraction inside, and stay plain otherwise."""
    return rf"\left({shown}\right)" if r"\frac" in shown else f"({shown})"


def _number(value: float, precision: int) -> str:
    shown = number(value, precision).replace("−", "-")
    if "e" in shown:
        mantissa, exponent = shown.split("e")
        return rf"{mantissa} \times 10^{{{int(exponent)}}}"
    return {"∞": r"\infty", "-∞": r"-\infty"}.get(shown, shown)


def math(node: Node, precision: int = 6) -> str:
    """The formula in LaTeX math."""
    def spell(node: Node) -> str:
        if isinstance(node, Num):
            return _number(node.value, precision)
        if isinstance(node, Sym):
            shown = _name(node.base)
            sup = (f"({escape(node.layer)})" if node.layer else "") + (r"\prime" if node.prime else "")
            if sup:
                shown += f"^{{{sup}}}"
            if node.index:
                shown += f"_{{{escape(node.index)}}}"
            return shown
        if isinstance(node, Partial):
            d = "d" if node.whole else r"\partial "
            return rf"\frac{{{d}{spell(node.of)}}}{{{d}{spell(node.wrt)}}}"
        if isinstance(node, Elided):
            return rf"\dots\ \text{{({node.count} more terms)}}"
        if isinstance(node, Verbatim):
            return r"\texttt{" + escape(node.text) + "}"
        if isinstance(node, State):
            name = {"m_hat": r"\hat{m}", "v_hat": r"\hat{v}"}.get(node.name, _name(node.name))
            return name + r"\left[" + spell(node.of) + r"\right]"
        if isinstance(node, Call):
            name = FUNCTIONS.get(node.name)
            if name is None:
                bare, prime = node.name.rstrip("'"), "'" * (len(node.name) - len(node.name.rstrip("'")))
                name = r"\operatorname{" + escape(bare) + "}" + prime
            if node.name == "sqrt":
                return rf"\sqrt{{{spell(node.args[0])}}}"
            return name + _paren(", ".join(spell(a) for a in node.args))
        return operation(node)

    def operation(node: Op) -> str:
        op, shown = node.op, operands(node, spell, _paren)
        if op == "+":
            return " + ".join(shown)
        if op == "-":
            return f"{shown[0]} - {shown[1]}"
        if op == "*":
            return r" \cdot ".join(shown)
        if op == "/":
            return rf"\frac{{{spell(node.args[0])}}}{{{spell(node.args[1])}}}"
        if op == "neg":
            return f"-{shown[0]}"
        return f"{{{shown[0]}}}^{{{spell(node.args[1])}}}"

    return spell(node)


WIDE = 90  # characters of plain text past which a step is written one '=' a line
TERMS_A_LINE = 4  # of a long sum, when a step is written one '=' a line


def _broken(node: Node, precision: int) -> str:
    """A long sum over several lines of an ``align*``: a few terms a line, the others indented."""
    if not (isinstance(node, Op) and node.op == "+" and len(node.args) > TERMS_A_LINE):
        return math(node, precision)
    spelt = []
    for i, term in enumerate(node.args):
        shown = math(term, precision)
        if i:
            shown = "+ " + (_paren(shown) if signed(term) else shown)
        spelt.append(shown)
    lines = [" ".join(spelt[i:i + TERMS_A_LINE]) for i in range(0, len(spelt), TERMS_A_LINE)]
    return " \\\\\n  &\\qquad ".join(lines)


def aligned(step_, precision: int, with_note: bool = True) -> str:
    """One step as the rows of an ``align*`` (or ``aligned``) environment: on one row when it fits,
    else one '=' a row, long sums broken over rows."""
    shown = parts(step_, precision)
    spelt = [math(p, precision) for p in shown]
    note = ""
    if with_note and step_.note:
        note = " \\\\\n  &\\quad " + rf"\text{{({escape(step_.note)})}}"
    width = len(" = ".join(plain(p, precision) for p in shown))
    if width <= WIDE or len(spelt) < 3:
        return spelt[0] + " &= " + " = ".join(spelt[1:]) + note
    broken = [spelt[0]] + [_broken(p, precision) for p in shown[1:]]
    return broken[0] + " &= " + broken[1] + "".join(" \\\\\n  &= " + s for s in broken[2:]) + note


def step(step_, precision: int) -> str:
    """One step as an ``align*`` block."""
    return "\\begin{align*}\n  " + aligned(step_, precision) + "\n\\end{align*}"


PREAMBLE = r"""\documentclass[11pt]{article}
\usepackage[utf8]{inputenc}
\usepackage{amsmath}
\usepackage[margin=2cm]{geometry}
\allowdisplaybreaks
\setlength{\parindent}{0pt}
"""


def render(solution, body_only: bool = False) -> str:
    """The solution as a LaTeX document (or its body, to paste into one's own), ending with a newline."""
    return render_all([solution], solution.title, body_only)


def render_all(solutions: list, title: str, body_only: bool = False) -> str:
    """Several solutions (the problems of one file) as one LaTeX document, each on a page of its own."""
    body = "\\clearpage\n".join(_body(solution) for solution in solutions)
    if body_only:
        return body
    return PREAMBLE + r"\title{" + escape(title) + "}\n\\begin{document}\n" + body + "\\end{document}\n"


def _body(solution) -> str:
    precision = solution.precision
    lines = [r"\section*{" + escape(solution.title) + "}"]
    if solution.lines:
        lines += [r"\begin{itemize}"] + [r"  \item " + escape(line) for line in solution.lines] + [r"\end{itemize}"]
    for section in solution.sections:
        lines.append(r"\subsection*{" + escape(section.title) + "}")
        lines += [step(s, precision) for s in section.steps]
        lines += [escape(note) + "\n" for note in section.notes]
    return "\n".join(lines) + "\n"
