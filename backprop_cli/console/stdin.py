"""The problems read from standard input (``backprop run -``), with the limits of a file."""

from __future__ import annotations

import sys

NAME = "<stdin>"  # the file name diagnostics give


def stdin_parts(stream=None) -> list:
    """Each problem on standard input, decoded and read like a file (see ``read.files.parts``)."""
    from ..errors import Diagnostic, ProblemError
    from ..read.files import parts
    from ..read.yaml_tree import MAX_BYTES, decode

    if stream is None:
        stream = getattr(sys.stdin, "buffer", None)
    raw = b"" if stream is None else stream.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        raise ProblemError([Diagnostic(NAME, 1, 1, "", f"expected at most {MAX_BYTES:,} bytes on standard input, "
                                                       "found more")])
    return parts(decode(raw, NAME), NAME)
