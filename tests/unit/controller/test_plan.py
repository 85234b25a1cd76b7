"""The request plan in virtual time: the pace, the live plan and the history taking turns, the
batching that follows the loss, and a meter that refuses what it should serve (C32-C36)."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import pairwise
from pathlib import Path

from hemsnet.controller import ControllerConfig
from hemsnet.controller.events import AttributeAbsent, AttributeRead, Recorded, Warned
from hemsnet.echonet.esv import Esv
from hemsnet.metering.series import Series
from tests.unit.controller.sim import CONTROLLER as CTL
from tests.unit.controller.sim import Sim, Wire, sim
from tests.unit.meter.sim import START, meter

HOUR = timedelta(hours=1)
HISTORY = frozenset({0xE1, 0xE7, 0xE8, 0xC6, 0xC8, 0xCE, 0xCF, 0xEF, 0xED})


def requests(s: Sim) -> list[Wire]:
    return [w for w in s.wire if w.source == CTL and w.frame.esv in (Esv.GET, Esv.SETC)]


def epcs(wire: Wire) -> tuple[int, ...]:
    return tuple(p.epc for p in wire.frame.properties)


def busiest_hour(times: list[datetime]) -> int:
    """The most requests in any hour-long window."""
    most = 0
    first = 0
    for last, at in enumerate(times):
        while times[first] <= at - HOUR:
            first += 1
        most = max(most, last - first + 1)
    return most


def test_the_default_plan_and_a_backfill_keep_within_one_request_per_10_s(
    tmp_path: Path,
) -> None:
    s = sim(tmp_path, meter(installed=START - timedelta(days=45)), now=START)
    s.start()
    s.run_for(hours=6)
    times = [w.at for w in requests(s)]
    assert busiest_hour(times) <= 360 + 3  # the pace, and the burst of three at start-up
    assert s.controller.status.backfilled_at is not None  # 45 days came meanwhile
    steady = [at for at in times if at > s.now - HOUR]
    assert 170 <= len(steady) <= 200  # the live plan alone: a tick every 20 s
    assert s.controller.status.per_hour == len(steady)


def test_the_live_plan_goes_on_while_the_history_is_fetched(tmp_path: Path) -> None:
    s = sim(tmp_path, meter(installed=START - timedelta(days=30)), now=START)
    s.start()
    s.run_for(minutes=40)
    sent = requests(s)
    live = [w.at for w in sent if 0xEA in epcs(w)]
    history = [w.at for w in sent if set(epcs(w)) & HISTORY]
    assert len(history) > 60
    # EA first of all, after the attributes: power now before any history (C34)
    assert live[0] < history[0]
    assert max(b - a for a, b in pairwise(live)) <= timedelta(seconds=30)


def test_what_is_due_at_a_tick_goes_in_one_request(tmp_path: Path) -> None:
    config = ControllerConfig(pace=0)
    s = sim(tmp_path, meter(installed=START - timedelta(hours=2)), now=START, config=config)
    s.start()
    s.run_for(minutes=30)
    live = [w for w in requests(s) if 0xEA in epcs(w)]
    assert epcs(live[0]) == (0xEA,)  # the power now, first and alone (C34)
    assert epcs(live[1]) == (0xEA, 0xEB, 0xD0, 0xE2, 0xE4, 0xCA, 0xC1)
    by_second = {w.at.replace(microsecond=0).time().second for w in live[2:]}
    assert by_second == {2, 22, 42}  # 2 s after the 20 s grid of the meter's clock (C35)
    minute = [w for w in live[2:] if w.at.second == 2]
    assert all(0xD0 in epcs(w) for w in minute)
    assert all(0xD0 not in epcs(w) for w in live[2:] if w.at.second != 2)


def test_on_a_lossy_link_few_properties_go_one_by_one(tmp_path: Path) -> None:
    s = sim(
        tmp_path,
        meter(installed=START - timedelta(hours=2)),
        now=START,
        drop_to_meter=0.2,
        drop_to_controller=0.2,
        seed=3,
    )
    s.start()
    s.run_for(hours=2)
    live = [epcs(w) for w in requests(s) if set(epcs(w)) & {0xEA, 0xEB}]
    assert (0xEA,) in live and (0xEB,) in live  # split when the loss showed (C33)
    stored = s.store.readings(s.recorder.meter_id or 0, Series.POWER, START, s.now)
    assert len(stored) >= 15  # a third of the requests go unanswered, each waiting its timer

    (tmp_path / "clean").mkdir()
    clean = sim(tmp_path / "clean", meter(installed=START - timedelta(hours=2)), now=START)
    clean.start()
    clean.run_for(hours=2)
    # after the search, the attributes in two, the clock (E2) and the power now alone
    assert all(len(epcs(w)) >= 2 for w in requests(clean)[5:] if 0xEA in epcs(w))


def test_a_refused_property_is_recorded_absent_and_asked_again_with_the_attributes(
    tmp_path: Path,
) -> None:
    engine = meter(installed=START - timedelta(hours=2))
    served = engine.objects.meter._readers[0xEB]
    engine.objects.meter._readers[0xEB] = lambda: None  # listed in 0x9F, yet refused
    config = ControllerConfig(attribute_interval=3600)
    s = sim(tmp_path, engine, now=START, config=config)
    s.start()
    s.run_for(minutes=30)
    assert [e.epc for e in s.events if isinstance(e, AttributeAbsent)] == [0xEB]
    (warning,) = [e.message for e in s.events if isinstance(e, Warned) and "0xEB" in e.message]
    assert "mandatory" in warning
    asked = [w for w in requests(s) if 0xEB in epcs(w)]
    assert len(asked) == 1  # not every poll (C36)
    assert s.store.absent(s.recorder.meter_id or 0) == {0xEB}
    assert 0xEB in s.controller.meter.refused
    engine.objects.meter._readers[0xEB] = served  # the meter serves it again
    s.run_for(minutes=40)  # the attributes are read again at the hour
    assert any(isinstance(e, AttributeRead) and e.epc == 0xEB for e in s.events)
    assert s.store.absent(s.recorder.meter_id or 0) == set()
    assert len([w for w in requests(s) if 0xEB in epcs(w)]) > 10
    currents = [
        sample
        for e in s.events
        if isinstance(e, Recorded)
        for sample in e.samples
        if sample.series is Series.CURRENT_R
    ]
    assert currents


def test_the_backfill_stops_at_a_day_the_meter_has_no_value_for(tmp_path: Path) -> None:
    s = sim(tmp_path, meter(installed=START - timedelta(days=2)), now=START)
    s.start()
    s.run_for(hours=1)
    days = {w.frame.properties[0].edt[0] for w in requests(s) if epcs(w) == (0xE1,)}
    assert days == {0, 1, 2, 3}  # the day before the installation is void: nothing older (C37)
    assert s.controller.meter.retained_days == 3
    assert s.controller.status.backfilled_at is not None
