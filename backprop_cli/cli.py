"""The ``backprop`` command: parse options, call the library, map its errors to exit codes.

Exit codes: 0 success, 1 a checked answer is wrong, 2 unreadable or invalid input (or bad usage).
"""

from __future__ import annotations

import functools
import os
import sys
from typing import Callable

import click

from . import __version__

EXIT_INVALID = 2


def reports_errors(command: Callable) -> Callable:
    """Turn library errors into one line per diagnostic on stderr and exit code 2."""
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        from .errors import ProblemError
        try:
            return command(*args, **kwargs)
        except ProblemError as exc:
            for diagnostic in exc.diagnostics:
                click.echo(diagnostic.format(), err=True)
            sys.exit(EXIT_INVALID)
    return wrapper


def use_colour(choice: bool | None) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set, unless asked for explicitly."""
    if choice is not None:
        return choice
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="backprop")
def main() -> None:
    """Work out and check backpropagation exercises described in YAML files.

    \b
    Example:
        backprop run problems/seeds/exercise-7-1.yaml
    """


@main.command()
@click.argument("file", type=click.Path(path_type=str))  # a directory is reported like any unreadable file
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="Tables for people, JSON (full float64 precision) for scripts.")
@click.option("--precision", type=click.IntRange(1, 17), default=6, show_default=True,
              help="Significant digits shown in tables (display only).")
@click.option("--color/--no-color", "colour", default=None,
              help="Force colour on or off (default: on for a terminal unless NO_COLOR is set).")
@reports_errors
def run(file: str, output_format: str, precision: int, colour: bool | None) -> None:
    """Work a problem out: forward pass, loss, deltas, gradients and updates, layer by layer.

    \b
    Example:
        backprop run problems/seeds/exercise-7-1.yaml --precision 4
    """
    from .api import load, solve
    result = solve(load(file))
    for warning in result.warnings:
        click.echo(f"{file}: warning: {warning}", err=True)
    if output_format == "json":
        from .render import json as json_render
        click.echo(json_render.render(result), nl=False)
        return
    from .render import report
    built = report.build(result, precision)
    if use_colour(colour):
        from .render import terminal
        terminal.render(built, sys.stdout)
    else:
        from .render import text
        click.echo(text.render(built), nl=False)
