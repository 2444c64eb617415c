"""Check results as a stable JSON document (schema ``backprop-cli/check``, version 1).

Values are float64 at full precision; a written or computed entry that does not exist is null.
``written_text`` is each written number's text as it stands in the file ('null' for null), and
``tolerance`` the largest distance from the correct value that counts as right; ``mistake`` is the
name of the mistake the reason names (null when none reproduces the value written). A file of several
problems (YAML documents separated by ``---``) has an entry per problem, each with ``document`` (its
number, from 1), ``documents`` (how many) and ``title`` (null for a problem that cannot be read).
"""

from __future__ import annotations

import json
from typing import Any

from ..checking.batch import Outcome, Run
from ..checking.verdicts import Verdict
from ..read.answers import Unreadable
from .json import array
from .verdicts import _written_formula, by_formula, formula_text

SCHEMA = "backprop-cli/check"
VERSION = 1


def _verdict(verdict: Verdict | Unreadable) -> dict[str, Any]:
    if isinstance(verdict, Unreadable):
        return {"answer": verdict.text, "line": verdict.line, "written": None,
                "written_text": verdict.written or None, "correct": None, "tolerance": None,
                "verdict": "unreadable", "passed": False, "reason": verdict.reason, "mistake": None, "hand": None}
    if by_formula(verdict):
        return {"answer": verdict.answer.address.text, "line": verdict.answer.line, "written": None,
                "written_text": _written_formula(verdict.answer), "correct": formula_text(verdict.exact),
                "tolerance": None, "verdict": verdict.status, "passed": verdict.passed, "reason": verdict.reason,
                "mistake": verdict.mistake or None, "hand": None}
    return {
        "answer": verdict.answer.address.text,
        "line": verdict.answer.line,
        "written": array(verdict.answer.written),
        "written_text": verdict.answer.text.tolist(),
        "correct": array(verdict.exact),
        "tolerance": verdict.answer.widest(verdict.exact),
        "verdict": verdict.status,
        "passed": verdict.passed,
        "reason": verdict.reason,
        "mistake": verdict.mistake or None,
        "hand": None if verdict.hand is None else array(verdict.hand),
    }


def document(run: Run) -> dict[str, Any]:
    """The run as plain JSON-ready data."""
    return {
        "schema": SCHEMA,
        "version": VERSION,
        "files": [_file(o) for o in run.outcomes],
        "passed": run.passed,
        "failed": run.failed,
        "unreadable": run.unreadable,
        "skipped": run.count("skipped"),
        "invalid": run.count("invalid"),
        "exit_code": run.exit_code,
    }


def _file(outcome: Outcome) -> dict[str, Any]:
    entry: dict[str, Any] = {"path": outcome.path}
    if outcome.part[1] > 1:
        number, count = outcome.part
        entry.update(document=number, documents=count, title=outcome.title or None)
    entry.update(status=outcome.status, errors=[d.format() for d in outcome.diagnostics],
                 answers=[_verdict(v) for v in outcome.checked.in_written_order()] if outcome.checked else [])
    return entry


def render(run: Run) -> str:
    """The JSON text, ending with a newline."""
    from ..printable import json_safe
    return json_safe(json.dumps(document(run), indent=2, ensure_ascii=False)) + "\n"
