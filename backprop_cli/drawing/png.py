"""PNG through Graphviz: ``dot -Tpng`` on the DOT text, when the program is installed."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile

from ..errors import Diagnostic, ProblemError

TIMEOUT = 120  # seconds dot may take


def program() -> str | None:
    """Where Graphviz's ``dot`` is, or None when it is not on PATH."""
    return shutil.which("dot")


def write_png(dot_text: str, path: str, dot: str) -> None:
    """Render the DOT text with ``dot`` into a temporary file beside ``path``, renamed into place
    (raises ProblemError when dot fails or the file cannot be written)."""
    target = os.path.realpath(path)
    try:
        descriptor, temporary = tempfile.mkstemp(dir=os.path.dirname(target), prefix=f".{os.path.basename(target)}.",
                                                 suffix=".tmp")
    except OSError as exc:
        raise _refused(path, f"expected a file that can be written, found: {exc.strerror or exc}")
    try:
        os.close(descriptor)
        try:
            ran = subprocess.run([dot, "-Tpng", "-o", temporary], input=dot_text.encode("utf-8"),
                                 capture_output=True, timeout=TIMEOUT)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise _refused(path, f"expected dot -Tpng to run, found: {exc}")
        if ran.returncode != 0:
            said = ran.stderr.decode("utf-8", "replace").strip().splitlines()
            raise _refused(path, f"expected dot -Tpng to succeed, found exit code {ran.returncode}"
                                 + (f": {said[0]}" if said else ""))
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _refused(path: str, why: str) -> ProblemError:
    return ProblemError([Diagnostic(path, 1, 1, "--output", why)])
