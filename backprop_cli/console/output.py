"""Writing to standard output and error in any encoding, and going quiet when the reader has left."""

from __future__ import annotations

import codecs
import os
import sys

ERRORS = "backprop-ascii"  # the codec error handler registered by protect_streams()

# Spellings for the symbols the tables use; Greek letters are spelt by their Unicode names.
SPELLINGS = {
    "∂": "d", "→": "->", "←": "<-", "↦": "|->", "Σ": "sum", "ŷ": "y_hat", "Ŷ": "Y_hat", "²": "^2",
    "³": "^3", "⁻": "^-", "¹": "^1", "⁰": "^0", "≈": "~", "✓": "ok", "✗": "x", "−": "-", "·": "*",
    "‖": "||", "×": "x", "…": "...", "′": "'", "″": "''", "—": "--", "–": "-", "≤": "<=", "≥": ">=",
    "≠": "!=", "±": "+/-", "∞": "inf", "√": "sqrt", "∇": "grad", "⊙": "(*)", "ᵀ": "^T", "‘": "'",
    "’": "'", "“": '"', "”": '"', "\u00a0": " ", "λ": "lambda", "Λ": "Lambda",  # Unicode spells it LAMDA
}


def ascii_spelling(char: str) -> str:
    """An ASCII stand-in for one character: a spelling, its compatibility decomposition, or '?'."""
    if char in SPELLINGS:
        return SPELLINGS[char]
    import unicodedata

    name = unicodedata.name(char, "")
    if name.startswith(("GREEK SMALL LETTER ", "GREEK CAPITAL LETTER ")):  # "... FINAL SIGMA", "... WITH TONOS"
        letter = name.split(" LETTER ", 1)[1].split(" WITH ")[0].split()[-1].lower()
        return letter if "SMALL" in name else letter.capitalize()
    plain = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode("ascii")
    return plain if plain.isprintable() and plain else "?"


def _spell(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeEncodeError):
        raise error
    return "".join(ascii_spelling(c) for c in error.object[error.start:error.end]), error.end


def protect_streams() -> None:
    """Let stdout and stderr spell in ASCII whatever their encoding cannot write (δ as delta, ...)."""
    codecs.register_error(ERRORS, _spell)
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors=ERRORS)


def encodable(text: str, stream) -> str:
    """``text`` with what the stream's encoding cannot write spelt in ASCII."""
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        text.encode(encoding)
        return text
    except UnicodeEncodeError:
        codecs.register_error(ERRORS, _spell)
        return text.encode(encoding, errors=ERRORS).decode(encoding, errors="replace")
    except LookupError:
        return text


def is_unicode(stream) -> bool:
    """Whether the stream's encoding can write every character (UTF-8, UTF-16, ...)."""
    try:
        return codecs.lookup(getattr(stream, "encoding", None) or "utf-8").name.startswith("utf")
    except LookupError:
        return True


# A write larger than the pipe can be cut short without an error when the reader leaves (`| head`);
# the next write then fails, so long text goes out in pieces.
PIECE = 1 << 16


def echo(text: str = "", err: bool = False, nl: bool = True) -> None:
    """Write text to stdout (or stderr) and flush, in whatever encoding the stream has."""
    stream = sys.stderr if err else sys.stdout
    if stream is None:
        return
    text = encodable(text + "\n" if nl else text, stream)
    for start in range(0, len(text), PIECE):
        stream.write(text[start:start + PIECE])
    stream.flush()


def silence_stdout() -> None:
    """After the reader closed the pipe: point stdout at /dev/null so that exiting cannot fail again.

    As the Python documentation recommends for SIGPIPE: the interpreter flushes stdout at exit, and
    a flush into a closed pipe would print an error.
    """
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass
