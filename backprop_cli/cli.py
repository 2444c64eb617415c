"""The ``backprop`` command: parse options, call the library, map its errors to exit codes.

Exit codes: 0 success, 1 a checked answer is wrong, 2 unreadable or invalid input (or bad usage),
3 an internal error (a bug, reported in one line), 130 interrupted (Ctrl-C), 141 the reader of standard
output went away (``backprop run FILE | head -1``).
"""

from __future__ import annotations

import functools
import gc
import os
import sys
from typing import Callable

import click

from . import __version__
from .console.output import echo, protect_streams, silence_stdout

EXIT_INVALID = 2
EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE


def failure(exc: BaseException) -> int:
    """Report what stopped the command (one line; click's usage text for bad usage); its exit code."""
    try:
        return _report(exc)
    except BrokenPipeError:  # the reader of the message went away too
        return _report(BrokenPipeError())


def _report(exc: BaseException) -> int:
    from .errors import ProblemError, internal_error
    if isinstance(exc, BrokenPipeError):
        silence_stdout()
        return EXIT_BROKEN_PIPE
    if isinstance(exc, click.ClickException):
        show_usage_error(exc)
        return exc.exit_code
    if isinstance(exc, (click.exceptions.Abort, KeyboardInterrupt)):
        echo("backprop: interrupted", err=True)
        return EXIT_INTERRUPTED
    if isinstance(exc, ProblemError):
        for diagnostic in exc.diagnostics:
            echo(diagnostic.format(), err=True)
        return EXIT_INVALID
    echo(f"backprop: {internal_error(exc)}", err=True)
    return EXIT_INTERNAL


def show_usage_error(exc: click.ClickException) -> None:
    """Click's message for bad usage, with anything typed on the command line shown printably."""
    import io
    from .printable import printable
    buffer = io.StringIO()
    exc.show(file=buffer)
    echo("\n".join(printable(line) for line in buffer.getvalue().rstrip("\n").split("\n")), err=True)


def reports_errors(command: Callable) -> Callable:
    """Turn everything but click's own exceptions into a message and an exit code (see failure())."""
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except (click.ClickException, click.exceptions.Exit):
            raise
        except (Exception, KeyboardInterrupt) as exc:  # never a traceback
            sys.exit(failure(exc))
    return wrapper


def entry(args: list[str] | None = None) -> None:
    """The console script: run ``main`` and turn every way it can end into a message and an exit code."""
    protect_streams()
    # A run builds many small objects and frees them at the end; collecting cycles among them every
    # 700 allocations costs more than a third of the time of a large file, and finds none.
    gc.set_threshold(100_000, 50, 50)
    try:
        code = main.main(args, prog_name="backprop", standalone_mode=False)
    except SystemExit as exc:
        code = exc.code
    except (Exception, KeyboardInterrupt) as exc:
        code = failure(exc)
    try:
        sys.stdout.flush()
    except BrokenPipeError as exc:
        code = failure(exc)
    sys.exit(code)


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
        backprop examples seeds/ece421-hw6-q1.yaml && backprop run ece421-hw6-q1.yaml
    """


def output_options(command: Callable, pages: bool = False) -> Callable:
    """--format, --precision and --color, shared by the commands that print results; ``pages`` adds
    the Markdown and HTML formats (a page to hand out)."""
    command = click.option("--color/--no-color", "colour", default=None,
                           help="Force colour on or off (default: on for a terminal unless NO_COLOR is set).")(command)
    command = click.option("--precision", type=click.IntRange(1, 17), default=6, show_default=True,
                           help="Significant digits shown in tables (display only).")(command)
    formats = ["table", "json", "markdown", "html"] if pages else ["table", "json"]
    extra = "; Markdown or one self-contained HTML page to hand out" if pages else ""
    return click.option("--format", "output_format", type=click.Choice(formats), default="table",
                        show_default=True,
                        help=f"Tables for people, JSON (full float64 precision) for scripts{extra}.")(command)


def document_option(command: Callable) -> Callable:
    """--document N: one problem of a file that holds several (YAML documents separated by ---)."""
    return click.option("--document", type=click.IntRange(1), metavar="N",
                        help="In a file of several problems (separated by ---), only the Nth.")(command)


def page_options(command: Callable) -> Callable:
    """The output options with the page formats."""
    return output_options(command, pages=True)


def print_reports(reports: list, colour: bool | None) -> None:
    """Tables with rich on a colour terminal, as plain text otherwise; a blank line between reports."""
    from .console.output import encodable, is_unicode
    if not is_unicode(sys.stdout):  # spelt before the layout, so that the columns stay aligned
        from .render.report import respelt
        reports = [respelt(built, lambda text: encodable(text, sys.stdout)) for built in reports]
    if use_colour(colour):
        from .render import terminal
        for i, built in enumerate(reports):
            if i:
                echo()
            terminal.render(built, sys.stdout)
    else:
        from .render import text
        echo("\n".join(text.render(built) for built in reports), nl=False)


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(allow_dash=True, path_type=str))
@page_options
@reports_errors
def run(files: tuple[str, ...], output_format: str, precision: int, colour: bool | None) -> None:
    """Work problems out: forward pass, loss, deltas, gradients and updates, layer by layer.

    FILES are worked in order, and every problem of a file that holds several (YAML documents
    separated by ---); - reads standard input. An invalid file or problem is reported and the others
    are still worked (exit 2). With several problems, --format json prints an array with one document
    per problem (null for an invalid one).

    \b
    Example:
        backprop examples seeds/exercise-7-1.yaml && backprop run exercise-7-1.yaml --precision 4
    """
    from .console.worked import work_each
    results = work_each(files)
    if output_format in ("markdown", "html"):
        from .console.pages import worked_page
        worked = list(results)
        echo(worked_page([r for r in worked if r is not None], output_format, precision), nl=False)
        sys.exit(EXIT_INVALID if None in worked else 0)
    if output_format == "json":
        from .render import json as json_render
        texts = [None if result is None else json_render.render(result) for result in results]
        echo(json_render.documents(texts) if len(texts) > 1 else texts[0] or "", nl=False)
        invalid = texts.count(None)
    else:
        from .render import layout
        shown = invalid = 0
        for result in results:
            if result is None:
                invalid += 1
                continue
            if shown:
                echo()
            print_reports([layout.build(result, precision)], colour)
            shown += 1
    sys.exit(EXIT_INVALID if invalid else 0)


@main.command()
@click.argument("file", type=click.Path(allow_dash=True, path_type=str))
@click.argument("quantities", nargs=-1)
@click.option("--format", "output_format", type=click.Choice(["text", "markdown", "latex", "html"]),
              default="text", show_default=True, help="Plain text, Markdown with math, a LaTeX document, or an HTML page.")
@click.option("--output", "output_file", metavar="FILE", help="Write to this file instead of standard output.")
@click.option("--precision", type=click.IntRange(1, 17), default=6, show_default=True,
              help="Significant digits of the numbers shown (display only).")
@click.option("--body-only", is_flag=True, help="LaTeX and HTML: the body alone, to paste into a document of your own.")
@document_option
@reports_errors
def explain(file: str, quantities: tuple[str, ...], output_format: str, output_file: str | None, precision: int,
            body_only: bool, document: int | None) -> None:
    """Work a problem out step by step: each quantity's formula, the numbers put in, and the result.

    QUANTITIES (addresses as in expected:, such as dL/dw^(2)_11 or delta^(1)) cut the solution down to
    what they depend on. A file of several problems (separated by ---) is explained problem by problem,
    or only the one --document N names (QUANTITIES need it).

    \b
    Example:
        backprop examples mazur.yaml && backprop explain mazur.yaml "dE/dw^(2)_11" --format html --output mazur.html
    """
    from .console.solutions import write_solution
    write_solution(file, quantities, output_format, output_file, precision, body_only, document)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=str))
@page_options
@click.option("--junit", "junit_file", metavar="FILE",
              help="Also write JUnit XML (one testcase per answer) to this file, replaced atomically.")
@click.option("--round", "rounding", type=click.IntRange(0, 15),
              help="Decimals a sheet rounded every step to (overrides a file's check.round).")
@reports_errors
def check(paths: tuple[str, ...], output_format: str, precision: int, colour: bool | None,
          junit_file: str | None, rounding: int | None) -> None:
    """Verify the expected answers in files, folders (recursively) or globs.

    Exit 0 when every answer passes, 1 when one is wrong, 2 when a file or an answer cannot be read
    or there is nothing to check.

    \b
    Example:
        backprop examples mazur.yaml && backprop check mazur.yaml --junit report.xml
    """
    from .checking.batch import check_paths
    if junit_file is not None:
        from .checking.batch import collect
        from .console.reports import refuse_target
        refuse_target("--junit", junit_file, collect(list(paths))[0])
    run_ = check_paths(list(paths), rounding)
    for outcome in run_.outcomes:
        for diagnostic in outcome.diagnostics:
            echo(diagnostic.format(), err=True)
        for bad in outcome.checked.unreadable if outcome.checked else ():
            for diagnostic in bad.diagnostics:
                echo(diagnostic.format(), err=True)
    if run_.nothing_to_check:
        echo("backprop: nothing to check: " + ("no file has an expected: section" if run_.outcomes
                                               else "no YAML files found"), err=True)
    if junit_file is not None:
        from .console.reports import write
        from .render import junit
        write("--junit", junit_file, junit.render(run_))
    if output_format == "json":
        from .render import check_json
        echo(check_json.render(run_), nl=False)
    elif output_format in ("markdown", "html"):
        from .console.pages import checked_page
        echo(checked_page(run_, output_format, precision), nl=False)
    else:
        from .render import verdicts
        print_reports(verdicts.reports(run_, precision), colour)
        echo(verdicts.closing_line(run_))
    sys.exit(run_.exit_code)


@main.command()
@click.argument("key", type=click.Path(path_type=str))
@click.argument("submissions", nargs=-1, required=True, type=click.Path(path_type=str))
@output_options
@click.option("--details", is_flag=True, help="Every answer of every student, with its verdict, points and reason.")
@click.option("--csv", "csv_file", metavar="FILE", help="Also write one row per student: points per question, total.")
@click.option("--gradescope", "gradescope_path", metavar="FILE|DIR",
              help="Also write Gradescope's results.json: to FILE for one submission, or DIR/<student>/results.json.")
@click.option("--junit", "junit_file", metavar="FILE", help="Also write JUnit XML: a suite per student, a case per question.")
@click.option("--jobs", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Grade in this many processes (the results are the same, in the same order).")
@click.option("--round", "rounding", type=click.IntRange(0, 15),
              help="Decimals the sheets rounded every step to (else tried from the decimals written).")
@reports_errors
def grade(key: str, submissions: tuple[str, ...], output_format: str, precision: int, colour: bool | None,
          details: bool, csv_file: str | None, gradescope_path: str | None, junit_file: str | None, jobs: int,
          rounding: int | None) -> None:
    """Grade answer sheets against an answer key: a score per student, partial credit, exports.

    KEY is a problem file whose grading: (or expected:) section says what is asked and for how many
    points, or a folder of per-student variant keys. SUBMISSIONS are answer sheets (YAML: student and
    answers), CSV/TSV exports (a student column, one column per address), folders and globs. Against
    a key of several problems (YAML documents separated by ---), each address follows its problem's
    number: "2: L".
    Exit 0 when every submission was graded, 1 when one could not be read at all, 2 for a bad key,
    bad usage or nothing to grade.

    \b
    Example:
        backprop examples class/key.yaml class/sheets.csv && backprop grade key.yaml sheets.csv --details
    """
    from .checking.classroom import grade_paths, read_keys, submissions as found
    from .console.progress import progress_bar
    from .console.reports import refuse_target, write, write_gradescope
    files, _ = found(list(submissions))
    inputs = [key, *files]
    for option, path in (("--csv", csv_file), ("--junit", junit_file)):
        if path is not None:
            refuse_target(option, path, inputs, "the key and the sheets", "the input file")
    keys = read_keys(key)
    if not files:
        echo("backprop: nothing to grade: no answer sheets (YAML, CSV or TSV) found", err=True)
        sys.exit(EXIT_INVALID)
    grades = grade_paths(keys, list(submissions), rounding, jobs, progress=progress_bar(len(files), "grading", at_least=20))
    for refused in grades.refused:
        for diagnostic in refused.diagnostics:
            echo(diagnostic.format(), err=True)
    from .render import grades as layout
    if csv_file is not None:
        write("--csv", csv_file, layout.to_csv(grades))
    if junit_file is not None:
        from .render import junit
        write("--junit", junit_file, junit.render_grades(grades))
    if gradescope_path is not None:
        write_gradescope(gradescope_path, grades)
    if output_format == "json":
        echo(layout.to_json(grades), nl=False)
    else:
        reports = layout.summary(grades) + (layout.details(grades, precision) if details else [])
        print_reports(reports, colour)
        echo(layout.closing_line(grades))
    sys.exit(grades.exit_code)


@main.command()
@click.argument("template", type=click.Path(dir_okay=False, path_type=str))
@click.option("--students", "roster", required=True, type=click.Path(dir_okay=False, path_type=str),
              help="Roster: a CSV (or .tsv) file with a header row and a 'student' column.")
@click.option("--out", "folder", required=True, type=click.Path(file_okay=False, path_type=str),
              help="Folder for <id>.yaml (to hand out) and keys/<id>.yaml (made if missing).")
@click.option("--seed", default=0, show_default=True, type=click.IntRange(0, 2 ** 32 - 1),
              help="Another seed draws other numbers for everyone.")
@click.option("--force", is_flag=True, help="Overwrite files that are already there.")
@reports_errors
def variants(template: str, roster: str, folder: str, seed: int, force: bool) -> None:
    """Write a variant of TEMPLATE for every student of the roster, each with its own numbers, and its key.

    Every {draw: [low, high]} or {choose: [...]} of the template is replaced by a number drawn from the
    seed, the student's id and the draw's place: the same seed and roster give the same files.

    \b
    Example:
        backprop examples class/templates/homework-4.yaml class/roster.csv && backprop variants homework-4.yaml --students roster.csv --out hw4
    """
    from .authoring.variants import write_variants
    from .printable import printable
    for path in write_variants(template, roster, folder, seed, force=force):
        echo(f"wrote {printable(path)}")


def complete_example(ctx, param, incomplete: str) -> list[str]:
    """Shell completion of example names."""
    from .console.examples import names
    return [name for name in names() if name.startswith(incomplete)]


@main.command()
@click.argument("names", nargs=-1, shell_complete=complete_example)
@click.option("--to", "folder", default=".", show_default=True, type=click.Path(file_okay=False, path_type=str),
              help="Folder to copy the examples into (made if missing).")
@click.option("--force", is_flag=True, help="Overwrite files that are already there.")
@reports_errors
def examples(names: tuple[str, ...], folder: str, force: bool) -> None:
    """List the example problems installed with backprop, or copy the NAMES given into a folder.

    Each is copied under its own file name (seeds/exercise-7-1.yaml as exercise-7-1.yaml); a file
    already there is left alone unless --force is given.

    \b
    Example:
        backprop examples seeds/exercise-7-1.yaml --to work && backprop run work/exercise-7-1.yaml
    """
    from .console import examples as example_files
    from .printable import printable
    if names:
        for path in example_files.copy(list(names), folder, force):
            echo(f"wrote {printable(path)}")
        return
    listed = example_files.names()
    width = max(map(len, listed))
    echo("\n".join(f"{name.ljust(width)}  {printable(example_files.title(name))}".rstrip() for name in listed))


@main.command()
@click.option("--output", "-o", metavar="FILE", help="Write to this file, replaced atomically (default: standard output).")
@reports_errors
def schema(output: str | None) -> None:
    """Print the JSON Schema of problem files and answer sheets, for editors to complete and check them.

    An editor with a YAML language server uses it for a file whose first line is
    "# yaml-language-server: $schema=problem.schema.json" (a path relative to the file, or a URL).

    \b
    Example:
        backprop schema --output problem.schema.json
    """
    from .read.schema import text
    if output is None or output == "-":
        echo(text(), nl=False)
        return
    from .console.reports import refuse_target, write
    refuse_target("--output", output, [])
    write("--output", output, text())


@main.command()
@click.argument("file", type=click.Path(allow_dash=True, path_type=str))
@click.option("--format", "output_format", type=click.Choice(["svg", "dot", "png"]), default="svg", show_default=True,
              help="SVG (drawn by backprop itself), Graphviz DOT text, or PNG (made by Graphviz's dot).")
@click.option("--output", "-o", metavar="FILE",
              help="Write to this file, replaced atomically (default: standard output; png needs a file).")
@click.option("--gradients", is_flag=True, help="Also show each weight's gradient and each unit's delta.")
@click.option("--precision", type=click.IntRange(1, 17), default=4, show_default=True,
              help="Significant digits of the values shown.")
@document_option
@reports_errors
def draw(file: str, output_format: str, output: str | None, gradients: bool, precision: int,
         document: int | None) -> None:
    """Draw a worked problem: units and weights of a network, or the nodes of a graph and what they use.

    Values are those of the first step (and the first sample); - reads the problem from standard input.
    Of a file of several problems (separated by ---), --document N chooses the one drawn.
    PNG needs Graphviz's dot on the PATH: without it the DOT text is written instead, to the --output
    name with .dot, and one line on standard error says so.

    \b
    Example:
        backprop examples mazur.yaml && backprop draw mazur.yaml --gradients --output mazur.svg
    """
    from .console.reports import refuse_target, write
    from .console.worked import STDIN, numeric, work
    output = None if output == "-" else output
    if output_format == "png" and output is None:
        echo("backprop: --format png needs --output FILE (a PNG is not written to standard output)", err=True)
        sys.exit(EXIT_INVALID)
    inputs = [] if file == STDIN else [file]
    if output is not None:
        refuse_target("--output", output, inputs, "the problem drawn")
    from . import drawing
    result = numeric(work(file, document), "draw")
    text = drawing.draw(result, "dot" if output_format == "png" else output_format, gradients, precision)
    if output is None:
        echo(text, nl=False)
    elif output_format != "png":
        write("--output", output, text)
    else:
        from .drawing import png
        dot = png.program()
        if dot is not None:
            png.write_png(text, output, dot)
            return
        from .printable import printable
        instead = os.path.splitext(output)[0] + ".dot"
        refuse_target("--output", instead, inputs, "the problem drawn")
        write("--output", instead, text)
        echo(f"backprop: Graphviz's dot is not on the PATH, so no PNG was made; wrote the DOT text to "
             f"{printable(instead)} instead", err=True)
