"""A progress bar for a long run, drawn on standard error of a terminal; nothing when piped."""

from __future__ import annotations

import sys
from typing import Callable


def progress_bar(total: int, label: str, at_least: int) -> Callable[[int, int], None] | None:
    """A callback ``(done, total)`` that advances a bar, or None when the run is short (under
    ``at_least``) or standard error is not a terminal."""
    if total < at_least or not sys.stderr.isatty():
        return None
    from rich.console import Console
    from rich.progress import Progress
    bar = Progress(console=Console(stderr=True), transient=True)
    task = bar.add_task(label, total=total)
    bar.start()

    def advance(done: int, total: int) -> None:
        bar.update(task, completed=done)
        if done >= total:
            bar.stop()
    return advance
