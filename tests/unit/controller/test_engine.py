"""The controller engine against the meter engine, in virtual time [AIF chapter 3, 2.4, 2.5]."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from hemsnet.controller import ControllerConfig
from hemsnet.controller.events import (
    AttributeAbsent,
    FaultEnded,
    FaultStarted,
    GapOpened,
    GapSettled,
    MeterPaired,
    MeterRestarted,
    Recorded,
    Warned,
)
from hemsnet.echonet.engine import Discard, FrameDiscarded
from hemsnet.echonet.eoj import CONTROLLER, NODE_PROFILE, Eoj
from hemsnet.echonet.esv import Esv
from hemsnet.echonet.frame import Frame, Property, encode_frame
from hemsnet.echonet.instance_list import decode_instance_list
from hemsnet.meter.faults import FaultPlan, Window
from hemsnet.metering.gaps import GapStatus
from hemsnet.metering.samples import HISTORY_SERIES
from hemsnet.metering.series import Series, Source
from hemsnet.physics.timeline import minute_start
from hemsnet.store import Store
from tests.unit.controller.sim import CONTROLLER as CTL
from tests.unit.controller.sim import LATENCY, METER, Sim, Wire, sim
from tests.unit.meter.sim import START, meter

QUIET = ControllerConfig(instant_interval=0, minute_interval=0, present_interval=0)
HISTORY_EPCS = frozenset({0xE7, 0xE8, 0xC6, 0xC8, 0xCE, 0xCF, 0xED})


def requests(s: Sim) -> list[Wire]:
    return [w for w in s.wire if w.source == CTL and w.frame.esv in (Esv.GET, Esv.SETC)]


def epcs(wire: Wire) -> tuple[int, ...]:
    return tuple(p.epc for p in wire.frame.properties)


def started(tmp_path: Path, *, days: float = 2, **options: object) -> Sim:
    engine = meter(installed=START - timedelta(days=days))
    s = sim(tmp_path, engine, now=START, **options)  # type: ignore[arg-type]
    s.start()
    return s


def truth(s: Sim, epc: int, until: datetime) -> dict[datetime, int | None]:
    """The meter's own day48 history of ``epc`` for every retained day since the day before
    it was installed, slots before ``until``: the controller asks nothing older than a day the
    meter had no value for (C37)."""
    assert s.meter is not None
    installed = minute_start(s.meter.registers.installed).date() - timedelta(days=1)
    found: dict[datetime, int | None] = {}
    for day in range(s.meter.config.retained_days):
        if s.meter.now.date() - timedelta(days=day) < installed:
            break
        history = s.meter.readings.day_history(epc, day)
        midnight = datetime.combine(s.meter.now.date() - timedelta(days=day), datetime.min.time())
        for slot, raw in enumerate(history.slots):
            at = midnight + slot * timedelta(minutes=30)
            if at < until:
                found[at] = raw
    return found


def stored(s: Sim, series: Series, until: datetime) -> dict[datetime, int | None]:
    """What the store holds of ``series`` in the meter's retained window, before ``until``."""
    assert s.meter is not None and s.recorder.meter_id is not None
    start = datetime.combine(
        s.meter.now.date() - timedelta(days=s.meter.config.retained_days - 1), datetime.min.time()
    )
    readings = s.store.readings(s.recorder.meter_id, series, start, until)
    return {r.measured_at: r.raw for r in readings}


# --- start-up [AIF 3.1] -----------------------------------------------------------------------


def test_startup_announces_searches_and_reads_the_attributes_in_order(tmp_path: Path) -> None:
    s = started(tmp_path, config=QUIET)
    s.run_for(minutes=1)
    first = s.wire[0] if s.wire[0].source == CTL else s.wire[1]
    assert first.multicast and first.frame.esv is Esv.INF and epcs(first) == (0xD5,)
    assert decode_instance_list(first.frame.properties[0].edt).instances == (CONTROLLER,)
    sent = requests(s)
    search = sent[0]
    assert search.multicast and search.frame.deoj == Eoj(0x02, 0x8F, 0x00)
    assert epcs(search) == (0x80,)
    # 3.1.3 with 0x8A, then 3.1.4 in the spec's order: one request each [AIF 2.4.4] (C23)
    assert [epcs(w) for w in sent[1:3]] == [
        (0x82, 0x9D, 0x9E, 0x9F, 0x8A),
        (0x8D, 0xC0, 0xD3, 0xD4, 0xE0, 0xE5, 0xE6, 0xC4, 0xC5, 0xC7, 0xCC, 0xCD),
    ]
    assert all(w.to == METER for w in sent[1:])
    assert [type(e) for e in s.events].count(MeterPaired) == 1
    attributes = s.store.attributes(s.recorder.meter_id or 0)
    assert {0x82, 0x9D, 0x9E, 0x9F, 0x8D, 0xC0, 0xD3, 0xD4, 0xE0, 0xE5, 0xE6, 0x8A} <= set(
        attributes
    )


def test_an_uninstalled_optional_attribute_is_recorded_absent(tmp_path: Path) -> None:
    engine = meter(installed=START - timedelta(days=1), optional=frozenset({0xCA}))
    s = sim(tmp_path, engine, now=START, config=QUIET)
    s.start()
    s.run_for(minutes=1)
    absent = {e.epc for e in s.events if isinstance(e, AttributeAbsent)}
    assert absent == {0x8D, 0xC7, 0xCC, 0xCD}
    assert s.store.absent(s.recorder.meter_id or 0) == absent
    assert not [w for w in requests(s) if set(epcs(w)) & {0xCB, 0xCE, 0xCF}]  # not in 0x9F


def test_the_search_repeats_until_a_meter_answers(tmp_path: Path) -> None:
    s = sim(tmp_path, None, now=START, config=QUIET)
    s.start()
    s.run_for(minutes=3)
    searches = [w.at for w in requests(s)]
    assert searches == [START + timedelta(seconds=40 * n) for n in range(5)]
    assert {epcs(w) for w in requests(s)} == {(0x80,)}
    assert not s.controller.meter.paired


def test_a_lost_announcement_is_made_up_for_by_the_search(tmp_path: Path) -> None:
    s = started(tmp_path, config=QUIET, drop=lambda w: w.source == METER and w.at == START)
    s.run_for(minutes=1)
    assert s.controller.meter.paired and s.controller.meter.address == METER


def test_an_old_appendix_release_is_warned_about(tmp_path: Path) -> None:
    engine = meter(installed=START - timedelta(days=1))
    engine.objects.meter._values[0x82] = b"\x00\x00P\x00"  # an older meter
    s = sim(tmp_path, engine, now=START, config=QUIET)
    s.start()
    s.run_for(minutes=1)
    warnings = [e.message for e in s.events if isinstance(e, Warned)]
    assert any("Release P" in w and "Release R or later" in w for w in warnings)
    assert s.controller.status.attributes_read  # it goes on


# --- request discipline [AIF 2.4] -------------------------------------------------------------


def test_one_request_at_a_time_and_the_next_as_soon_as_answered(tmp_path: Path) -> None:
    s = started(tmp_path)
    s.run_for(hours=1)
    in_flight = 0
    for wire in s.wire:
        if wire.source == CTL and wire.frame.esv in (Esv.GET, Esv.SETC):
            in_flight += 1
        elif wire.source == METER and wire.frame.esv.answers is not None:
            in_flight -= 1
        assert in_flight <= 1
    assert all(len(epcs(w)) <= 12 for w in requests(s))
    assert all(len(epcs(w)) == 1 for w in requests(s) if set(epcs(w)) & HISTORY_EPCS)


@pytest.mark.parametrize(
    ("victim", "wait"),
    [
        (lambda w: epcs(w) == (0xE1,), 40),  # OPC 1: timer 1
        (lambda w: epcs(w) == (0x82, 0x9D, 0x9E, 0x9F, 0x8A), 180),  # OPC 5: timer 2
        (lambda w: epcs(w) == (0xE7,), 180),  # a history EPC: timer 2
    ],
)
def test_a_lost_request_waits_its_timer_exactly_then_goes_with_a_fresh_tid(
    tmp_path: Path, victim: object, wait: int
) -> None:
    dropped: list[Wire] = []

    def drop_first(wire: Wire) -> bool:
        if wire.source == CTL and not dropped and victim(wire):  # type: ignore[operator]
            dropped.append(wire)
            return True
        return False

    s = started(tmp_path, config=QUIET, drop=drop_first)
    s.run_for(minutes=10)
    (lost,) = dropped
    after = [w for w in requests(s) if w.at > lost.at]
    assert after[0].at - lost.at == timedelta(seconds=wait)
    assert epcs(after[0]) == epcs(lost)
    assert after[0].frame.tid != lost.frame.tid
    assert s.store.stats(s.recorder.meter_id or 0).timed_out == 1


def test_configured_timers_are_used(tmp_path: Path) -> None:
    config = ControllerConfig(timer_1=45, timer_2=200, instant_interval=0, minute_interval=0)
    dropped: list[Wire] = []

    def drop_first(wire: Wire) -> bool:
        if wire.source == CTL and not dropped and epcs(wire) == (0xE1,):
            dropped.append(wire)
            return True
        return False

    s = started(tmp_path, config=config, drop=drop_first)
    s.run_for(minutes=2)
    after = [w for w in requests(s) if w.at > dropped[0].at]
    assert after[0].at - dropped[0].at == timedelta(seconds=45)


def test_a_late_response_is_discarded(tmp_path: Path) -> None:
    """The meter answers 50 s late: past timer 1, within timer 2."""
    engine = meter(
        installed=START - timedelta(days=1), faults=FaultPlan(delay_min=50, delay_max=50)
    )
    s = sim(tmp_path, engine, now=START, config=QUIET)
    s.start()
    s.run_for(minutes=10)
    meter_id = s.recorder.meter_id or 0
    stats = s.store.stats(meter_id)
    sent = requests(s)
    under_timer_1 = [w for w in sent if len(epcs(w)) == 1 and not set(epcs(w)) & HISTORY_EPCS]
    expired = [w for w in under_timer_1 if w.at + timedelta(seconds=40) <= s.now]
    came_back = [w for w in under_timer_1 if w.at + timedelta(seconds=50) < s.now]
    assert len(came_back) >= 5
    assert stats.timed_out == len(expired)
    assert stats.late_discarded == len(came_back)
    assert stats.answered == len(sent) - len(under_timer_1)  # timer 2: 50 s is in time


def test_frames_from_other_addresses_are_dropped_and_counted(tmp_path: Path) -> None:
    s = started(tmp_path, config=QUIET)
    s.run_for(minutes=1)
    bogus = Frame(7, Eoj(0x02, 0x8F, 0x01), CONTROLLER, Esv.INF, (Property(0x88, b"\x41"),))
    s.inject("intruder", CTL, encode_frame(bogus))
    get = Frame(8, CONTROLLER, NODE_PROFILE, Esv.GET, (Property(0xD6),))
    s.inject("intruder", CTL, encode_frame(get))
    s.run_for(seconds=1)
    assert not s.controller.meter.in_fault
    assert s.store.stats(s.recorder.meter_id or 0).foreign_dropped == 2
    assert not [w for w in s.wire if w.to == "intruder"]


def test_a_malformed_or_unsolicited_frame_from_the_meter_is_an_event_and_counted(
    tmp_path: Path,
) -> None:
    s = started(tmp_path, config=QUIET)
    s.run_for(minutes=1)
    s.inject(METER, CTL, b"\x10\x81\x00\x01\x02")
    stray = Frame(0x4242, Eoj(0x02, 0x8F, 0x01), CONTROLLER, Esv.GET_RES, (Property(0x80, b"0"),))
    s.inject(METER, CTL, encode_frame(stray))
    s.inject("intruder", CTL, b"\xff")
    s.run_for(seconds=1)
    discards = [(e.kind, e.source) for e in s.events if isinstance(e, FrameDiscarded)]
    assert discards == [
        (Discard.MALFORMED, METER),
        (Discard.UNSOLICITED, METER),
        (Discard.FOREIGN, "intruder"),  # from anyone but the meter: foreign, however it looks
    ]
    stats = s.store.stats(s.recorder.meter_id or 0)
    assert (stats.malformed, stats.unsolicited, stats.foreign_dropped) == (1, 1, 1)
    counters = s.controller.status.counters
    assert (counters["malformed"], counters["unsolicited"], counters["foreign_dropped"]) == (
        1,
        1,
        1,
    )


def test_the_controller_node_answers_the_meter(tmp_path: Path) -> None:
    s = started(tmp_path, config=QUIET)
    s.run_for(minutes=1)
    get = Frame(0x7777, Eoj(0x02, 0x8F, 0x01), NODE_PROFILE, Esv.GET, (Property(0xD6),))
    s.inject(METER, CTL, encode_frame(get))
    s.run_for(seconds=1)
    (answer,) = [w for w in s.wire if w.source == CTL and w.frame.tid == 0x7777]
    assert answer.frame.esv is Esv.GET_RES
    assert decode_instance_list(answer.frame.properties[0].edt).instances == (CONTROLLER,)


# --- regular operation [AIF 3.2.1, 3.3.1, 2.5.1] ----------------------------------------------


def test_notifications_are_stored_and_a_missing_one_is_fetched_at_five_past(
    tmp_path: Path,
) -> None:
    boundary = datetime(2026, 11, 16, 10, 0)

    def drop_the_ten_oclock_inf(wire: Wire) -> bool:
        return (
            wire.source == METER
            and wire.frame.esv is Esv.INF
            and boundary <= wire.at < boundary + timedelta(minutes=5)
        )

    s = started(tmp_path, config=QUIET, drop=drop_the_ten_oclock_inf)
    s.run(datetime(2026, 11, 16, 10, 40))
    after_start = START + timedelta(minutes=1)
    fetches = [w for w in requests(s) if epcs(w) == (0xE3, 0xC3, 0xCB) and w.at > after_start]
    assert [w.at for w in fetches] == [boundary + timedelta(minutes=5)]
    sources = {
        sample.measured_at: e.source
        for e in s.events
        if isinstance(e, Recorded)
        for sample in e.samples
        if sample.series is Series.ENERGY_NORMAL
    }
    assert sources[boundary] is Source.POLL
    assert sources[boundary + timedelta(minutes=30)] is Source.NOTIFICATION


def test_the_months_maximum_demand_is_polled_with_the_present_energy(tmp_path: Path) -> None:
    config = ControllerConfig(instant_interval=0, minute_interval=0, pace=0)  # the exact grid
    s = started(tmp_path, config=config)
    s.run_for(minutes=20)
    assert s.meter is not None and s.recorder.meter_id is not None
    c1 = [w for w in requests(s) if 0xC1 in epcs(w)]
    grid = [START.replace(minute=m, second=2) for m in (10, 15, 20, 25)]  # 2 s after (C35)
    assert [w.at.replace(microsecond=0) for w in c1][-4:] == grid
    latest = s.store.latest(s.recorder.meter_id, Series.MAX_DEMAND_NORMAL)
    assert latest is not None
    assert latest.raw == s.meter.readings.monthly_maximum().normal


def test_duplicate_notifications_the_last_arrival_wins(tmp_path: Path) -> None:
    engine = meter(installed=START - timedelta(days=1), faults=FaultPlan(duplicate_inf=1.0))
    s = sim(tmp_path, engine, now=START, config=QUIET)
    s.start()
    s.run(datetime(2026, 11, 16, 12, 10))
    end = datetime(2026, 11, 16, 12, 1)
    notified = [e for e in s.events if isinstance(e, Recorded) and e.source is Source.NOTIFICATION]
    assert len(notified) >= 2 * 5  # an altered copy, then the true one, each half-hour
    want = truth(s, 0xE7, end)
    got = stored(s, Series.ENERGY_NORMAL, end)
    assert {at: got[at] for at in want} == want


def test_a_notification_that_wants_a_response_gets_infc_res_and_is_stored(
    tmp_path: Path,
) -> None:
    s = started(tmp_path, config=QUIET)
    s.run_for(minutes=1)
    assert s.meter is not None
    at = datetime(2026, 11, 16, 9, 0)
    meter_id = s.recorder.meter_id or 0
    (before,) = s.store.readings(meter_id, Series.ENERGY_NORMAL, at, at + LATENCY)
    assert before.raw is not None
    edt = bytes.fromhex("07EA0B10090000") + before.raw.to_bytes(4, "big") + (5).to_bytes(4, "big")
    infc = Frame(0x4242, Eoj(0x02, 0x8F, 0x01), CONTROLLER, Esv.INFC, (Property(0xE3, edt),))
    s.inject(METER, CTL, encode_frame(infc))
    s.run_for(seconds=1)
    answers = [w for w in s.wire if w.source == CTL and w.frame.esv is Esv.INFC_RES]
    assert [(w.to, w.frame.tid, w.frame.deoj, epcs(w)) for w in answers] == [
        (METER, 0x4242, Eoj(0x02, 0x8F, 0x01), (0xE3,))
    ]
    (after,) = s.store.readings(meter_id, Series.ENERGY_NORMAL, at, at + LATENCY)
    assert (after.raw, after.source) == (before.raw, Source.NOTIFICATION)  # the last arrival
    assert after.arrived_at > before.arrived_at


# --- faults [AIF 3.4.1] -----------------------------------------------------------------------


def test_a_fault_stops_measurement_requests_and_its_end_backfills(tmp_path: Path) -> None:
    window = Window(datetime(2026, 11, 16, 10, 2), datetime(2026, 11, 16, 11, 33))
    engine = meter(installed=START - timedelta(days=1), faults=FaultPlan(faults=(window,)))
    s = sim(tmp_path, engine, now=START)
    s.start()
    s.run(datetime(2026, 11, 16, 12, 20))
    kinds = [type(e) for e in s.events if isinstance(e, FaultStarted | FaultEnded)]
    assert kinds == [FaultStarted, FaultEnded]
    during = [w for w in requests(s) if window.start + timedelta(seconds=1) < w.at < window.end]
    assert during and all(epcs(w) == (0x88,) for w in during)
    meter_id = s.recorder.meter_id or 0
    (fault,) = s.store.faults(meter_id)
    assert fault.end is not None
    end = datetime(2026, 11, 16, 12, 1)
    assert s.store.missing_half_hours(meter_id, Series.ENERGY_NORMAL, START, end) == []
    history = {
        r.measured_at: r.source
        for r in s.store.readings(meter_id, Series.ENERGY_NORMAL, START, end)
    }
    assert history[datetime(2026, 11, 16, 10, 30)] is Source.HISTORY


# --- history [AIF 3.3.3, 3.3.5] ---------------------------------------------------------------


def test_a_history_for_another_day_is_not_used(tmp_path: Path) -> None:
    """Another controller sets E1 between our SetC and Get: the day check rejects it."""
    engine = meter(installed=START - timedelta(days=3), max_controllers=2)
    clashes: list[Wire] = []

    def clash(wire: Wire) -> bool:
        if wire.source == CTL and wire.frame.esv is Esv.SETC and len(clashes) < 2:
            clashes.append(wire)
            other = Frame(0x4000 + len(clashes), CONTROLLER, wire.frame.deoj, Esv.SETC,
                          (Property(0xE1, bytes([7])),))  # fmt: skip
            s.inject("other", METER, encode_frame(other), delay=LATENCY * 1.5)
        return False

    s = sim(tmp_path, engine, now=START, config=QUIET, drop=clash)
    s.extra_peers["other"] = lambda data, source, now: []
    s.start()
    s.run_for(hours=1)
    warnings = [e.message for e in s.events if isinstance(e, Warned)]
    assert sum("came for day 7" in w for w in warnings) == 2
    end = datetime(2026, 11, 16, 9, 31)
    want = truth(s, 0xE7, end)
    assert stored(s, Series.ENERGY_NORMAL, end) == want
    # The retries waited a back-off of retry_base * 2**n plus jitter, not at once.
    setcs = [w.at for w in requests(s) if epcs(w) == (0xE1,)]
    gap = setcs[1] - setcs[0]
    assert timedelta(seconds=60) <= gap <= timedelta(seconds=125)


def test_minute_values_missing_from_d0_come_from_ed(tmp_path: Path) -> None:
    config = ControllerConfig(instant_interval=0, present_interval=0)

    def lose_some_d0(wire: Wire) -> bool:
        return wire.source == METER and epcs(wire) == (0xD0,) and wire.at.minute % 3 == 0

    s = started(tmp_path, config=config, drop=lose_some_d0)
    s.run(datetime(2026, 11, 16, 11, 12))
    meter_id = s.recorder.meter_id or 0
    first = s.controller.coverage.earliest_real(Series.MINUTE_ENERGY_NORMAL)
    assert first is not None
    end = datetime(2026, 11, 16, 11, 9)  # the recovery pass at 11:10 looked up to here
    assert s.store.missing_minutes(meter_id, Series.MINUTE_ENERGY_NORMAL, first, end) == []
    assert [w for w in requests(s) if epcs(w) == (0xED,)]
    sources = {
        r.source for r in s.store.readings(meter_id, Series.MINUTE_ENERGY_NORMAL, first, end)
    }
    assert sources == {Source.POLL, Source.HISTORY}


# --- recovery and ground truth ----------------------------------------------------------------


def test_a_controller_started_after_the_fetch_gets_the_previous_half_hour_at_once(
    tmp_path: Path,
) -> None:
    # Started at 00:32 the scheduled fetch waits for 00:30 (until 00:35); midnight, the only
    # half-hour of today before it, is the start-up backfill's, not left for the 00:40 pass.
    started_at = datetime(2026, 11, 16, 0, 32)
    engine = meter(now=started_at, installed=started_at - timedelta(days=1))
    s = sim(tmp_path, engine, now=started_at, config=QUIET)
    s.start()
    s.run_for(minutes=2)  # ten requests, one per 10 s after the first three (C32)
    midnight = datetime(2026, 11, 16)
    end = midnight + LATENCY
    for epc, series in HISTORY_SERIES.items():
        assert stored(s, series, end).get(midnight) == truth(s, epc, end)[midnight] is not None


def test_a_restarted_controller_fills_the_gap_it_left(tmp_path: Path) -> None:
    engine = meter(installed=START - timedelta(days=2))
    s = sim(tmp_path, engine, now=START, config=QUIET)
    s.start()
    s.run_for(hours=1)
    s.store.close()
    # The controller is down for five hours; the meter goes on.
    down_until = s.now + timedelta(hours=5)
    sends = []
    while engine.next_wakeup() <= down_until:
        sends += engine.advance(engine.next_wakeup())
    store = Store.open(tmp_path / "hemsnet.db")
    again = sim(tmp_path, engine, now=down_until, config=QUIET, store=store)
    again.start(meter_first=False)
    again.run_for(hours=1)
    opened = [e for e in again.events if isinstance(e, GapOpened)]
    settled = [e for e in again.events if isinstance(e, GapSettled)]
    assert opened and all(e.filled for e in settled) and len(settled) == len(opened)
    meter_id = again.recorder.meter_id or 0
    assert len(store.meters()) == 1
    assert store.gaps(meter_id, GapStatus.OPEN) == []
    assert {g.status for g in store.gaps(meter_id)} == {GapStatus.FILLED}
    end = down_until + timedelta(minutes=1)
    for epc, series in HISTORY_SERIES.items():
        got, want = stored(again, series, end), truth(again, epc, end)
        assert {at: got.get(at) for at in want} == want, hex(epc)
        # The restarted controller asks one more day back to find where the meter's data end.
        assert all(got[at] is None for at in set(got) - set(want)), hex(epc)


def test_a_meter_restart_is_noticed_and_attributes_read_again(tmp_path: Path) -> None:
    s = started(tmp_path, config=QUIET)
    s.run_for(minutes=10)
    assert s.meter is not None
    before = len([w for w in requests(s) if 0x9F in epcs(w)])
    s.deliver_from_meter(s.meter.announce(s.now))  # the meter announces its instance list again
    s.run_for(minutes=2)
    assert any(isinstance(e, MeterRestarted) for e in s.events)
    assert len([w for w in requests(s) if 0x9F in epcs(w)]) == before + 1


def test_ground_truth_a_week_with_a_fifth_of_the_packets_lost_each_way(tmp_path: Path) -> None:
    """The stored 30-minute series equal the meter's own registers: no gap, no wrong value."""
    engine = meter(installed=START - timedelta(days=10))
    config = ControllerConfig(instant_interval=0, minute_interval=0)
    s = sim(tmp_path, engine, now=START, config=config, drop_to_meter=0.2, drop_to_controller=0.2)
    s.start()
    s.run_for(days=7, minutes=40)
    stats = s.store.stats(s.recorder.meter_id or 0)
    assert stats.timed_out > 500  # the losses happened
    end = s.now - timedelta(minutes=40)
    for epc, series in HISTORY_SERIES.items():
        want = truth(s, epc, end)
        assert stored(s, series, end) == want, hex(epc)
    assert s.store.gaps(s.recorder.meter_id or 0, GapStatus.OPEN) == []


def test_history_waits_for_what_the_store_holds(tmp_path: Path) -> None:
    """No backfill, scheduled fetch or gap before restore: they would fetch again, or open as
    gaps, half-hours the store already holds."""
    s = started(tmp_path, restore_on_pairing=False)
    s.run_for(hours=2)
    assert s.controller.meter.paired
    asked = {epcs(w) for w in requests(s)}
    assert (0xEA, 0xEB) in asked  # it polls meanwhile
    assert not any(0xE1 in e or 0xE3 in e for e in asked)
    assert not [e for e in s.events if isinstance(e, GapOpened)]
    held = s.recorder.held(s.now, days=45, minute_hours=24)
    s.controller.restore(held)
    s.run_for(minutes=10)
    assert any(epcs(w) == (0xE1,) for w in requests(s))  # the backfill begins
