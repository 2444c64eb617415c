"""Check results as JUnit XML, the report format CI systems read: one testcase per answer.

Every name and message is made printable first: XML 1.0 cannot carry most control characters at all.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ..checking.batch import Run
from ..printable import printable
from .verdicts import compared


def render(run: Run) -> str:
    """A <testsuites> document: a suite per file (per problem, ``file, problem 2 of 3``, of a file of
    several), a case per answer, a failure per wrong answer (saying what was written, the correct value
    and the tolerance, and why)."""
    root = ET.Element("testsuites", name="backprop check")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for outcome in run.outcomes:
        path = printable(outcome.name)
        suite = ET.SubElement(root, "testsuite", name=path)
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        if outcome.status == "invalid":
            whole = "(file)" if outcome.part[1] == 1 else "(problem)"
            case = ET.SubElement(suite, "testcase", classname=path, name=whole)
            error = ET.SubElement(case, "error", message=outcome.diagnostics[0].format(), type="invalid")
            error.text = "\n".join(d.format() for d in outcome.diagnostics)
            counts["tests"] += 1
            counts["errors"] += 1
        elif outcome.status == "skipped":
            case = ET.SubElement(suite, "testcase", classname=path, name="(no expected answers)")
            ET.SubElement(case, "skipped", message="no expected: section")
            counts["tests"] += 1
            counts["skipped"] += 1
        else:
            for bad in outcome.checked.unreadable:
                case = ET.SubElement(suite, "testcase", classname=path, name=printable(bad.text))
                ET.SubElement(case, "error", message=printable(bad.reason), type="unreadable").text = \
                    "\n".join(d.format() for d in bad.diagnostics)
                counts["tests"] += 1
                counts["errors"] += 1
            for verdict in outcome.checked.verdicts:
                reason = printable(verdict.reason)
                case = ET.SubElement(suite, "testcase", classname=path, name=printable(verdict.answer.address.text))
                counts["tests"] += 1
                if not verdict.passed:
                    failure = ET.SubElement(case, "failure", message=reason, type=verdict.status)
                    failure.text = f"{printable(compared(verdict))}: {reason}"
                    counts["failures"] += 1
                elif verdict.status == "drift":
                    ET.SubElement(case, "system-out").text = f"{printable(compared(verdict))}: {reason}"
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
    return _document(root, totals)


def render_grades(grades) -> str:
    """A <testsuites> document for a graded class: a suite per student, a case per asked quantity, a
    failure where it earned less than its points, an error per submission that could not be read."""
    from ..checking.grading import Refused
    root = ET.Element("testsuites", name="backprop grade")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for sheet in grades.sheets:
        if isinstance(sheet, Refused):
            name = printable(sheet.source)
            suite = ET.SubElement(root, "testsuite", name=name, tests="1", failures="0", errors="1", skipped="0")
            case = ET.SubElement(suite, "testcase", classname=name, name="(submission)")
            error = ET.SubElement(case, "error", message=sheet.diagnostics[0].format(), type="unreadable")
            error.text = "\n".join(d.format() for d in sheet.diagnostics)
            totals["tests"] += 1
            totals["errors"] += 1
            continue
        name = printable(sheet.sheet.student)
        failures = 0
        suite = ET.SubElement(root, "testsuite", name=name)
        for graded in sheet.answers:
            case = ET.SubElement(suite, "testcase", classname=name, name=printable(graded.question.text))
            if graded.points < graded.question.points:
                failures += 1
                message = printable(f"{graded.status}: {graded.points:g} of {graded.question.points:g} points"
                                    + (f"; {graded.reason}" if graded.reason else ""))
                ET.SubElement(case, "failure", message=message, type=graded.status)
        suite.set("tests", str(len(sheet.answers)))
        suite.set("failures", str(failures))
        suite.set("errors", "0")
        suite.set("skipped", "0")
        totals["tests"] += len(sheet.answers)
        totals["failures"] += failures
    return _document(root, totals)


def _document(root: ET.Element, totals: dict[str, int]) -> str:
    for key, value in totals.items():
        root.set(key, str(value))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
