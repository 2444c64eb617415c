"""``backprop explain``: a file worked out step by step, in the format asked for, to stdout or a file."""

from __future__ import annotations

import sys

import click

from .output import echo

RENDERERS = {"text": "text", "markdown": "markdown", "latex": "latex", "html": "html"}  # format -> module of
# backprop_cli.explaining with render(solution, ...)


def write_solution(file: str, quantities: tuple[str, ...], output_format: str, output_file: str | None,
                   precision: int, body_only: bool, document: int | None = None) -> None:
    """Work the file, explain it, render it; exit 2 when it is invalid (after its errors are shown). A
    file of several problems is explained problem by problem, or only the one numbered ``document``."""
    from ..explaining import explain
    from ..read.addresses import AddressError
    from .worked import numeric, pick, problems_of, work_parts
    if output_file is not None:
        from .reports import refuse_target
        refuse_target("--output", output_file, [file], "the problem file")
    found = pick(problems_of(file), document)
    if quantities and len(found) > 1:
        raise click.BadParameter(f"expected the quantities of one problem, found {len(found)} problems in the file: "
                                 "choose one with --document N", param_hint="QUANTITIES")
    results = list(work_parts(found))
    if None in results:
        sys.exit(2)
    solutions = []
    for result in results:
        numeric(result, "explain")
        try:
            solutions.append(explain(result, quantities, precision))
        except AddressError as exc:
            hint = f" ({exc.hint})" if exc.hint else ""
            raise click.BadParameter(f"{exc}{hint}", param_hint="QUANTITIES") from None
    text = rendered(solutions, found[0].source, output_format, body_only)
    if output_file is None:
        if output_format == "text":
            from .output import encodable
            text = encodable(text, sys.stdout)
        echo(text, nl=False)
    else:
        from .reports import write
        write("--output", output_file, text)


def rendered(solutions: list, source: str, output_format: str, body_only: bool) -> str:
    """The solutions in the format asked for: text and Markdown one after another, LaTeX and HTML as
    one document titled with the file's name."""
    from importlib import import_module
    module = import_module(f"..explaining.{RENDERERS[output_format]}", __package__)
    if output_format == "text":
        return "\n".join(module.render(solution) for solution in solutions)
    if len(solutions) == 1 or output_format == "markdown":
        return "\n".join(module.render(solution, body_only=body_only) for solution in solutions)
    return module.render_all(solutions, source, body_only=body_only)
