"""Hostile input never crashes, hangs or exhausts memory.

Each case runs `backprop run` or `backprop check` in a child process and proves: the exit code is the
one declared (never 3, an internal error); invalid input gives exactly the declared number of stderr
lines, each `FILE:LINE:COL: error: ...` (a successful run may only add `FILE: warning: ...` lines);
nothing prints a traceback or a raw terminal control byte (ESC, BEL), not even into the JUnit XML;
the problem file is left unchanged; the child takes under 5 s and peaks under 300 MB. The child runs
under a 2 GB address-space limit and is killed when its 5 s are up, so a hang fails its case instead
of hanging CI.
"""

from __future__ import annotations

import contextlib
import os
import re
import resource
import signal
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Callable, NamedTuple

import pytest

HOSTILE = Path(__file__).parent / "hostile"
CLI = (sys.executable, "-m", "backprop_cli")  # the console script's entry point, as a user runs it
SECONDS = 5.0
MEGABYTES = 300
HARD_TIMEOUT = SECONDS
ADDRESS_SPACE = 2 * 1024 ** 3
TERMINAL_CONTROL = (b"\x1b", b"\x07")

FAILING_TODAY: dict[str, str] = {}  # case id -> what happens today


def known_failure(case_id: str):
    """A strict xfail for a case in FAILING_TODAY; for any other case a mark that changes nothing."""
    return pytest.mark.xfail(case_id in FAILING_TODAY, reason=FAILING_TODAY.get(case_id, ""), strict=True)


class Outcome(NamedTuple):
    exit: int
    stdout: bytes
    stderr: bytes
    seconds: float
    max_rss_mb: float


def _limit_address_space() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def start(args, stdin: bytes | None = None, env: dict | None = None, prefix=CLI) -> subprocess.Popen:
    """The command started in a child process with a memory limit; pair with finish()."""
    proc = subprocess.Popen([*prefix, *map(str, args)], stdin=subprocess.DEVNULL if stdin is None else subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, **(env or {})},
                            preexec_fn=_limit_address_space)
    proc.started = time.monotonic()
    return proc


def _feed(pipe, data: bytes) -> None:
    with contextlib.suppress(BrokenPipeError):
        pipe.write(data)
        pipe.close()


def finish(proc: subprocess.Popen, stdin: bytes | None = None) -> Outcome:
    """Feed stdin, collect the output streams still open, reap the child (killed when its time is up)."""
    output: dict[str, bytes] = {}
    streams = {name: getattr(proc, name) for name in ("stdout", "stderr") if not getattr(proc, name).closed}
    jobs = [lambda name=name, stream=stream: output.__setitem__(name, stream.read())
            for name, stream in streams.items()]
    if stdin is not None:
        jobs.append(lambda: _feed(proc.stdin, stdin))
    threads = [threading.Thread(target=job) for job in jobs]
    for thread in threads:
        thread.start()
    deadline = proc.started + HARD_TIMEOUT
    while not (reaped := os.wait4(proc.pid, os.WNOHANG))[0]:
        if time.monotonic() > deadline:
            os.kill(proc.pid, signal.SIGKILL)
            deadline = float("inf")
        time.sleep(0.005)
    seconds = time.monotonic() - proc.started
    _, status, usage = reaped
    proc.returncode = os.waitstatus_to_exitcode(status)
    for thread in threads:
        thread.join()
    for stream in streams.values():
        stream.close()
    return Outcome(proc.returncode, output.get("stdout", b""), output.get("stderr", b""), seconds,
                   usage.ru_maxrss / 1024)


def run_cli(args, stdin: bytes | None = None, env: dict | None = None, prefix=CLI) -> Outcome:
    """Run the command line in a child process: exit code, output, wall time and peak resident size."""
    return finish(start(args, stdin, env, prefix), stdin)


def stderr_lines(outcome: Outcome) -> list[str]:
    """Standard error split at newlines only (a terminal breaks lines nowhere else)."""
    lines = outcome.stderr.decode("utf-8", errors="replace").split("\n")
    return lines[:-1] if lines[-1] == "" else lines


def assert_calm(outcome: Outcome, exits: tuple[int, ...], paths: list[str], lines: int | None = 1) -> None:
    """The checks every case shares: exit code, stderr lines, no traceback or control bytes, time, memory."""
    shown = outcome.stderr[-600:].decode("utf-8", errors="replace")
    assert outcome.seconds < SECONDS, f"took {outcome.seconds:.1f} s (exit {outcome.exit})"
    assert outcome.max_rss_mb < MEGABYTES, f"peaked at {outcome.max_rss_mb:.0f} MB (exit {outcome.exit})"
    assert outcome.exit in exits, f"exit {outcome.exit}, expected {exits}; stderr: {shown}"
    assert b"Traceback" not in outcome.stderr + outcome.stdout, shown
    for byte in TERMINAL_CONTROL:
        assert byte not in outcome.stdout and byte not in outcome.stderr, f"raw {byte!r} in the output"
    where = "|".join(re.escape(p) if p.isprintable() else ".+" for p in paths)
    if outcome.exit == 2 and lines is not None:
        found = stderr_lines(outcome)
        assert len(found) == lines, f"{len(found)} stderr lines, expected {lines}: {shown}"
        for line in found:
            assert re.fullmatch(rf"(?:{where}):\d+:\d+: error: .+", line), repr(line)
    elif outcome.exit != 2:
        for line in stderr_lines(outcome):
            assert re.fullmatch(rf"(?:{where}): warning: .+", line), repr(line)


# -- generated problems -----------------------------------------------------------------------------

def network(layers: str, inputs: int = 1, input: str = "1", target: str = "1", extra: str = "") -> str:
    return (f"network:\n  inputs: {inputs}\n  layers:\n{layers}input: {input}\ntarget: {target}\n"
            f"loss: squared_error\n{extra}")


def graph(nodes: str, inputs: str = "{x: 1}", extra: str = "") -> str:
    return f"graph:\n  inputs: {inputs}\n  nodes:\n{nodes}{extra}"


def listed(items) -> str:
    return "[" + ", ".join(map(str, items)) + "]"


SMALL = network("    - {units: 2, weights: 0.1}\n", target="[1, 0]")


def fill(units: list[int], inputs: int = 1, extra: str = "") -> str:
    """Layers of the given widths, every weight 0.1 (a tiny file for a large network)."""
    return network("".join(f"    - {{units: {u}, weights: 0.1}}\n" for u in units), inputs,
                   target=listed([1] * units[-1]) if units[-1] > 1 else "1", extra=extra)


def answers(entries) -> str:
    """An expected: section of (address, value) pairs."""
    return "expected:\n" + "".join(f"  {address}: {value}\n" for address, value in entries)


def ring(count: int) -> str:
    """Graph nodes each defined by the one before it."""
    return "".join(f"    n{i}: n{i - 1} + 1\n" if i else "    n0: x + 1\n" for i in range(count))


class Case(NamedTuple):
    id: str
    source: Path | str | bytes | Callable[[], str | bytes] | None  # a corpus file, a text, a generator; None: a FIFO
    exit: int | tuple[int, ...] = 2
    args: tuple[str, ...] = ("run", "{file}")
    lines: int | None = 1  # error lines on exit 2; None: not counted
    at: tuple[str, ...] = ()  # the first error's column points at one of these texts
    says: tuple[str, ...] = ()  # texts stderr contains
    name: str = "problem.yaml"


def corpus(name: str) -> Path:
    return HOSTILE / f"{name}.yaml"


CHECK = ("check", "{file}")
CASES = [
    # ordinary hostile files
    Case("empty", corpus("empty")),
    Case("comment-only", corpus("comment-only")),
    Case("top-level-list", corpus("top-level-list")),
    Case("top-level-scalar", corpus("top-level-scalar")),
    Case("unknown-key", corpus("unknown-key")),
    Case("units-as-text", corpus("units-as-text")),
    Case("negative-units", corpus("negative-units")),
    Case("fractional-units", corpus("fractional-units")),
    Case("huge-units", corpus("huge-units")),
    Case("boolean-weights", corpus("boolean-weights")),
    Case("nan-input", corpus("nan-input")),
    Case("nan-string-input", corpus("nan-string-input")),
    Case("inf-learning-rate", corpus("inf-learning-rate")),
    Case("inf-string-learning-rate", corpus("inf-string-learning-rate")),
    Case("overflowing-weight", corpus("overflowing-weight")),
    Case("fraction-over-zero", corpus("fraction-over-zero")),
    Case("timestamp-learning-rate", corpus("timestamp-learning-rate")),
    Case("tab-indentation", corpus("tab-indentation")),
    Case("duplicate-key", corpus("duplicate-key")),
    Case("merge-key", corpus("merge-key")),
    Case("python-tag", corpus("python-tag")),
    Case("complex-key", corpus("complex-key")),
    Case("two-documents", corpus("two-documents"), exit=0),  # two problems in one file: both worked
    Case("empty-document-between", SMALL + "---\n---\n" + SMALL),  # the others still worked
    Case("10k-tiny-documents", lambda: "---\na: 1\n" * 10_000, args=CHECK),
    Case("100-documents", lambda: ("---\n" + SMALL) * 100, exit=0),
    Case("alias-bombs-over-two-documents", lambda: 2 * ("---\nlist: &x [" + ", ".join(["1"] * 99) + "]\nmore: ["
                                                        + ", ".join(["*x"] * 1200) + "]\n")),
    Case("alias-bomb", corpus("alias-bomb")),
    Case("recursive-alias", corpus("recursive-alias")),
    Case("deep-flow-nesting", lambda: "description: " + "[" * 100_000 + "]" * 100_000 + "\n" + SMALL),
    Case("deep-mapping-nesting", lambda: "description: " + "{a: " * 100 + "1" + "}" * 100 + "\n" + SMALL),
    Case("non-utf8-byte", b"title: caf\xe9\n" + SMALL.encode()),
    Case("utf8-bom", b"\xef\xbb\xbf" + SMALL.encode(), exit=0),
    Case("utf16", "\ufefftitle: wide\n".encode("utf-16-le") + SMALL.encode("utf-16-le")),
    Case("control-character", b"title: bell\x01\n" + SMALL.encode()),
    Case("nul-byte", b"title: a\x00b\n" + SMALL.encode()),
    Case("file-over-16-mib", lambda: "#" * (17 * 1024 * 1024) + "\n" + SMALL),
    Case("missing-file", SMALL, args=("run", "{dir}/missing.yaml")),
    Case("directory", SMALL, args=("run", "{dir}")),
    Case("int-with-5000-digits", lambda: SMALL + "train: {learning_rate: " + "1" * 5000 + "}\n"),
    Case("100k-digits-then-letter", lambda: SMALL + "train: {learning_rate: \"" + "1" * 100_000 + "x\"}\n"),
    Case("every-weight-null", corpus("every-weight-null"), exit=(0, 2)),
    Case("zero-samples", corpus("zero-samples"), exit=(0, 2), lines=2),
    Case("learning-rate-1e308", corpus("learning-rate-1e308"), exit=0),
    Case("init-std-1e308", corpus("init-std-1e308"), exit=0),
    Case("l2-1e308", corpus("l2-1e308"), exit=0),
    Case("z-plus-minus-1000", corpus("z-plus-minus-1000"), exit=0),
    # shared parameters
    Case("shared-bias-collision", corpus("shared-bias-collision"), says=("a b", "a_b")),
    Case("parameter-vs-shared-bias", corpus("parameter-vs-shared-bias")),
    Case("unknown-parameter-name", corpus("unknown-parameter-name")),
    # formulas
    Case("graph-empty-nodes", corpus("graph-empty-nodes")),
    Case("graph-mean-of-empty", corpus("graph-mean-of-empty"), exit=(0, 2)),
    Case("graph-literal-60-zeros", corpus("graph-literal-60-zeros"), exit=0),
    Case("graph-literal-400-zeros", corpus("graph-literal-400-zeros")),
    Case("graph-huge-slope", corpus("graph-huge-slope"), exit=0),
    Case("graph-huge-axis", corpus("graph-huge-axis")),
    Case("graph-huge-slice", corpus("graph-huge-slice"), exit=(0, 2)),
    Case("graph-huge-index", corpus("graph-huge-index")),
    Case("graph-100k-unary-minus", lambda: graph("    y: '" + "-" * 100_000 + "x'\n"), exit=(0, 2)),
    Case("graph-5000-deep-power", lambda: graph("    y: " + "**".join(["x"] * 5000) + "\n"), exit=(0, 2)),
    Case("graph-fullwidth-name", corpus("graph-fullwidth-name")),
    Case("graph-math-bold-name", corpus("graph-math-bold-name")),
    Case("graph-ligature-name", corpus("graph-ligature-name")),
    Case("graph-column-after-sigma", corpus("graph-column-after-sigma"), at=("σ", "unknown_name")),
    Case("graph-column-after-fullwidth", corpus("graph-column-after-fullwidth"), at=("ｘ", "nope")),
    Case("graph-column-after-string", corpus("graph-column-after-string"), at=('"é"', "é", "nope")),
    Case("graph-syntax-error-after-sigma", corpus("graph-syntax-error-after-sigma"), at=("σ", "*")),
    # addresses under expected:
    Case("address-superscript", corpus("address-superscript"), args=CHECK),
    Case("address-trailing-comma", corpus("address-trailing-comma"), args=CHECK),
    Case("address-blank-index", corpus("address-blank-index"), args=CHECK),
    Case("address-with-newline", corpus("address-with-newline"), args=CHECK),
    # newlines and terminal control sequences in what is echoed back
    Case("key-with-newline", corpus("key-with-newline")),
    Case("file-name-with-newline", corpus("top-level-list"), name="bad\nname.yaml"),
    Case("escape-in-layer-name", corpus("escape-in-layer-name"), exit=(0, 2)),
    Case("escape-in-layer-name-json", corpus("escape-in-layer-name"), exit=(0, 2),
         args=("run", "{file}", "--format", "json")),
    Case("escape-in-unknown-key", corpus("escape-in-unknown-key")),
    Case("escape-in-address-junit", corpus("escape-in-address"), args=(*CHECK, "--junit", "{junit}")),
    # the command line
    Case("junit-is-the-problem-file", corpus("answers"), args=(*CHECK, "--junit", "{file}")),
    Case("junit-empty-name", corpus("answers"), args=(*CHECK, "--junit", "")),
    Case("junit-fifo", corpus("answers"), args=(*CHECK, "--junit", "{fifo}")),
    Case("problem-fifo", None),
    # size
    Case("16-mib-8m-values", lambda: "input: [" + "0," * 7_999_999 + "0]\n"),
    Case("2m-yaml-values", lambda: network("    - {units: 1, weights: 0.1}\n", 1_999_900, listed([0] * 1_999_900)),
         exit=(0, 2)),
    Case("yaml-values-just-under-200k", lambda: network("    - {units: 1, weights: 0.1}\n", 199_900,
                                                        listed([0] * 199_900)), exit=0),
    Case("network-values-just-under-2m", lambda: fill([1410, 1410, 1]), exit=0),
    Case("16m-weights-from-a-number", lambda: fill([4000, 4000, 1]), exit=(0, 2)),
    Case("1000x1000-weights-from-a-number", lambda: fill([1000, 1000, 1]), exit=0),
    Case("graph-1000-cubed-product", lambda: graph("    A: transpose([a]) * [a]\n    y: sum(A @ A)\n",
                                                   "{a: " + listed([0.001] * 1000) + "}"), exit=(0, 2)),
    Case("graph-refused-node-used-later", lambda: graph("    A: transpose([a]) * [a]\n    y: sum(A)\n",
                                                        "{a: " + listed([0.5] * 2000) + "}")),
    # quadratic work
    Case("graph-60k-nodes", lambda: graph(ring(60_000)), exit=(0, 2)),
    Case("max-of-20k-arguments", lambda: graph(f"    y: max({', '.join(['x'] * 20_000)})\n"), exit=(0, 2)),
    Case("50k-element-lists", lambda: network(
        f"    - {{units: 50000, activation: {listed(['relu', 'tanh'] * 25_000)}, weights: {listed([0.1] * 50_000)}}}\n"
        "    - {units: 1, weights: 0.1}\n"), exit=0),
    Case("40k-parameters", lambda: "parameters: {" + ", ".join(f"p{i}: 0.1" for i in range(40_000)) + "}\n"
         + network(f"    - {{units: 40000, weights: {listed(f'p{i}' for i in range(40_000))}}}\n"
                   "    - {units: 1, weights: 0.1}\n"), exit=0),
    Case("200k-unknown-keys", lambda: SMALL + "".join(f"key{i}: 1\n" for i in range(200_000)), lines=None),
    Case("10k-correct-answers", lambda: fill([10_000, 1], extra=answers(
        (f"z^(1)_{{{j}}}", 0.1) for j in range(1, 10_001))), exit=0, args=CHECK),
    Case("300-wrong-answers-on-5000-units", lambda: fill([5000, 1], extra=answers(
        (f"z^(1)_{{{j}}}", 7) for j in range(1, 301))), exit=1, args=CHECK),
    # training budgets
    Case("graph-4m-values-1000-steps", lambda: graph(
        "    y: sum(w * transpose([a]) * [a])\n", "{a: " + listed([0.5] * 2000) + "}",
        "  params: {w: 0.5}\ntrain: {learning_rate: 0.000001, steps: 1000}\n")),
    Case("2000-layers-100k-steps", lambda: fill([1] * 2000, extra="train: {learning_rate: 0.1, steps: 100000}\n")),
    Case("1000x1000-layer-one-wrong-answer", lambda: fill([1000, 1000], extra=answers(
        [("dL/dw^(2)_{1,1}", 5)])), exit=1, args=CHECK),
]


def prepare(case: Case, tmp_path: Path) -> tuple[list[str], list[str], Path]:
    """Write the case's problem file; the command's arguments, the paths a diagnostic may name, the file."""
    problem = tmp_path / case.name
    source = case.source() if callable(case.source) else case.source
    if source is None:
        os.mkfifo(problem)
    elif isinstance(source, Path):
        problem.write_bytes(source.read_bytes())
    else:
        problem.write_bytes(source if isinstance(source, bytes) else source.encode("utf-8"))
    places = {"file": str(problem), "dir": str(tmp_path), "junit": str(tmp_path / "report.xml"),
              "fifo": str(tmp_path / "fifo")}
    if any("{fifo}" in a for a in case.args):
        os.mkfifo(places["fifo"])
    args = [a.format(**places) for a in case.args]
    return args, [a for a in args[1:] if not a.startswith("--")], problem


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id, marks=known_failure(c.id)) for c in CASES])
def test_hostile_input(case: Case, tmp_path: Path):
    args, paths, problem = prepare(case, tmp_path)
    before = problem.read_bytes() if problem.is_file() else None
    outcome = run_cli(args)
    assert_calm(outcome, case.exit if isinstance(case.exit, tuple) else (case.exit,), paths, case.lines)
    if before is not None:
        assert problem.read_bytes() == before, "the problem file was changed"
    junit = tmp_path / "report.xml"
    if junit.is_file():
        text = junit.read_bytes()
        assert all(byte not in text for byte in TERMINAL_CONTROL), "raw control bytes in the JUnit XML"
        ET.fromstring(text)
    assert all(text.encode("utf-8") in outcome.stderr for text in case.says), outcome.stderr
    if case.at:
        line, column = map(int, re.match(r".*?:(\d+):(\d+): error: ", stderr_lines(outcome)[0]).groups())
        written = problem.read_text(encoding="utf-8").split("\n")[line - 1]
        assert written[column - 1:].startswith(case.at), f"column {column} points at {written[column - 1:]!r}"
