"""The low-voltage meter 0x0288: how its registers agree with each other, its selectors, faults
and notifications (docs/meter.md M21-M25)."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from hemsnet.devices import lv_meter
from hemsnet.devices.values import HistorySelector
from hemsnet.echonet.eoj import Eoj
from hemsnet.echonet.esv import Esv
from hemsnet.meter.config import MeterConfig
from hemsnet.meter.engine import MeterEngine
from hemsnet.meter.faults import FaultPlan, Window
from tests.unit.meter.sim import START, decoded, get, later, run, setc

LV = Eoj(0x02, 0x88, 0x01)
LV_CLASS = 0x0288
HALF_HOUR = timedelta(minutes=30)


def lv(**changes: Any) -> MeterEngine:
    faults = changes.pop("faults", None)
    config = dataclasses.replace(MeterConfig.low_voltage(), **changes)
    return MeterEngine(
        config, now=START, seed=11, installed=START - timedelta(days=3), faults=faults
    )


def values(engine: MeterEngine, *epcs: int) -> dict[int, Any]:
    """Each history EPC in a request of its own [AIF 2.4.4], the others together."""
    history = lv_meter.LV_METER.history_epcs
    found: dict[int, Any] = {}
    groups = [(epc,) for epc in epcs if epc in history]
    rest = tuple(epc for epc in epcs if epc not in history)
    for group in [*groups, rest] if rest else groups:
        found |= decoded(get(engine, *group, deoj=LV).reply, LV_CLASS)
    return found


def test_its_readings_agree_with_each_other() -> None:
    engine = lv()
    later(engine, minutes=95, seconds=20)
    read = values(engine, 0xE0, 0xE3, 0xEA, 0xEB, 0xD0, 0xE2, 0xE4, 0xE5)
    fixed_normal, fixed_reverse = read[0xEA], read[0xEB]
    boundary = engine.now.replace(minute=engine.now.minute // 30 * 30, second=0)
    assert fixed_normal.at == fixed_reverse.at == boundary
    slot = (fixed_normal.at - datetime(2026, 11, 16)) // HALF_HOUR
    assert read[0xE5] == 0  # today before any Set (M25)
    assert read[0xE2].slots[slot] == fixed_normal.value
    assert read[0xE4].slots[slot] == fixed_reverse.value
    minute = read[0xD0]
    assert minute.at == engine.now.replace(second=0)
    assert fixed_normal.value <= minute.normal <= read[0xE0]
    assert fixed_reverse.value <= minute.reverse <= read[0xE3]


def test_half_hour_and_minute_segments_go_back_from_the_time_set() -> None:
    engine = lv()
    later(engine, hours=2)
    at = datetime(2026, 11, 16, 10, 30)
    accepted = setc(engine, 0xED, lv_meter.HISTORY_DAY_2.encode(HistorySelector(at, 4)), deoj=LV)
    assert accepted.reply.esv is Esv.SET_RES
    segments = values(engine, 0xEC)[0xEC]
    day = values(engine, 0xE2, 0xE4)
    slot = (at - datetime(2026, 11, 16)) // HALF_HOUR
    assert segments.start == at
    assert [s.normal for s in segments.segments] == list(day[0xE2].slots[slot - 3 : slot + 1])[::-1]
    assert [s.reverse for s in segments.segments] == list(day[0xE4].slots[slot - 3 : slot + 1])[
        ::-1
    ]
    off_grid = bytes([0x07, 0xEA, 11, 16, 10, 15, 2])  # 10:15: not a half-hour [MRA 0x0288 ED]
    refused = setc(engine, 0xED, off_grid, deoj=LV)
    assert refused.reply.esv is Esv.SETC_SNA
    minute = datetime(2026, 11, 16, 10, 50)
    setc(engine, 0xEF, lv_meter.HISTORY_DAY_3.encode(HistorySelector(minute, 3)), deoj=LV)
    minutes = values(engine, 0xEE)[0xEE]
    assert minutes.start == minute and len(minutes.segments) == 3
    assert minutes.segments[0].normal >= minutes.segments[2].normal


def test_before_any_set_the_selectors_hold_their_default() -> None:
    read = values(lv(), 0xED, 0xEC, 0xEF, 0xEE)
    assert read[0xED] == HistorySelector(None, 1) == read[0xEF]
    assert read[0xEC].start is None and read[0xEE].start is None


def test_the_line_currents_of_a_single_phase_three_wire_supply() -> None:
    engine = lv()
    later(engine, minutes=5)
    read = values(engine, 0xE7, 0xE8)
    watts, currents = read[0xE7], read[0xE8]
    load = engine.config.load
    factor = load.power_factor if watts >= 0 else load.pv_power_factor
    expected = Decimal(round(abs(watts) / (load.voltage_v * factor) * 10)) / 10
    assert currents.r == currents.t == expected  # M22


def test_it_notifies_ea_and_eb_every_half_hour() -> None:
    engine = lv()
    sent = run(engine, START + timedelta(hours=1, minutes=6))
    notified = [s.frame for _, s in sent if s.to is None and s.frame.esv is Esv.INF]
    assert len(notified) == 2
    for frame in notified:
        assert frame.seoj == LV
        assert [p.epc for p in frame.properties] == [0xEA, 0xEB]  # M21


def test_a_fault_refuses_its_measurements_and_serves_its_attributes() -> None:
    window = Window(START + timedelta(minutes=10), START + timedelta(minutes=50))
    engine = lv(faults=FaultPlan(faults=(window,)))
    later(engine, minutes=20)
    reply = get(engine, 0xE7, 0xEA, 0xE1, 0xD7, deoj=LV).reply
    assert reply.esv is Esv.GET_SNA
    served = {p.epc for p in reply.properties if p.edt}
    assert served == {0xE1, 0xD7}  # M23
    assert get(engine, 0xE2, deoj=LV).reply.esv is Esv.GET_SNA
    later(engine, minutes=40)
    assert get(engine, 0xE7, deoj=LV).reply.esv is Esv.GET_RES
