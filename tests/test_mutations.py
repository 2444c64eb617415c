"""A generated mutation corpus: how well ``backprop check`` names the cause of a wrong answer.

``tests/students.py`` generates small layered networks (every convention the format has: out_in and
in_out weights, folded and separate biases, sigmoid/tanh/relu hidden layers, identity, sigmoid, tanh and
softmax outputs, squared error with factor 1 and 1/2 and mean reductions, binary and categorical
cross-entropy, one and two samples) and computation graphs, and works each the way a student does, with
the student's own decimals, rounded values carried or not. Each planted sheet has exactly one mistake,
in one place; the all-correct sheets have none. The sheets are checked in-process with
``check(loads(text))``, once, and the tests below read the verdicts:

1. every answer of an all-correct sheet passes, and every answer within tolerance of the exact value
   (on any sheet) is ``correct``;
2. every planted mistake fails: the first answer it changes is ``wrong``, every later answer it moves
   clearly off the exact value does not pass, and the answers it cannot reach pass;
3. the mistake named on that first wrong answer is the planted one (or an equivalent) for at least 90%
   of the sheets and at least 75% of each kind (``test_the_planted_mistake_is_named``);
4. no reason names an impossible cause.

Assertions 1 and 2 hold for any correct checker: a sheet is drawn again whenever a written value lies
within 1% of a unit of its last decimal from a rounding boundary or from the edge of its tolerance (5% for
the value where the mistake shows), a ReLU unit has |z| < 0.02, the mistake leaves every written answer
unchanged or moves the first one it changes by less than max(5 units of its last decimal, 2·10^-d for
the coarsest decimals d of the sheet, 3% of the value), or the planted value is also the right one with
its sign flipped, off by a factor 2, or one copying slip away from it (another usual mistake would
explain it as well). Copying mistakes change nothing later; answers that, carried, depend on the
miscopied value are not judged.

``python tests/test_mutations.py`` (or ``pytest tests/test_mutations.py -s``) prints the per-kind table.
"""

from __future__ import annotations

import functools
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import students  # noqa: E402
from backprop_cli import check, loads  # noqa: E402

SEED = 20260522
PASSING = {"correct", "drift"}
OVERALL, PER_KIND = 0.90, 0.75

# Names the tool may use (the planted kinds and its own).
TOOL_NAMES = set(students.LAYERED_KINDS) | set(students.GRAPH_KINDS) | {
    "quantity mix-up", "truncated", "output path left out", "z for a in gradient", "derivative in a at z",
    "other layer", "graph term left out", "path left out",
}


def acceptable(sheet: students.Sheet, answer: students.Answer) -> set[str]:
    """The names that say what the planted mistake did, as seen on this answer.

    Beyond the planted kind itself: a layer's activation left out is, on the answer a^(l) itself, the
    value of z^(l) written for a^(l) (a quantity mix-up); a derivative dropped is, on the answer δ^(l)
    itself, the value of dL/da^(l) written for δ^(l) (the same mix-up); a term of a graph node left out is
    the graph's own name for it.
    """
    kind = sheet.kind
    names = {kind}
    layer = sheet.mistake.params.get("layer")
    if sheet.family == "layered":
        if kind == "activation not applied" and answer.key == ("a", layer) and answer.element is None:
            names.add("quantity mix-up")
        if kind == "derivative dropped" and answer.key == ("delta", layer):
            names.add("quantity mix-up")
    else:
        if kind == "term left out":
            names.add("graph term left out")
    return names


@functools.lru_cache(maxsize=None)
def corpus():
    started = time.perf_counter()
    sheets = students.corpus(SEED)
    generated = time.perf_counter()
    results = []
    for sheet in sheets:
        try:
            report = check(loads(sheet.yaml_text))
        except Exception as error:  # a crash is every answer's failure, reported with the sheet
            results.append((sheet, {}, {a.address: Crash(error) for a in sheet.answers}))
            continue
        verdicts = {v.answer.address.text: v for v in report.verdicts}
        unreadable = {u.text: u for u in report.unreadable}
        results.append((sheet, verdicts, unreadable))
    corpus.timing = (generated - started, time.perf_counter() - generated)
    return tuple(results)


class Crash:
    """Stands for the verdicts of a sheet on which check() raised."""

    def __init__(self, error):
        self.message = f"check() raised {type(error).__name__}: {error}"


def _status(verdicts, unreadable, answer):
    if answer.address in unreadable:
        return "unreadable"
    v = verdicts.get(answer.address)
    return v.status if v is not None else "missing"


def _name(verdict) -> str:
    """The mistake a verdict names ("" when none; anything that is not a name counts as none)."""
    name = getattr(verdict, "mistake", "")
    return name if isinstance(name, str) else ""


def _show(sheet, answer, verdicts, unreadable, why):
    v = verdicts.get(answer.address)
    if v is not None:
        told = f"{v.status}: {v.reason!r} (mistake {_name(v)!r})"
    elif isinstance(unreadable.get(answer.address), Crash):
        told = unreadable[answer.address].message
    elif answer.address in unreadable:
        told = f"unreadable: {unreadable[answer.address].diagnostics[0].message}"
    else:
        told = "no verdict"
    return (f"{sheet.name} [{sheet.mistake.where()}] {answer.address} = {students.flow(answer.texts)} "
            f"(exact {students.flow(answer.exact.round(7))}): {why}; the tool says {told}")


def _failures(found, limit=15):
    """The failures, one line per sheet (its first failing answer), and the first sheet's text."""
    shown, seen = [], set()
    for text, yaml_text in found:
        if yaml_text not in seen:
            seen.add(yaml_text)
            shown.append(text)
    first = found[0][1] if found else ""
    return (f"{len(found)} failing answers on {len(seen)} sheets:\n" + "\n".join(shown[:limit])
            + f"\n\nfirst sheet:\n{first}")


def named_right(sheet, verdicts) -> tuple[bool, str]:
    answer = sheet.site_answer
    v = verdicts.get(answer.address)
    if v is None or v.status != "wrong":
        return False, ""
    name = _name(v)
    if name in acceptable(sheet, answer):
        return True, name
    if name and students.reproduces(sheet, name, sheet.site):
        return True, name  # a numerical coincidence: that mistake writes the same value here
    return False, name


def tally():
    """{(family, kind): (planted, named right, {other name counted right: n}, {name given instead: n},
    [sheets whose mistake is in an unwritten quantity, of them named right])}."""
    rows = {}
    for sheet, verdicts, _ in corpus():
        if not sheet.kind:
            continue
        right, name = named_right(sheet, verdicts)
        planted, good, also, instead, hidden = rows.get((sheet.family, sheet.kind), (0, 0, {}, {}, [0, 0]))
        if right and name not in acceptable(sheet, sheet.site_answer):
            also[name] = also.get(name, 0) + 1
        if not right:
            instead[name or "—"] = instead.get(name or "—", 0) + 1
        if not students.written_at_mistake(sheet):
            hidden = [hidden[0] + 1, hidden[1] + right]
        rows[(sheet.family, sheet.kind)] = (planted + 1, good + right, also, instead, hidden)
    return rows


def _counts(names):
    return ", ".join(f"{n} {c}" for n, c in sorted(names.items(), key=lambda x: (-x[1], x[0])))


def table() -> str:
    """The per-kind table: kind, sheets planted, cause named right (the planted kind, an equivalent name,
    or another mistake that writes the same value here: "coincidences"), percentage, and what was named
    on the others ("—": no mistake named)."""
    rows = tally()
    lines = [f"{'kind':<36} {'planted':>7} {'named right':>11} {'%':>4}  {'unwritten':>9}  "
             f"{'coincidences':<14} named instead",
             f"{'-' * 36} {'-' * 7} {'-' * 11} {'-' * 4}  {'-' * 9}  {'-' * 14} {'-' * 13}"]
    total = good_total = hidden_total = hidden_good = 0
    for (family, kind), (planted, good, also, instead, hidden) in rows.items():
        total, good_total = total + planted, good_total + good
        hidden_total, hidden_good = hidden_total + hidden[0], hidden_good + hidden[1]
        lines.append(f"{kind + ' (' + family + ')':<36} {planted:>7} {good:>11} {100 * good / planted:>4.0f}  "
                     f"{f'{hidden[1]}/{hidden[0]}':>9}  {_counts(also):<14} {_counts(instead)}")
    lines.append(f"{'all':<36} {total:>7} {good_total:>11} {100 * good_total / max(total, 1):>4.0f}  "
                 f"{f'{hidden_good}/{hidden_total}':>9}")
    lines.append("unwritten: sheets whose mistake is in a quantity not written (found through what follows), "
                 "named right / all; —: no mistake named")
    sheets = corpus()
    generate, run = getattr(corpus, "timing", (0.0, 0.0))
    lines.append(f"{len(sheets)} sheets ({sum(1 for s, _, _ in sheets if not s.kind)} all-correct), "
                 f"generated in {generate:.1f} s, checked in {run:.1f} s")
    return "\n".join(lines)


# -- 1. right answers pass ----------------------------------------------------------------------------------

def test_every_answer_of_an_all_correct_sheet_passes():
    found = []
    for sheet, verdicts, unreadable in corpus():
        if sheet.kind:
            continue
        for answer in sheet.answers:
            status = _status(verdicts, unreadable, answer)
            if status not in PASSING:
                found.append((_show(sheet, answer, verdicts, unreadable, "right, by the student's own work"),
                              sheet.yaml_text))
    assert not found, _failures(found)


def test_an_answer_within_tolerance_of_the_exact_value_is_correct():
    found = []
    for sheet, verdicts, unreadable in corpus():
        for i in sheet.right:
            answer = sheet.answers[i]
            status = _status(verdicts, unreadable, answer)
            if status != "correct":
                found.append((_show(sheet, answer, verdicts, unreadable, "within tolerance of the exact value"),
                              sheet.yaml_text))
    assert not found, _failures(found)


# -- 2. planted mistakes fail ---------------------------------------------------------------------------------

def test_the_first_answer_a_mistake_changes_is_wrong():
    found = []
    for sheet, verdicts, unreadable in corpus():
        if not sheet.kind:
            continue
        answer = sheet.site_answer
        if _status(verdicts, unreadable, answer) != "wrong":
            found.append((_show(sheet, answer, verdicts, unreadable, f"planted {sheet.kind!r} shows first here"),
                          sheet.yaml_text))
    assert not found, _failures(found)


def test_answers_the_mistake_moves_do_not_pass():
    found = []
    for sheet, verdicts, unreadable in corpus():
        if not sheet.kind:
            continue
        for i in sheet.changed:
            answer = sheet.answers[i]
            if _status(verdicts, unreadable, answer) not in {"wrong", "follows"}:
                found.append((_show(sheet, answer, verdicts, unreadable,
                                    f"moved off the exact value by planted {sheet.kind!r}"), sheet.yaml_text))
    assert not found, _failures(found)


def test_answers_the_mistake_cannot_reach_pass():
    found = []
    for sheet, verdicts, unreadable in corpus():
        if not sheet.kind:
            continue
        for i in sheet.independent:
            answer = sheet.answers[i]
            if _status(verdicts, unreadable, answer) not in PASSING:
                found.append((_show(sheet, answer, verdicts, unreadable,
                                    f"not reached by planted {sheet.kind!r}"), sheet.yaml_text))
    assert not found, _failures(found)


# -- 3. the cause is named --------------------------------------------------------------------------------------

def test_the_planted_mistake_is_named():
    """The target of the diagnosis: at least 90% overall and 75% for every kind."""
    print("\n" + table())
    rows = tally()
    planted = sum(row[0] for row in rows.values())
    good = sum(row[1] for row in rows.values())
    weak = [f"{kind} ({family}): {g}/{p}" for (family, kind), (p, g, *_) in rows.items() if g < PER_KIND * p]
    assert good >= OVERALL * planted and not weak, \
        f"named right {good}/{planted}; kinds under {PER_KIND:.0%}: {', '.join(weak)}\n{table()}"


# -- 4. no impossible cause -------------------------------------------------------------------------------------

FORWARD = {"z", "a", "L"}
UPDATE = {"W1", "b1"}
RANGES = {"sigmoid": (0.0, 0.25), "tanh": (0.0, 1.0), "relu": (0.0, 1.0), "identity": (1.0, 1.0)}
DERIVATIVE_IN_REASON = re.compile(r"(?:σ|sigmoid|tanh|relu|g)'\s*\([^)]*\)\s*(?:would have to be|of|=|is)\s*(-?\d+(?:\.\d+)?(?:e-?\d+)?)")


def impossible(sheet, answer, verdict) -> str:
    """Why the cause a verdict names cannot have made this answer, or ""."""
    name, reason = _name(verdict), verdict.reason or ""
    if verdict.status == "wrong" and not name and reason.startswith("most likely"):
        return "a most likely cause with no mistake named"
    if name and name not in TOOL_NAMES:
        return f"unknown mistake name {name!r}"
    if sheet.family == "graph" and name == "loss factor" and not sheet.problem.loss:
        return "a loss factor in a graph without a loss"
    if sheet.family != "layered" or not name:
        return ""
    what = answer.key[0]
    layer = answer.key[1] if len(answer.key) > 1 else None
    net = sheet.problem
    if name == "stale weights" and (what in FORWARD or layer == net.depth):
        return "updated weights of the next layer, where there is no next layer or nothing backward yet"
    if name in students.DERIVATIVE_KINDS | {"derivative in a at z"} and what in FORWARD:
        return "an activation derivative in the forward pass"
    if name in {"bias not updated", "learning rate", "ascent"} and what not in UPDATE:
        return "an update mistake on a value that is not updated"
    if name == "bias not updated" and what != "b1":
        return "a bias not updated on a weight"
    if name == "loss factor" and what in {"z", "a"}:
        return "a loss factor in the forward pass"
    if name == "sign" and what in {"z", "a", "L"}:
        return "a residual's sign in the forward pass"
    for found in DERIVATIVE_IN_REASON.finditer(reason):
        value = float(found.group(1))
        acts = {layer_.act for layer_ in net.layers} - {"softmax"}
        low = min(RANGES[a][0] for a in acts)
        high = max(RANGES[a][1] for a in acts)
        if not low <= value <= high:
            return f"a derivative value {value} outside every activation's range in this network"
    return ""


def test_no_reason_names_an_impossible_cause():
    found = []
    for sheet, verdicts, unreadable in corpus():
        for answer in sheet.answers:
            v = verdicts.get(answer.address)
            if v is None or v.status in PASSING:
                continue
            why = impossible(sheet, answer, v)
            if why:
                found.append((_show(sheet, answer, verdicts, unreadable, why), sheet.yaml_text))
    assert not found, _failures(found)


if __name__ == "__main__":
    print(table())
