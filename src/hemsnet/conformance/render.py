"""The report as people, scripts and CI read it: text, JSON and JUnit XML.

JUnit: one ``testsuite`` per run, one ``testcase`` per clause (``classname`` the spec
reference); a failed clause is a ``failure`` whose text holds the detail and the evidence
frames in hex, a skipped one a ``skipped`` element. An optional clause that failed is reported
as a failure too, with ``(optional)`` in its name: CI decides, the exit status does not (T3).
"""

from __future__ import annotations

import json
from typing import Any
from xml.etree import ElementTree

from hemsnet.conformance.report import ClauseVerdict, Outcome, Report

__all__ = ["as_json", "as_junit", "as_text"]


def _kind(outcome: Outcome) -> str:
    return "mandatory" if outcome.clause.mandatory else "optional"


def as_text(report: Report) -> str:
    lines = [f"conformance of {report.subject}"]
    for o in report.outcomes:
        mark = o.verdict.value.upper()
        opt = "" if o.clause.mandatory else " (optional)"
        lines.append(f"{mark:4}  {o.clause.id}{opt}  {o.clause.ref}  {o.clause.title}: {o.detail}")
        if o.verdict is ClauseVerdict.FAIL:
            lines.extend(f"        {e.line()}" for e in o.evidence)
    blocking = report.blocking
    lines.append(
        f"{report.count(ClauseVerdict.PASS)} passed, {report.count(ClauseVerdict.FAIL)} failed, "
        f"{report.count(ClauseVerdict.SKIP)} skipped: " + _conclusion(report, len(blocking))
    )
    return "\n".join(lines)


def _conclusion(report: Report, blocking: int) -> str:
    if report.error is not None:
        return f"INCOMPLETE: the tester failed ({report.error}); please report it"
    if not report.complete:
        return "INTERRUPTED before every clause was checked"
    return "CONFORMS" if report.passed else f"DOES NOT CONFORM ({blocking} mandatory)"


def as_json(report: Report) -> str:
    doc: dict[str, Any] = {
        "subject": report.subject,
        "started": report.started.isoformat(),
        "ended": report.ended.isoformat() if report.ended else None,
        "conforms": report.passed,
        "complete": report.complete,
        "error": report.error,
        "counts": {v.value: report.count(v) for v in ClauseVerdict},
        "clauses": [
            {
                "id": o.clause.id,
                "title": o.clause.title,
                "ref": o.clause.ref,
                "requirement": _kind(o),
                "verdict": o.verdict.value,
                "skipped_by_user": o.clause.id in report.skipped_by_user,
                "detail": o.detail,
                "evidence": [
                    {
                        "at": e.at.isoformat(),
                        "direction": "sent" if e.sent else "received",
                        "hex": e.data.hex().upper(),
                    }
                    for e in o.evidence
                ],
            }
            for o in report.outcomes
        ],
    }
    return json.dumps(doc, indent=2)


def as_junit(report: Report) -> str:
    suite = ElementTree.Element(
        "testsuite",
        name=f"hemsnet conformance: {report.subject}",
        tests=str(len(report.outcomes)),
        failures=str(report.count(ClauseVerdict.FAIL)),
        skipped=str(report.count(ClauseVerdict.SKIP)),
        errors="0" if report.complete else "1",
        timestamp=report.started.isoformat(timespec="seconds"),
    )
    for o in report.outcomes:
        name = o.clause.id + ("" if o.clause.mandatory else " (optional)")
        case = ElementTree.SubElement(suite, "testcase", name=name, classname=o.clause.ref)
        if o.verdict is ClauseVerdict.FAIL:
            failure = ElementTree.SubElement(case, "failure", message=o.detail)
            failure.text = "\n".join([o.clause.title, o.detail, *(e.line() for e in o.evidence)])
        elif o.verdict is ClauseVerdict.SKIP:
            ElementTree.SubElement(case, "skipped", message=o.detail)
        else:
            out = ElementTree.SubElement(case, "system-out")
            out.text = o.detail
    if not report.complete:  # interrupted, or the tester's own error: CI must not pass it
        case = ElementTree.SubElement(suite, "testcase", name="run", classname="hemsnet")
        error = ElementTree.SubElement(case, "error", message=_conclusion(report, 0))
        error.text = report.error or "the run ended before every clause was checked"
        suite.set("tests", str(len(report.outcomes) + 1))
    ElementTree.indent(suite)
    return ElementTree.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"
