"""An attacker on the Route B link, and bad luck on it: spoofed notifications and answers from
the meter's address, a meter replaced by a fresh one, a stepping clock, a guessed-TID window.

The controller and the meter engines run in virtual time with a real SQLite store (the sim of
tests/unit/controller). Each test asserts: nothing wrong stored, nothing true lost, the
offending frame kept with its reason and counted, and no exception out of the datagram path.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from hemsnet.controller import ControllerConfig
from hemsnet.controller.events import ReadingDisputed, ReadingRejected, RegisterRestarted
from hemsnet.devices import hv_meter_bidir as table
from hemsnet.devices.model import Quantity
from hemsnet.devices.values import TimedNormalReverse
from hemsnet.echonet.eoj import CONTROLLER, Eoj
from hemsnet.echonet.esv import Esv
from hemsnet.echonet.frame import Frame, Property, encode_frame
from hemsnet.metering.energy import interval_energy
from hemsnet.metering.series import HALF_HOUR, Series, Source, floor_half_hour
from tests.unit.controller.sim import CONTROLLER as CTL
from tests.unit.controller.sim import METER, Sim, Wire, sim
from tests.unit.meter.sim import START, meter

METER_EOJ = Eoj(0x02, 0x8F, 0x01)
QUIET = ControllerConfig(minute_interval=0, present_interval=0)


def started(tmp_path: Path, **options: float) -> Sim:
    s = sim(tmp_path, meter(installed=START - timedelta(days=2)), now=START, **options)
    s.start()
    s.run_for(minutes=3)  # paired, attributes and clock read, backfilled
    return s


def notify(s: Sim, *props: Property, tid: int = 0x6666) -> bytes:
    """An INF from the meter's address, as the meter would send it [AIF 3.2.1]."""
    data = encode_frame(Frame(tid, METER_EOJ, CONTROLLER, Esv.INF, props))
    s.inject(METER, CTL, data)
    s.run_for(seconds=1)
    return data


def e3(at: datetime, normal: int, reverse: int = 0) -> Property:
    return Property(0xE3, table.FIXED_TIME_ENERGY.encode(TimedNormalReverse(at, normal, reverse)))


def c3(at: datetime, normal: int) -> Property:
    return Property(0xC3, table.FIXED_TIME_DEMAND.encode(TimedNormalReverse(at, normal, 0)))


def epcs(frame: Frame) -> set[int]:
    return {p.epc for p in frame.properties}


def readings(s: Sim, series: Series, start: datetime, end: datetime) -> dict[datetime, int | None]:
    meter_id = s.recorder.meter_id
    assert meter_id is not None
    return {r.measured_at: r.raw for r in s.store.readings(meter_id, series, start, end)}


def test_notifications_dated_far_ahead_or_far_back_are_not_stored(tmp_path: Path) -> None:
    s = started(tmp_path, config=QUIET)
    meter_id = s.recorder.meter_id or 0
    frames = [
        notify(s, e3(datetime(9999, 12, 31, 23, 30), 1), tid=1),
        notify(s, e3(floor_half_hour(s.now) + timedelta(days=1), 2), tid=2),
        notify(s, e3(floor_half_hour(s.now) - timedelta(days=400), 3), tid=3),
    ]
    everything = readings(s, Series.ENERGY_NORMAL, datetime(2000, 1, 1), datetime(9999, 12, 31))
    stored = {at: raw for at, raw in everything.items() if raw is not None}
    assert max(stored) <= s.now and min(stored) >= floor_half_hour(START - timedelta(days=2))
    assert not {1, 2, 3} & set(stored.values())
    events = s.store.wire_events(meter_id)
    assert [e.kind for e in events] == ["rejected"] * 6  # normal and reverse of each
    assert {e.frame for e in events} == set(frames)  # the evidence, byte for byte
    assert all("outside" in e.reason for e in events)
    assert s.store.stats(meter_id).rejected == 6
    # The gaps stay honest: nothing was opened by the old date.
    assert all(gap.start > s.now - timedelta(days=5) for gap in s.store.gaps(meter_id))


def test_an_off_grid_time_is_rejected_and_the_rest_of_the_frame_is_kept(tmp_path: Path) -> None:
    s = started(tmp_path, config=QUIET)
    boundary = floor_half_hour(s.now)
    held = readings(s, Series.DEMAND_NORMAL, boundary, boundary + HALF_HOUR)[boundary]
    assert held is not None
    notify(s, e3(boundary + timedelta(minutes=17), 5), c3(boundary, held))
    notify(s, e3(boundary + timedelta(seconds=5), 6))
    rejected = [e for e in s.events if isinstance(e, ReadingRejected)]
    both = [Series.ENERGY_NORMAL, Series.ENERGY_REVERSE]
    assert [r.series for r in rejected] == both + both
    assert all("grid" in r.reason for r in rejected)
    assert readings(s, Series.DEMAND_NORMAL, boundary, boundary + HALF_HOUR) == {boundary: held}


def test_a_contradicting_notification_is_disputed_and_the_history_settles_it(
    tmp_path: Path,
) -> None:
    s = started(tmp_path, config=QUIET)
    meter_id = s.recorder.meter_id or 0
    boundary = floor_half_hour(s.now)
    true = readings(s, Series.ENERGY_NORMAL, boundary, boundary + HALF_HOUR)[boundary]
    assert true is not None
    notify(s, e3(boundary, true + 7))  # a forged value for a half-hour already held
    assert readings(s, Series.ENERGY_NORMAL, boundary, boundary + HALF_HOUR) == {boundary: true}
    assert any(isinstance(e, ReadingDisputed) for e in s.events)
    s.run_for(minutes=10)  # the recovery asks the meter's own history of that day
    fetched = [w for w in s.wire if w.source == CTL and w.frame.esv is Esv.SETC]
    assert fetched  # E1 was set to the day in dispute
    assert readings(s, Series.ENERGY_NORMAL, boundary, boundary + HALF_HOUR) == {boundary: true}
    (settled,) = s.store.readings(meter_id, Series.ENERGY_NORMAL, boundary, boundary + HALF_HOUR)
    assert settled.source is Source.HISTORY  # confirmed by the meter, not by the spoofer
    assert not s.controller.coverage.disputed
    assert s.store.stats(meter_id).disputed == 1


def test_an_honest_duplicate_is_not_a_dispute_and_the_last_arrival_wins(tmp_path: Path) -> None:
    s = started(tmp_path, config=QUIET)
    boundary = floor_half_hour(s.now)
    true = readings(s, Series.ENERGY_NORMAL, boundary, boundary + HALF_HOUR)[boundary]
    assert true is not None
    notify(s, e3(boundary, true))
    assert not any(isinstance(e, ReadingDisputed | ReadingRejected) for e in s.events)
    meter_id = s.recorder.meter_id or 0
    (again,) = s.store.readings(meter_id, Series.ENERGY_NORMAL, boundary, boundary + HALF_HOUR)
    assert again.source is Source.NOTIFICATION  # [AIF 2.5.1]


def test_a_forged_jump_of_the_count_is_rejected(tmp_path: Path) -> None:
    s = started(tmp_path, config=QUIET)
    boundary = floor_half_hour(s.now) + HALF_HOUR
    s.run(boundary + timedelta(seconds=1))  # before the meter's own notification
    latest = s.controller.vetting.latest[Series.ENERGY_NORMAL][1]
    notify(s, e3(boundary, latest + 10_000_000))  # a million kWh in half an hour
    (rejected,) = [e for e in s.events if isinstance(e, ReadingRejected)]
    assert "largest demand" in rejected.reason


def test_a_fresh_meter_at_the_same_address_is_a_new_epoch_not_a_wrap(tmp_path: Path) -> None:
    s = started(tmp_path, config=QUIET)
    meter_id = s.recorder.meter_id or 0
    before = floor_half_hour(s.now)
    s.meter = meter(now=s.now, installed=s.now, seed=99)  # replaced: its counter starts afresh
    s.run_for(hours=2)
    restarts = [e for e in s.events if isinstance(e, RegisterRestarted)]
    assert restarts and restarts[0].series is Series.ENERGY_NORMAL
    assert s.store.restarts(meter_id)
    registers = s.store.register_history(meter_id, Quantity.ACTIVE_ENERGY)
    cumulative = s.store.readings(meter_id, Series.ENERGY_NORMAL, before, s.now)
    energies = [interval_energy(a, b, registers) for a, b in itertools.pairwise(cumulative)]
    assert None in energies  # across the restart: unknown
    assert all(e is None or e < Decimal(1000) for e in energies)  # never a 9,984,151 kWh wrap


def test_a_clock_step_seen_once_is_not_believed(tmp_path: Path) -> None:
    """A forged 0xE2 that answers the controller's request (its TID guessed right) says the
    meter's clock is ten years ahead: it moves nothing, and the readings after it are dated
    by the clock learnt before (decision C49)."""
    s = started(tmp_path)
    offset = s.controller.meter.offset
    years_ahead = datetime(2036, 11, 16, 9, 0)
    forged: list[bytes] = []

    def answer_first(wire: Wire) -> bool:
        frame = wire.frame
        if wire.source == CTL and frame.esv is Esv.GET and 0xE2 in epcs(frame) and not forged:
            e2 = table.CUMULATIVE_ENERGY.encode(TimedNormalReverse(years_ahead, 1, 0))
            props = (Property(0xE2, e2),)
            forged.append(encode_frame(Frame(frame.tid, METER_EOJ, CONTROLLER, Esv.GET_RES, props)))
            s.inject(METER, CTL, forged[0], delay=timedelta(milliseconds=1))
        return False

    s.drop = answer_first
    s.run_for(minutes=6)  # the present poll (E2) goes every 5 minutes
    assert forged
    assert s.controller.meter.offset == offset
    (rejected,) = [e for e in s.events if isinstance(e, ReadingRejected)][:1]
    assert rejected.series is Series.PRESENT_ENERGY_NORMAL and rejected.evidence == forged[0]
    meter_id = s.recorder.meter_id or 0
    power = s.store.latest(meter_id, Series.POWER)
    assert power is not None and power.measured_at < s.now + timedelta(minutes=5)


def test_a_guessed_tid_window_puts_no_forged_reading_in_the_store(tmp_path: Path) -> None:
    """With counted TIDs a spoofer who saw one TID answered the next request by sending a
    window after it (41 forged readings in 10 s); drawn TIDs leave nothing to guess."""
    s = started(tmp_path, config=ControllerConfig(present_interval=0, minute_interval=0))
    forged_watts = 123_456
    seen = [w.frame.tid for w in s.wire if w.source == CTL]
    for guess in range(seen[-1] + 1, seen[-1] + 200):
        answer = Frame(
            guess & 0xFFFF,
            METER_EOJ,
            CONTROLLER,
            Esv.GET_RES,
            (Property(0xEA, forged_watts.to_bytes(4, "big")),),
        )
        s.inject(METER, CTL, encode_frame(answer), delay=timedelta(milliseconds=1))
    s.run_for(seconds=30)
    meter_id = s.recorder.meter_id or 0
    power = s.store.readings(meter_id, Series.POWER, START, s.now + timedelta(days=1))
    assert power and forged_watts not in {r.raw for r in power}
    assert s.store.stats(meter_id).unsolicited >= 190
