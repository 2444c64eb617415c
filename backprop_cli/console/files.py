"""Output files (``--junit``, copied examples): refused when unsafe, written atomically."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from typing import Iterable

KINDS = {stat.S_ISDIR: "a directory", stat.S_ISFIFO: "a named pipe (FIFO)", stat.S_ISCHR: "a character device",
         stat.S_ISBLK: "a block device", stat.S_ISSOCK: "a socket"}


def refusal(path: str) -> str | None:
    """Why no file may be written at ``path`` (an empty name, or something not a regular file), or None.

    The path is only looked at, never opened: opening a FIFO would wait for a reader.
    """
    if not path:
        return "expected a file name, found an empty one"
    try:
        mode = os.stat(path).st_mode
    except OSError:  # absent (fine), or unreachable: writing it reports why
        return None
    if stat.S_ISREG(mode):
        return None
    kind = next((name for test, name in KINDS.items() if test(mode)), "not a regular file")
    return f"expected a regular file, found {kind}"


def same_file(path: str, others: Iterable[str]) -> str | None:
    """The first of ``others`` that is the file at ``path`` (also through links), or None."""
    try:
        target = os.stat(path)
    except OSError:
        return None  # nothing there yet, so it is none of the existing others
    for other in others:
        try:
            found = os.stat(other)
        except OSError:
            continue
        if (found.st_dev, found.st_ino) == (target.st_dev, target.st_ino):
            return other
    return None


def _mode(target: str) -> int:
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_atomically(path: str, text: str) -> None:
    """Write UTF-8 text to ``path`` through a temporary file in the same folder, renamed into place.

    A reader (or a second writer) sees the old file or the new one, never a part of either. A symbolic
    link is followed, so that the link keeps pointing at the new file.
    """
    target = os.path.realpath(path)
    descriptor, temporary = tempfile.mkstemp(dir=os.path.dirname(target), prefix=f".{os.path.basename(target)}.",
                                             suffix=".tmp")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, _mode(target))  # mkstemp makes it private; keep the usual permissions
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
