"""Every clause of the meter tester fails on a meter that breaks it (and hemsnet's own passes:
test_meter_checks.py). Each case is hemsnet's meter with one rule broken (broken_meter.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hemsnet.conformance.meter_checks import MeterCheckOptions
from hemsnet.conformance.render import as_json, as_junit, as_text
from hemsnet.conformance.report import ClauseVerdict
from hemsnet.echonet.eoj import Eoj
from hemsnet.echonet.esv import Esv
from hemsnet.echonet.frame import Frame
from tests.unit.conformance.broken_meter import (
    Break,
    BrokenMeter,
    answer_as,
    asks,
    edt_of,
    map_edit,
)
from tests.unit.conformance.harness import check_meter, failed, hemsnet_meter, outcome

_VOID = (bytes.fromhex("FFFFFFFF"), bytes.fromhex("FFFFFFFE"))


def _fill_void(edt: bytes) -> bytes:
    if edt[:2] != b"\x00\x00":
        return edt
    slots = [edt[i : i + 4] for i in range(2, len(edt), 4)]
    return edt[:2] + b"".join(b"\x00\x00\x00\x01" if s in _VOID else s for s in slots)


def _drop_search(frame: Frame, request: Frame | None) -> Frame | None:
    return None if request is not None and request.deoj.instance == 0 else frame


def _eleven(frame: Frame, _: Frame | None) -> Frame:
    many = frame.esv is Esv.GET_RES and len(frame.properties) >= 12
    return frame._replace(properties=frame.properties[:11]) if many else frame


def _reversed_history(frame: Frame, _: Frame | None) -> Frame:
    """A history EPC with another: served, but out of request order [AIF 2.4.4]."""
    epcs = {p.epc for p in frame.properties}
    if frame.esv in (Esv.GET_RES, Esv.GET_SNA) and 0xE7 in epcs and len(epcs) == 2:
        served = tuple(p._replace(edt=p.edt or b"\x01") for p in frame.properties[::-1])
        return frame._replace(esv=Esv.GET_RES, properties=served)
    return frame


def _to_other_controller(frame: Frame, _: Frame | None) -> Frame:
    return frame._replace(deoj=Eoj(0x05, 0xFF, 0x02)) if frame.esv is Esv.GET_RES else frame


def _silent_after_malformed() -> Break:
    state = {"broken": False}

    def incoming(data: bytes) -> bytes | None:
        if data[:2] != b"\x10\x81" or len(data) < 12:
            state["broken"] = True  # a crashed stack: nothing more is answered
        return None if state["broken"] else data

    return Break(incoming=incoming)


def _absent_answered(data: bytes) -> bytes:
    if len(data) >= 10 and data[4:7] != b"\x0e\xf0\x01" and data[9] == 0x02:
        return data[:9] + b"\x01" + data[10:]  # the DEOJ's instance 0x02 served as 0x01
    return data


def _late_notification(frame: Frame) -> timedelta:
    late = frame.esv is Esv.INF and frame.edt_of(0xE3) is not None
    return timedelta(minutes=7) if late else timedelta()


def _slow_operation_status(frame: Frame) -> timedelta:
    answers_80 = frame.esv is Esv.GET_RES and [p.epc for p in frame.properties] == [0x80]
    return timedelta(seconds=50) if answers_80 else timedelta()


CASES = {
    "startup-announcement": Break(
        rewrite=edt_of(0xD5, lambda _: bytes.fromhex("01028F02"), node=True, esv=Esv.INF)
    ),
    "instance-list": Break(rewrite=edt_of(0xD6, lambda _: bytes.fromhex("01028F02"), node=True)),
    "search": Break(rewrite=_drop_search),
    "node-profile": Break(rewrite=map_edit(0x9F, add=frozenset({0x8C}), node=True)),
    "release": Break(rewrite=edt_of(0x82, lambda _: bytes([0, 0, ord("Q"), 0]))),
    "get-map": Break(rewrite=map_edit(0x9F, remove=frozenset({0xE2}))),
    "set-map": Break(rewrite=map_edit(0x9E, add=frozenset({0xE2}))),
    "anno-map": Break(rewrite=map_edit(0x9D, remove=frozenset({0x80}))),
    "property-0xE2": Break(rewrite=edt_of(0xE2, lambda e: e[:-1])),
    "property-0xD3": Break(rewrite=answer_as(Esv.GET_SNA, asks(Esv.GET, 0xD3))),
    "set-refused-0x80": Break(rewrite=answer_as(Esv.SET_RES, asks(Esv.SETC, 0x80))),
    "opc-12": Break(rewrite=_eleven),
    "history-mixed": Break(rewrite=_reversed_history),
    "day-selection": Break(rewrite=edt_of(0xE7, lambda e: e[:1] + bytes([e[1] + 1]) + e[2:])),
    "day-void": Break(rewrite=edt_of(0xE7, _fill_void)),
    "day-out-of-range": Break(
        rewrite=answer_as(
            Esv.SET_RES, lambda r: r.esv is Esv.SETC and r.properties[0] == (0xE1, b"\x64")
        )
    ),
    "day-oldest": Break(
        rewrite=answer_as(
            Esv.SET_RES, lambda r: r.esv is Esv.SETC and r.properties[0] == (0xE1, b"\x63")
        )
    ),
    "minute-selection": Break(rewrite=edt_of(0xED, lambda e: e[:5] + bytes([e[5] ^ 1]) + e[6:])),
    "minute-future": Break(rewrite=answer_as(Esv.SET_RES, asks(Esv.SETC, 0xEF))),
    "minute-invalid": Break(rewrite=answer_as(Esv.SET_RES, asks(Esv.SETC, 0xEF))),
    "fault-status": Break(rewrite=edt_of(0x88, lambda _: b"\x43")),
    "unknown-epc": Break(rewrite=answer_as(Esv.GET_RES, asks(Esv.GET, 0xFF))),
    "malformed": _silent_after_malformed(),
    "scheduled-notification": Break(delay=_late_notification),
    "absent-object": Break(incoming=_absent_answered),
    "response-form": Break(rewrite=_to_other_controller),
    "response-time": Break(delay=_slow_operation_status),
}


@pytest.mark.parametrize("clause", sorted(CASES))
def test_the_clause_fails_on_a_meter_that_breaks_it(clause: str) -> None:
    meter = BrokenMeter(hemsnet_meter(), CASES[clause])
    report, _ = check_meter(meter)
    result = outcome(report, clause)
    assert result.verdict is ClauseVerdict.FAIL, as_text(report)
    assert result.evidence, "a failure carries its frames"
    assert not report.passed
    # The report forms carry the failure with its frames in hex.
    first = result.evidence[0].data.hex().upper()
    assert first in as_text(report) and first in as_json(report) and first in as_junit(report)


def test_every_clause_has_a_case() -> None:
    report, _ = check_meter(hemsnet_meter())
    checked = {o.clause.id for o in report.outcomes}
    # The per-EPC clauses are shown to fail by one representative each.
    per_epc = {c for c in checked if c.startswith(("property-0x", "set-refused-0x"))}
    assert checked - per_epc <= set(CASES)
    assert failed(report) == []


def test_a_low_voltage_meter_serving_another_day_fails_the_day_selection() -> None:
    broken = Break(rewrite=edt_of(0xE2, lambda e: e[:1] + bytes([e[1] + 1]) + e[2:]))
    report, _ = check_meter(
        BrokenMeter(hemsnet_meter(class_id=0x0288), broken), device_class=0x0288
    )
    assert outcome(report, "day-selection").verdict is ClauseVerdict.FAIL


def test_a_start_up_announcement_awaited_and_missing_fails() -> None:
    silent = Break(rewrite=lambda f, _: None if f.edt_of(0xD5) is not None else f)
    options = MeterCheckOptions(wait_startup=30)
    report, _ = check_meter(BrokenMeter(hemsnet_meter(), silent), options=options)
    assert outcome(report, "startup-announcement").verdict is ClauseVerdict.FAIL


def test_skipping_the_notification_is_the_users_choice_and_still_conforms() -> None:
    report, pair = check_meter(hemsnet_meter(), options=MeterCheckOptions(notification=False))
    assert outcome(report, "scheduled-notification").verdict is ClauseVerdict.SKIP
    assert report.passed
    assert pair.now - report.started < timedelta(minutes=5)
