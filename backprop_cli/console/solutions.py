"""``backprop explain``: a file worked out step by step, in the format asked for, to stdout or a file."""

from __future__ import annotations

import sys

import click

from .output import echo

RENDERERS = {"text": "text", "markdown": "markdown", "latex": "latex", "html": "html"}  # format -> module of
# backprop_cli.explaining with render(solution, ...)


def write_solution(file: str, quantities: tuple[str, ...], output_format: str, output_file: str | None,
                   precision: int, body_only: bool) -> None:
    """Work the file, explain it, render it; exit 2 when it is invalid (after its errors are shown)."""
    from importlib import import_module

    from ..explaining import explain
    from ..read.addresses import AddressError
    from .worked import work_each
    if output_file is not None:
        from .reports import refuse_target
        refuse_target("--output", output_file, [file], "the problem file")
    result = next(work_each([file]))
    if result is None:
        sys.exit(2)
    try:
        solution = explain(result, quantities, precision)
    except AddressError as exc:
        hint = f" ({exc.hint})" if exc.hint else ""
        raise click.BadParameter(f"{exc}{hint}", param_hint="QUANTITIES") from None
    module = import_module(f"..explaining.{RENDERERS[output_format]}", __package__)
    text = module.render(solution) if output_format == "text" else module.render(solution, body_only=body_only)
    if output_file is None:
        if output_format == "text":
            from .output import encodable
            text = encodable(text, sys.stdout)
        echo(text, nl=False)
    else:
        from .reports import write
        write("--output", output_file, text)
