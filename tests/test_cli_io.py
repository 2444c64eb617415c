"""The command line at its edges: how it ends, what it writes and where, what it reads, what it ships.

In-process tests use click's CliRunner (exact output and exit codes) or call ``entry()`` itself; a
child process is started only where a real one is needed (a closed pipe, a narrow encoding, shell
completion, what start-up imports).
"""

from __future__ import annotations

import io
import json
import os
import shlex
import stat
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET
from pathlib import Path

import click
import pytest
import yaml
from click.testing import CliRunner

from backprop_cli import ProblemError, cli, load
from backprop_cli.console import examples as example_files, output
from backprop_cli.errors import Diagnostic
from backprop_cli.console.files import write_atomically
from backprop_cli.printable import json_safe, printable
from backprop_cli.render.report import Table
from backprop_cli.render.text import render_table
from conftest import PROBLEMS, ROOT

GOLDEN = Path(__file__).parent / "golden"
MAZUR = PROBLEMS / "mazur.yaml"
EXERCISE = PROBLEMS / "seeds" / "exercise-7-1.yaml"
MODULE = (sys.executable, "-m", "backprop_cli")
NET = """\
title: tiny
network:
  inputs: 2
  layers:
    - {name: NAME, units: 2, activation: sigmoid, weights: [[0.1, 0.2], [0.3, 0.4]], bias: [0.1, 0.2]}
input: [0.5, 0.2]
target: [1, 0]
loss: squared_error
"""
HOSTILE_NAME = r'"evil\e[31m\u202e\x9b\n\x07"'  # YAML double-quoted: ESC, RLO, CSI, newline, BEL
HOSTILE_TEXT = "evil\x1b[31m\u202e\x9b\n\x07"
RAW = ("\x1b[31m", "\u202e", "\x9b", "\x07")


def invoke(*args: str, input: bytes | str | None = None):
    return CliRunner().invoke(cli.main, [str(a) for a in args], input=input)


def process(*args, env: dict | None = None, input: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*MODULE, *map(str, args)], input=input, capture_output=True, timeout=120,
                          env={**os.environ, **(env or {})})


def entry(capsys, *args: str) -> tuple[int, str, str]:
    """Run the console script's entry point in this process: exit code, stdout, stderr."""
    with pytest.raises(SystemExit) as ended:
        cli.entry(list(args))
    captured = capsys.readouterr()
    code = ended.value.code
    return (0 if code is None else code), captured.out, captured.err


def golden(name: str) -> str:
    return (GOLDEN / name).read_text(encoding="utf-8")


# -- how it ends ------------------------------------------------------------------------------------------

def test_bad_usage_gives_clicks_message_and_exit_2(capsys):
    code, out, err = entry(capsys, "run", "--frobnicate")
    assert (code, out) == (2, "")
    lines = err.splitlines()  # click's own words, which vary a little between its versions
    assert lines[0] == "Usage: backprop run [OPTIONS] FILES..." and lines[1].startswith("Try 'backprop run -")
    assert lines[-1].startswith("Error: No such option") and "--frobnicate" in lines[-1]
    assert "Traceback" not in err


def test_bad_usage_shows_what_was_typed_printably(capsys):
    code, _, err = entry(capsys, "run", "--fr\x1b[2Job")
    assert code == 2 and "\x1b" not in err and "--fr\\x1b[2Job" in err


def test_ctrl_c_is_one_line_and_exit_130(monkeypatch, capsys):
    def interrupted(problem):
        raise KeyboardInterrupt
    monkeypatch.setattr("backprop_cli.api.solve", interrupted)
    result = invoke("run", MAZUR)
    assert (result.exit_code, result.stdout, result.stderr) == (130, "", "backprop: interrupted\n")
    assert entry(capsys, "run", str(MAZUR)) == (130, "", "backprop: interrupted\n")


def test_click_abort_and_a_bug_outside_the_commands_are_mapped_by_entry(monkeypatch, capsys):
    monkeypatch.setattr(cli.main, "main", lambda *a, **k: (_ for _ in ()).throw(click.exceptions.Abort()))
    assert entry(capsys) == (130, "", "backprop: interrupted\n")
    monkeypatch.setattr(cli.main, "main", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("bo\x1bom")))
    assert entry(capsys) == (3, "", "backprop: internal error: RuntimeError: bo\\x1bom (please report this with "
                                    "the file)\n")


def test_help_and_version_exit_0(capsys):
    code, out, _ = entry(capsys, "--version")
    assert (code, out) == (0, "backprop, version 0.1.0\n")
    code, out, _ = entry(capsys, "run", "-h")
    assert code == 0 and out.startswith("Usage: backprop run [OPTIONS] FILES...")


def test_python_m_is_the_same_command():
    ran = process("run", EXERCISE)
    assert ran.returncode == 0 and ran.stdout.decode("utf-8") == golden("seeds__exercise-7-1.txt")
    assert process("--version").stdout == b"backprop, version 0.1.0\n"


def test_the_console_script_is_the_entry_point():
    tomllib = pytest.importorskip("tomllib")
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    assert scripts == {"backprop": "backprop_cli.cli:entry"}


def test_ctrl_c_in_a_real_process_is_exit_130_without_a_traceback():
    code = ("import backprop_cli.api as api, signal, os\n"
            "def solve(problem):\n    os.kill(os.getpid(), signal.SIGINT)\n"
            "api.solve = solve\nfrom backprop_cli.cli import entry\nentry()\n")
    ran = subprocess.run([sys.executable, "-c", code, "run", str(MAZUR)], capture_output=True, timeout=60)
    assert (ran.returncode, ran.stdout, ran.stderr) == (130, b"", b"backprop: interrupted\n")


@pytest.mark.parametrize("options", [(), ("--format", "json"), ("--color",)], ids=["text", "json", "rich"])
def test_a_reader_that_leaves_ends_the_command_quietly_with_141(options):
    """`backprop run ... | head -1`: far more output than a pipe holds, the reader takes one line."""
    proc = subprocess.Popen([*MODULE, "run", *[str(MAZUR)] * 60, *options], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    first = proc.stdout.readline()
    proc.stdout.close()
    stderr = proc.stderr.read()
    assert proc.wait(timeout=120) == 141
    assert first and stderr == b""


# -- output in any encoding -----------------------------------------------------------------------------

@pytest.mark.parametrize("symbol, spelling", [
    ("δ", "delta"), ("∂", "d"), ("→", "->"), ("←", "<-"), ("ŷ", "y_hat"), ("Σ", "sum"), ("²", "^2"), ("≈", "~"),
    ("✓", "ok"), ("✗", "x"), ("−", "-"), ("·", "*"), ("‖", "||"), ("×", "x"), ("…", "..."), ("′", "'"),
    ("θ", "theta"), ("η", "eta"), ("λ", "lambda"), ("σ", "sigma"), ("ς", "sigma"), ("ά", "alpha"), ("Δ", "Delta"),
    ("—", "--"), ("é", "e"),
    ("ｓ", "s"), ("ﬁ", "fi"), ("☃", "?"), ("\udcff", "?")])
def test_ascii_spellings(symbol, spelling):
    assert output.ascii_spelling(symbol) == spelling


def test_echo_spells_what_the_stream_cannot_encode(monkeypatch):
    stream = io.TextIOWrapper(io.BytesIO(), encoding="cp1252")
    monkeypatch.setattr(sys, "stdout", stream)
    output.echo("δ^(2) = ∂L/∂z → ŷ, 1 × 2 — é")
    stream.flush()
    assert stream.buffer.getvalue() == "delta^(2) = dL/dz -> y_hat, 1 × 2 — é\n".encode("cp1252")


@pytest.mark.parametrize("encoding", ["cp1252", "ascii"])
def test_tables_in_a_narrow_encoding_are_spelt_and_stay_aligned(encoding):
    ran = process("run", EXERCISE, env={"PYTHONIOENCODING": encoding})
    assert ran.returncode == 0 and ran.stderr == b""
    text = ran.stdout.decode(encoding)  # strict: every byte is the encoding's own
    assert "network: 2 -> 3 (relu) -> 2 (sigmoid)" in text and "delta^(l) = dL/dz^(l)" in text
    assert ("Exercise 7.1 — 2-3-2" if encoding == "cp1252" else "Exercise 7.1 -- 2-3-2") in text
    lines = text.splitlines()
    header = lines.index("layer 1: hidden (relu)") + 1
    assert lines[header].endswith("delta^(1)_j = dL/dz^(1)_j") and len(lines[header]) == len(lines[header + 1])


@pytest.mark.parametrize("encoding", ["cp1252", "ascii"])
def test_check_rich_tables_and_errors_in_a_narrow_encoding(tmp_path, encoding):
    ran = process("check", EXERCISE, "--color", env={"PYTHONIOENCODING": encoding})
    assert ran.returncode == 1
    text = ran.stdout.decode(encoding)
    assert "x wrong" in text and "ok correct" in text and "-> follows" in text
    bad = tmp_path / "bad.yaml"
    bad.write_text(NET.replace("title: tiny", "σ_δ: 1"), encoding="utf-8")
    ran = process("run", bad, env={"PYTHONIOENCODING": encoding})
    assert ran.returncode == 2 and len(ran.stderr.decode(encoding).splitlines()) == 1
    assert "sigma_delta" in ran.stderr.decode(encoding)


# -- control characters ---------------------------------------------------------------------------------

@pytest.mark.parametrize("text, shown", [
    ("plain text, δ and ∂ too", "plain text, δ and ∂ too"),
    ("a\x1b[31mred", "a\\x1b[31mred"), ("one\ntwo\tthree\rfour", "one\\ntwo\\tthree\\rfour"),
    ("nul\x00bell\x07del\x7f", "nul\\x00bell\\x07del\\x7f"), ("c1\x85\x9b", "c1\\x85\\x9b"),
    ("rlo\u202eabc\u2066x\u2069", "rlo\\u202eabc\\u2066x\\u2069"), ("line\u2028sep", "line\\u2028sep"),
    ("bad\udcffname", "bad\\udcffname")])
def test_printable_escapes_controls_bidi_and_unencodable_characters(text, shown):
    assert printable(text) == shown


def test_json_safe_keeps_the_document_and_escapes_what_dumps_leaves_raw():
    data = {"name": HOSTILE_TEXT + "\x7f\u2028\udcff", "δ": [1.5]}
    text = json_safe(json.dumps(data, ensure_ascii=False, indent=2))
    assert json.loads(text) == data
    assert not any(c in text for c in ("\x1b", "\x7f", "\x9b", "\u202e", "\u2028", "\udcff"))
    assert "δ" in text


def test_a_diagnostic_is_always_one_printable_line():
    line = Diagnostic("a\nb\x1b.yaml", 3, 4, "key\u202e", "found 'x\ty'", "did you mean '\x07'?").format()
    assert line == "a\\nb\\x1b.yaml:3:4: error: key\\u202e: found 'x\\ty' (did you mean '\\x07'?)"


def test_text_tables_escape_every_cell_and_align_the_escapes():
    table = Table("t\x1b", ["name", "value"], [["a\x1bb", "1"], ["c", "22"]], ["note\n"])
    assert render_table(table).split("\n") == ["t\\x1b", "name    value", "------  -----",
                                               "a\\x1bb      1", "c          22", "note\\n"]


def _hostile_net(tmp_path: Path) -> Path:
    path = tmp_path / "hostile.yaml"
    path.write_text(NET.replace("NAME", HOSTILE_NAME).replace("title: tiny", f"title: {HOSTILE_NAME}"),
                    encoding="utf-8")
    return path


@pytest.mark.parametrize("options", [(), ("--color",)], ids=["text", "rich"])
def test_names_from_a_file_never_reach_the_terminal_raw(tmp_path, options):
    result = invoke("run", _hostile_net(tmp_path), *options)
    assert result.exit_code == 0
    assert not any(raw in result.stdout for raw in RAW)
    assert "evil\\x1b[31m\\u202e\\x9b\\n\\x07" in result.stdout


def test_json_output_has_no_raw_control_characters_and_keeps_the_name(tmp_path):
    result = invoke("run", _hostile_net(tmp_path), "--format", "json")
    assert result.exit_code == 0 and not any(raw in result.stdout for raw in RAW)
    doc = json.loads(result.stdout)
    assert doc["title"] == HOSTILE_TEXT and doc["layers"][0]["name"] == HOSTILE_TEXT


def test_check_tables_junit_and_errors_escape_controls(tmp_path):
    folder = tmp_path / "answers"
    folder.mkdir()
    (folder / "bad\x1b[2Jname.yaml").write_text("- not a problem\n", encoding="utf-8")
    named = NET.replace("NAME", HOSTILE_NAME) + "expected:\n  L: 1000\n"
    (folder / "named.yaml").write_text(named, encoding="utf-8")
    report = tmp_path / "report.xml"
    result = invoke("check", folder, "--junit", report)
    assert result.exit_code == 2
    assert not any(raw in result.output for raw in RAW + ("\x1b[2J",))
    assert result.stderr.count("\n") == 1 and "bad\\x1b[2Jname.yaml:1:1: error:" in result.stderr
    xml = report.read_bytes()
    assert b"\x1b" not in xml
    suites = ET.fromstring(xml)
    assert {s.get("name") for s in suites} == {str(folder / "bad\\x1b[2Jname.yaml"), str(folder / "named.yaml")}


def errors_of(path: Path) -> str:
    """What the library says about an invalid file, one formatted line per diagnostic."""
    with pytest.raises(ProblemError) as raised:
        load(str(path))
    return "".join(d.format() + "\n" for d in raised.value.diagnostics)


def test_a_file_name_with_a_newline_gives_one_error_line(tmp_path):
    path = tmp_path / "bad\nname.yaml"
    path.write_text("- 1\n", encoding="utf-8")
    result = invoke("run", path)
    assert result.exit_code == 2
    assert result.stderr == errors_of(path)
    assert result.stderr.startswith(f"{tmp_path}/bad\\nname.yaml:1:1: error: ") and result.stderr.count("\n") == 1


# -- output files ---------------------------------------------------------------------------------------

def test_write_atomically_replaces_keeps_the_mode_follows_links_and_leaves_nothing_behind(tmp_path):
    target = tmp_path / "report.xml"
    write_atomically(str(target), "first")
    assert target.read_text() == "first"
    target.chmod(0o640)
    link = tmp_path / "link.xml"
    link.symlink_to(target)
    write_atomically(str(link), "second")
    assert link.is_symlink() and target.read_text() == "second"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    with pytest.raises(OSError):
        write_atomically(str(tmp_path / "missing" / "r.xml"), "x")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.xml", "report.xml"]


def test_concurrent_writers_never_leave_a_partial_file(tmp_path):
    target = tmp_path / "report.xml"
    texts = ["<a>" + "x" * 300_000 + "</a>", "<b>" + "y" * 200_000 + "</b>"]
    write_atomically(str(target), texts[0])
    seen = set()

    def writer(text: str) -> None:
        for _ in range(20):
            write_atomically(str(target), text)

    threads = [threading.Thread(target=writer, args=(t,)) for t in texts]
    for thread in threads:
        thread.start()
    while any(t.is_alive() for t in threads):
        seen.add(target.read_text())
    for thread in threads:
        thread.join()
    assert seen <= set(texts) and target.read_text() in texts
    assert [p.name for p in tmp_path.iterdir()] == ["report.xml"]


def _answers(tmp_path: Path) -> Path:
    path = tmp_path / "sheet.yaml"
    path.write_text(NET + "expected:\n  L: 1000\n", encoding="utf-8")
    return path


def _refused(result, problem: Path, before: bytes) -> str:
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert problem.read_bytes() == before
    return result.stderr


def test_an_empty_junit_name_is_refused(tmp_path):
    problem = _answers(tmp_path)
    err = _refused(invoke("check", problem, "--junit", ""), problem, problem.read_bytes())
    assert err == ":1:1: error: --junit: expected a file name, found an empty one\n"


@pytest.mark.parametrize("how", ["same name", "other spelling", "in a folder", "by a glob", "a symlink", "a hard link"])
def test_a_junit_file_that_is_a_checked_file_is_refused_before_anything_is_written(tmp_path, how):
    problem = _answers(tmp_path)
    before = problem.read_bytes()
    junit, paths = str(problem), [str(problem)]
    if how == "other spelling":
        junit = str(tmp_path / "." / "sheet.yaml")
    elif how == "in a folder":
        paths = [str(tmp_path)]
    elif how == "by a glob":
        paths = [str(tmp_path / "*.yaml")]
    elif how == "a symlink":
        junit = str(tmp_path / "report.xml")
        os.symlink(problem, junit)
    elif how == "a hard link":
        junit = str(tmp_path / "report.xml")
        os.link(problem, junit)
    err = _refused(invoke("check", *paths, "--junit", junit), problem, before)
    assert err == (f"{junit}:1:1: error: --junit: expected a file apart from the files checked, found the problem "
                   f"file {problem}\n")


def test_a_junit_target_that_is_not_a_regular_file_is_refused_without_opening_it(tmp_path):
    problem = _answers(tmp_path)
    before = problem.read_bytes()
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    ran = process("check", problem, "--junit", fifo)  # opening the FIFO would wait for a reader forever
    assert ran.returncode == 2 and ran.stdout == b""
    assert ran.stderr.decode() == f"{fifo}:1:1: error: --junit: expected a regular file, found a named pipe (FIFO)\n"
    err = _refused(invoke("check", problem, "--junit", tmp_path), problem, before)
    assert err == f"{tmp_path}:1:1: error: --junit: expected a regular file, found a directory\n"
    err = _refused(invoke("check", problem, "--junit", os.devnull), problem, before)
    assert err == f"{os.devnull}:1:1: error: --junit: expected a regular file, found a character device\n"


def test_an_existing_junit_file_is_replaced_whole(tmp_path):
    problem = _answers(tmp_path)
    report = tmp_path / "report.xml"
    report.write_text("old and not even XML")
    result = invoke("check", problem, "--junit", report)
    assert result.exit_code == 1
    assert ET.parse(report).getroot().get("failures") == "1"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.xml", "sheet.yaml"]


# -- standard input and several files -------------------------------------------------------------------

def test_run_dash_reads_the_problem_from_standard_input():
    result = invoke("run", "-", input=MAZUR.read_bytes())
    assert result.exit_code == 0 and result.stdout == golden("mazur.txt")


def test_standard_input_is_read_like_a_file():
    result = invoke("run", "-", input=b"title: caf\xe9\n")
    assert (result.exit_code, result.stderr) == (2, "<stdin>:1:11: error: expected UTF-8 text, found the byte "
                                                    "0xe9 (invalid continuation byte)\n")
    result = invoke("run", "-", input=b"#" * (16 * 1024 * 1024 + 1))
    assert (result.exit_code, result.stderr) == (2, "<stdin>:1:1: error: expected at most 16,777,216 bytes on "
                                                    "standard input, found more\n")
    result = invoke("run", "-", input=b"")
    assert result.stderr == "<stdin>:1:1: error: expected a problem description, found an empty file\n"


def test_warnings_about_standard_input_name_it():
    text = "network: {inputs: 1, layers: [{units: 1, activation: relu, weights: 1}]}\ninput: 0\ntarget: 1\n" \
           "loss: squared_error\n"
    result = invoke("run", "-", input=text)
    assert result.exit_code == 0 and result.stderr.startswith("<stdin>: warning: layer 'layer 1': ")


def test_several_files_are_worked_in_order_and_an_invalid_one_does_not_stop_the_others(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("- 1\n")
    result = invoke("run", MAZUR, bad, EXERCISE)
    assert result.exit_code == 2
    assert result.stdout == golden("mazur.txt") + "\n" + golden("seeds__exercise-7-1.txt")
    assert result.stderr == errors_of(bad)
    assert invoke("run", MAZUR, EXERCISE).exit_code == 0


def test_json_for_several_files_is_an_array_with_null_for_an_invalid_one(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("- 1\n")
    result = invoke("run", MAZUR, bad, EXERCISE, "--format", "json")
    assert result.exit_code == 2
    docs = json.loads(result.stdout)
    single = [json.loads(invoke("run", path, "--format", "json").stdout) for path in (MAZUR, EXERCISE)]
    assert docs == [single[0], None, single[1]]
    assert isinstance(single[0], dict)


def test_a_bug_in_one_of_several_files_is_reported_like_invalid_input(monkeypatch):
    import backprop_cli.api as api
    real = api.solve

    def flaky(problem):
        if problem.source == str(EXERCISE):
            raise RuntimeError("boom")
        return real(problem)
    monkeypatch.setattr(api, "solve", flaky)
    result = invoke("run", EXERCISE, MAZUR)
    assert result.exit_code == 2 and result.stdout == golden("mazur.txt")
    assert result.stderr == (f"{EXERCISE}:1:1: error: internal error: RuntimeError: boom (please report this "
                             "with the file)\n")


# -- the examples installed with the package ------------------------------------------------------------

REPOSITORY_EXAMPLES = sorted(p.relative_to(PROBLEMS).as_posix() for p in PROBLEMS.rglob("*") if p.suffix in (".yaml", ".csv"))


def test_the_installed_examples_are_the_problems_folder():
    assert sorted(example_files.names()) == REPOSITORY_EXAMPLES


def test_examples_lists_every_example_with_its_title():
    result = invoke("examples")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines] == example_files.names()
    for line in lines:
        name, title = line.split(None, 1)
        text = (PROBLEMS / name).read_text(encoding="utf-8")
        if name.endswith(".csv"):
            rows = len(text.strip().splitlines()) - 1
            assert title in (f"answer sheets of {rows} students (a table)", f"a roster of {rows} students")
            assert ("roster" in title) == ("roster" in name)
            continue
        documents = list(yaml.safe_load_all(text))
        if len(documents) > 1:  # a file of several problems: each one's title
            assert title == "; ".join(d["title"] for d in documents)
            continue
        data = documents[0]
        assert title == data.get("title", f"answer sheet of {data.get('student')}")


def test_examples_are_copied_and_never_overwritten_unless_forced(tmp_path):
    folder = tmp_path / "work"
    result = invoke("examples", "seeds/exercise-7-1.yaml", "mazur.yaml", "--to", folder)
    assert result.exit_code == 0
    assert result.stdout == f"wrote {folder}/exercise-7-1.yaml\nwrote {folder}/mazur.yaml\n"
    copied = folder / "exercise-7-1.yaml"
    schema_comment, original = EXERCISE.read_bytes().split(b"\n", 1)  # the copy leaves the comment out
    assert schema_comment.startswith(b"# yaml-language-server: $schema=") and copied.read_bytes() == original
    copied.write_text("mine")
    result = invoke("examples", "seeds/exercise-7-1.yaml", "--to", folder)
    assert result.exit_code == 2 and copied.read_text() == "mine"
    assert result.stderr == (f"{copied}:1:1: error: expected a file that does not exist yet, found one "
                             "(--force overwrites it)\n")
    assert invoke("examples", "seeds/exercise-7-1.yaml", "--to", folder, "--force").exit_code == 0
    assert copied.read_bytes() == original


def test_examples_refuses_unknown_names_and_clashing_file_names_before_writing(tmp_path):
    result = invoke("examples", "mazur.yml", "keys/mazur.yaml", "--to", tmp_path)
    assert result.exit_code == 2 and list(tmp_path.iterdir()) == []
    assert result.stderr.splitlines() == [
        "keys/mazur.yaml:1:1: error: expected the name of an installed example (`backprop examples` lists them), "
        "found none by that name (did you mean 'mazur.yaml'?)",
        "mazur.yml:1:1: error: expected the name of an installed example (`backprop examples` lists them), found "
        "none by that name (did you mean 'mazur.yaml'?)"]
    result = invoke("examples", "seeds/exercise-7-1.yaml", "keys/exercise-7-1.yaml", "--to", tmp_path)
    assert result.exit_code == 2 and list(tmp_path.iterdir()) == []
    assert result.stderr == (f"{tmp_path}/exercise-7-1.yaml:1:1: error: expected one example per file name, found "
                             "seeds/exercise-7-1.yaml and keys/exercise-7-1.yaml\n")


def _examples_in_help(command: click.Command) -> list[str]:
    """The command lines under 'Example:' in a command's help."""
    text = command.help or ""
    lines = text.split("Example:", 1)[1].strip().splitlines()
    return [line.strip() for line in lines if line.strip().startswith("backprop ")]


@pytest.mark.parametrize("name", ["(group)", *cli.main.commands])
def test_every_help_example_works_in_an_empty_folder(name, tmp_path, monkeypatch):
    command = cli.main if name == "(group)" else cli.main.commands[name]
    examples = _examples_in_help(command)
    assert examples, f"{name} has no example"
    monkeypatch.chdir(tmp_path)
    for example in examples:
        for step in example.split(" && "):
            args = shlex.split(step)[1:]  # as a shell reads it: quoted addresses stay whole
            result = invoke(*args)
            assert result.exit_code == 0, (step, result.output)


def test_the_package_data_ships_every_example_and_every_package_is_listed():
    tomllib = pytest.importorskip("tomllib")
    setup = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    assert setup["package-dir"] == {"backprop_cli.examples": "problems"}
    packages = {".".join(p.relative_to(ROOT).parts[:-1]) for p in (ROOT / "backprop_cli").rglob("__init__.py")}
    assert set(setup["packages"]) == packages | {"backprop_cli.examples"}
    patterns = setup["package-data"]["backprop_cli.examples"]
    shipped = {p for pattern in patterns for p in PROBLEMS.glob(pattern)}
    assert {p for p in PROBLEMS.rglob("*") if p.suffix in (".yaml", ".md", ".csv")} <= shipped


# -- shell completion and start-up ----------------------------------------------------------------------

@pytest.mark.parametrize("words, cword, expected", [
    ("backprop ex", 1, "plain,examples"),
    ("backprop examples seeds/exercise-7-", 2, "plain,seeds/exercise-7-1.yaml"),
    ("backprop check --ju", 2, "plain,--junit")])
def test_shell_completion(words, cword, expected):
    ran = process(env={"_BACKPROP_COMPLETE": "bash_complete", "COMP_WORDS": words, "COMP_CWORD": str(cword)})
    assert ran.returncode == 0 and expected in ran.stdout.decode().splitlines()


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_scripts_are_printed(shell):
    ran = process(env={"_BACKPROP_COMPLETE": f"{shell}_source"})
    assert ran.returncode == 0 and "_BACKPROP_COMPLETE" in ran.stdout.decode()


def test_start_up_imports_nothing_heavy():
    heavy = ("numpy", "yaml", "rich", "json", "difflib", "importlib.resources")
    code = ("import sys, backprop_cli.cli\n"
            "try:\n    backprop_cli.cli.entry(['--help'])\nexcept SystemExit:\n    pass\n"
            f"print(sorted(m for m in {heavy!r} if m in sys.modules), file=sys.stderr)\n")
    ran = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60)
    assert ran.returncode == 0 and ran.stderr == b"[]\n", ran.stderr


LONG_TRAINING = """
network:
  orientation: out_in
  inputs: 2
  layers:
    - {units: 2, activation: sigmoid, weights: [[0.15, 0.20], [0.25, 0.30]], bias: 0.35}
    - {units: 2, activation: sigmoid, weights: [[0.40, 0.45], [0.50, 0.55]], bias: 0.60}
input: [0.05, 0.10]
target: [0.01, 0.99]
loss: {kind: squared_error, factor: 1/2}
train: {learning_rate: 0.5, steps: 3000, optimizer: adam}
"""


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_long_training_shows_a_progress_bar_on_a_terminal_and_nothing_when_piped(tmp_path):
    import pty
    path = tmp_path / "long.yaml"
    path.write_text(LONG_TRAINING)
    command = [sys.executable, "-m", "backprop_cli", "run", str(path)]
    piped = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert piped.returncode == 0 and piped.stderr == "" and "showing 21 of 3000 steps" in piped.stdout
    main, terminal = pty.openpty()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=terminal, stdin=terminal)
    os.close(terminal)
    drawn = b""
    while True:
        try:
            chunk = os.read(main, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        drawn += chunk
    assert child.wait(timeout=60) == 0
    assert b"training" in drawn and "━".encode() in drawn
