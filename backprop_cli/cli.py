"""The ``backprop`` command: parse options, call the library, map its errors to exit codes.

Exit codes: 0 success, 1 a checked answer is wrong, 2 unreadable or invalid input (or bad usage),
3 an internal error (a bug, reported in one line).
"""

from __future__ import annotations

import functools
import os
import sys
from typing import Callable

import click

from . import __version__

EXIT_INVALID = 2
EXIT_INTERNAL = 3


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
        except Exception as exc:  # a bug of ours: one line, not a traceback
            click.echo(f"backprop: internal error: {type(exc).__name__}: {exc} (please report this with the file)",
                       err=True)
            sys.exit(EXIT_INTERNAL)
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


def output_options(command: Callable) -> Callable:
    """--format, --precision and --color, shared by the commands that print results."""
    command = click.option("--color/--no-color", "colour", default=None,
                           help="Force colour on or off (default: on for a terminal unless NO_COLOR is set).")(command)
    command = click.option("--precision", type=click.IntRange(1, 17), default=6, show_default=True,
                           help="Significant digits shown in tables (display only).")(command)
    return click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table",
                        show_default=True,
                        help="Tables for people, JSON (full float64 precision) for scripts.")(command)


def print_reports(reports: list, colour: bool | None) -> None:
    """Tables with rich on a colour terminal, as plain text otherwise."""
    if use_colour(colour):
        from .render import terminal
        for built in reports:
            terminal.render(built, sys.stdout)
    else:
        from .render import text
        click.echo("\n".join(text.render(built) for built in reports), nl=False)


@main.command()
@click.argument("file", type=click.Path(path_type=str))
@output_options
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
    from .render import layout
    print_reports([layout.build(result, precision)], colour)


@main.command()
@click.argument("paths", nargs=-1, required=True)
@output_options
@click.option("--junit", "junit_file", type=click.Path(dir_okay=False, writable=True, path_type=str),
              help="Also write JUnit XML (one testcase per answer) to this file.")
@click.option("--round", "rounding", type=click.IntRange(0, 15),
              help="Decimals a sheet rounded every step to (overrides a file's check.round).")
@reports_errors
def check(paths: tuple[str, ...], output_format: str, precision: int, colour: bool | None,
          junit_file: str | None, rounding: int | None) -> None:
    """Verify the expected answers in files, folders (recursively) or globs.

    Exit 0 when every answer passes, 1 when one is wrong, 2 when a file is invalid.

    \b
    Example:
        backprop check problems/keys/ --junit report.xml
    """
    from .checking.batch import check_paths
    run_ = check_paths(list(paths), rounding)
    for outcome in run_.outcomes:
        for diagnostic in outcome.diagnostics:
            click.echo(diagnostic.format(), err=True)
    if junit_file:
        from .render import junit
        try:
            with open(junit_file, "w", encoding="utf-8") as handle:
                handle.write(junit.render(run_))
        except OSError as exc:
            click.echo(f"{junit_file}:1:1: error: --junit: expected a file that can be written, found: "
                       f"{exc.strerror}", err=True)
            sys.exit(EXIT_INVALID)
    if output_format == "json":
        from .render import check_json
        click.echo(check_json.render(run_), nl=False)
    else:
        from .render import verdicts
        print_reports(verdicts.reports(run_, precision), colour)
        click.echo(verdicts.closing_line(run_))
    sys.exit(run_.exit_code)
