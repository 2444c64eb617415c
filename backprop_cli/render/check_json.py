"""Check results as a stable JSON document (schema ``backprop-cli/check``, version 1).

Values are float64 at full precision; a written or computed entry that does not exist is null.
``written_text`` is each written number's text as it stands in the file ('null' for null), and
``tolerance`` the largest distance from the correct value that counts as right; ``mistake`` is the
name of the mistake the reason names (null when none reproduces the value written).
"""

from __future__ import annotations

import json
from typing import Any

from ..checking.batch import Run
from ..checking.verdicts import Verdict
from ..read.answers import Unreadable
from .json import array

SCHEMA = "backprop-cli/check"
VERSION = 1


def _verdict(verdict: Verdict | Unreadable) -> dict[str, Any]:
    if isinstance(verdict, Unreadable):
        return {"answer": verdict.text, "line": verdict.line, "written": None,
                "written_text": verdict.written or None, "correct": None, "tolerance": None,
                "verdict": "unreadable", "passed": False, "reason": verdict.reason, "mistake": None, "hand": None}
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
        "files": [{
            "path": o.path,
            "status": o.status,
            "errors": [d.format() for d in o.diagnostics],
            "answers": [_verdict(v) for v in o.checked.in_written_order()] if o.checked else [],
        } for o in run.outcomes],
        "passed": run.passed,
        "failed": run.failed,
        "unreadable": run.unreadable,
        "skipped": run.count("skipped"),
        "invalid": run.count("invalid"),
        "exit_code": run.exit_code,
    }


def render(run: Run) -> str:
    """The JSON text, ending with a newline."""
    from ..printable import json_safe
    return json_safe(json.dumps(document(run), indent=2, ensure_ascii=False)) + "\n"
