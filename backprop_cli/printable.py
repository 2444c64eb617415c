"""Text from files made safe to show: control characters become visible escapes such as ``\\x1b``."""

from __future__ import annotations

# (first, last) code points never shown raw: C0 controls, DEL and C1 controls; the bidi overrides and
# isolates and the invisible bidi marks, which reorder what a terminal shows ("Trojan Source"); the line
# and paragraph separators, which end a line for str.splitlines; surrogates (left in undecodable file
# names) and U+FFFE/U+FFFF, which can be neither encoded nor carried by XML.
_UNSAFE = [(0x00, 0x1F), (0x7F, 0x9F), (0x061C, 0x061C), (0x200E, 0x200F), (0x2028, 0x202E),
           (0x2066, 0x2069), (0xD800, 0xDFFF), (0xFFFE, 0xFFFF)]
_NAMED = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}

_escapes: dict[int, str] = {}
_json_escapes: dict[int, str] = {}


def _codes():
    return (code for first, last in _UNSAFE for code in range(first, last + 1))


def _escape(code: int) -> str:
    if chr(code) in _NAMED:
        return _NAMED[chr(code)]
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` on one line, every control, bidi and unencodable character shown as an escape."""
    text = str(text)
    if text.isprintable():  # the common case, checked in C: every character escaped here is unprintable
        return text
    if not _escapes:
        _escapes.update({code: _escape(code) for code in _codes()})
    return text.translate(_escapes)


def json_safe(text: str) -> str:
    """JSON text with what json.dumps leaves raw (DEL, C1, bidi, separators, surrogates) as ``\\uXXXX``.

    Outside its strings JSON is ASCII, so the escaped text decodes to the very same document.
    """
    import re  # only for JSON output

    pattern = "[" + "".join(f"\\u{first:04x}-\\u{last:04x}" for first, last in _UNSAFE if first >= 0x7F) + "]"
    if re.search(pattern, text) is None:  # the common case, searched in C (re caches the pattern)
        return text
    if not _json_escapes:
        _json_escapes.update({code: f"\\u{code:04x}" for code in _codes() if code >= 0x7F})
    return text.translate(_json_escapes)
