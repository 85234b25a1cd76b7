"""The controller against the low-voltage meter 0x0288, both from hemsnet, in virtual time: the
class is recognised and its plan run (C38): attributes, live plan, notified EA/EB, the E5/E2/E4
backfill and the EF/EE minutes; the stored series equal the meter's registers."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from pathlib import Path

from hemsnet.controller import ControllerConfig
from hemsnet.controller.events import MeterPaired, Recorded
from hemsnet.echonet.eoj import Eoj
from hemsnet.echonet.esv import Esv
from hemsnet.meter.config import MeterConfig
from hemsnet.meter.engine import MeterEngine
from hemsnet.metering.gaps import GapStatus
from hemsnet.metering.series import Series, Source
from tests.unit.controller.sim import CONTROLLER as CTL
from tests.unit.controller.sim import Sim, Wire, sim
from tests.unit.meter.sim import START

LV = Eoj(0x02, 0x88, 0x01)


def lv_meter(days: float = 2, **config: object) -> MeterEngine:
    return MeterEngine(
        dataclasses.replace(MeterConfig.low_voltage(), **config),  # type: ignore[arg-type]
        now=START,
        seed=5,
        installed=START - timedelta(days=days),
    )


def requests(s: Sim) -> list[Wire]:
    return [w for w in s.wire if w.source == CTL and w.frame.esv in (Esv.GET, Esv.SETC)]


def epcs(wire: Wire) -> tuple[int, ...]:
    return tuple(p.epc for p in wire.frame.properties)


def truth(s: Sim, epc: int, until: datetime) -> dict[datetime, int | None]:
    assert s.meter is not None
    found: dict[datetime, int | None] = {}
    for day in range(3):  # installed two days ago: today, two days, the void day before
        history = s.meter.readings.day_history(epc, day)
        midnight = datetime.combine(s.meter.now.date() - timedelta(days=day), datetime.min.time())
        for slot, raw in enumerate(history.slots):
            at = midnight + slot * timedelta(minutes=30)
            if at < until:
                found[at] = raw
    return found


def test_a_low_voltage_meter_is_recognised_and_read_by_its_plan(tmp_path: Path) -> None:
    s = sim(tmp_path, lv_meter(), now=START)
    s.start()
    s.run_for(hours=2)
    (paired,) = [e for e in s.events if isinstance(e, MeterPaired)]
    assert paired.eoj == LV
    sent = [epcs(w) for w in requests(s)]
    assert sent[1:3] == [(0x82, 0x9D, 0x9E, 0x9F, 0x8A), (0x8D, 0xC0, 0xD3, 0xD7, 0xE1)]
    assert (0xE7, 0xE8, 0xD0, 0xE0, 0xE3) in sent  # the first tick: power now first
    assert (0xE5,) in sent and (0xE2,) in sent and (0xE4,) in sent
    assert not [e for e in sent if set(e) & {0xE6, 0xC3, 0xC6}]  # no 028F EPCs
    meter_id = s.recorder.meter_id or 0
    end = datetime(2026, 11, 16, 11, 1)
    for epc, series in ((0xE7, Series.ENERGY_NORMAL), (0xE8, Series.ENERGY_REVERSE)):
        want = truth(s, epc, end)
        stored = {r.measured_at: r.raw for r in s.store.readings(meter_id, series, min(want), end)}
        assert stored == want, hex(epc)
    assert s.store.gaps(meter_id, GapStatus.OPEN) == []
    power = s.store.latest(meter_id, Series.POWER)
    current = s.store.latest(meter_id, Series.CURRENT_R)
    assert power is not None and current is not None
    notified = {
        sample.series
        for e in s.events
        if isinstance(e, Recorded) and e.source is Source.NOTIFICATION
        for sample in e.samples
    }
    assert notified == {Series.ENERGY_NORMAL, Series.ENERGY_REVERSE}
    present = s.store.latest(meter_id, Series.PRESENT_ENERGY_NORMAL)
    assert present is not None and present.value is not None


def test_missing_minutes_of_a_low_voltage_meter_come_from_ee(tmp_path: Path) -> None:
    def lose_some_d0(wire: Wire) -> bool:
        return wire.source != CTL and epcs(wire) == (0xD0,) and wire.at.minute % 3 == 0

    config = ControllerConfig(instant_interval=0, present_interval=0)
    s = sim(tmp_path, lv_meter(), now=START, config=config, drop=lose_some_d0)
    s.start()
    s.run(datetime(2026, 11, 16, 11, 12))
    assert [w for w in requests(s) if epcs(w) == (0xEF,)]
    assert [w for w in requests(s) if epcs(w) == (0xEE,)]
    meter_id = s.recorder.meter_id or 0
    first = s.controller.coverage.earliest_real(Series.MINUTE_ENERGY_NORMAL)
    assert first is not None
    end = datetime(2026, 11, 16, 11, 9)
    assert s.store.missing_minutes(meter_id, Series.MINUTE_ENERGY_NORMAL, first, end) == []
