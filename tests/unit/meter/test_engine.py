"""The meter engine in virtual time: every rule of AIF chapters 2 and 3 it must follow."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from hemsnet.devices.values import FaultStatus, HistorySelector, InstallationLocation
from hemsnet.echonet.engine import Discard, FrameDiscarded
from hemsnet.echonet.eoj import CONTROLLER, NODE_PROFILE, Eoj
from hemsnet.echonet.esv import Esv
from hemsnet.echonet.frame import encode_frame
from hemsnet.echonet.instance_list import decode_instance_list
from hemsnet.echonet.propmap import decode_property_map
from hemsnet.errors import ConfigError
from hemsnet.meter.config import OPTIONAL_EPCS, MixedHistory
from hemsnet.meter.engine import HalfHourClosed
from hemsnet.meter.faults import FaultPlan, Window
from hemsnet.metering.series import floor_half_hour
from hemsnet.physics.load import LoadSettings
from tests.unit.meter.sim import (
    CLASS_SEARCH,
    METER,
    START,
    decoded,
    get,
    later,
    meter,
    request,
    run,
    setc,
)

# Every property of AIF Tables 2-3 and 2-4.
AIF_GET = frozenset(
    {0x80, 0x81, 0x82, 0x88, 0x8A, 0x97, 0x98, 0x9D, 0x9E, 0x9F}
    | {0xC0, 0xC1, 0xC3, 0xC4, 0xC5, 0xC6, 0xC8, 0xD0, 0xD3, 0xD4}
    | {0xE0, 0xE1, 0xE2, 0xE3, 0xE5, 0xE6, 0xE7, 0xE8, 0xEA, 0xEB, 0xED, 0xEF}
)


def test_start_up_announces_the_instance_list_by_multicast() -> None:
    engine = meter(companion_028a=True)
    sends = engine.announce(START)
    assert [s.to for s in sends] == [None]
    frame = sends[0].frame
    assert (frame.esv, frame.seoj, frame.deoj) == (Esv.INF, NODE_PROFILE, NODE_PROFILE)
    assert frame.properties[0].epc == 0xD5
    # 0x028F before 0x028A [AIF 3.1.1]
    listed = decode_instance_list(frame.properties[0].edt).instances
    assert listed == (METER, Eoj(0x02, 0x8A, 0x01))


def test_answers_the_class_search() -> None:
    engine = meter()
    answer = get(engine, 0x80, deoj=CLASS_SEARCH)
    assert answer.reply.esv is Esv.GET_RES
    assert answer.reply.seoj == METER
    assert answer.value(0x80).name == "ON"


def test_get_map_lists_every_aif_property_and_the_enabled_optional_ones() -> None:
    engine = meter()
    answer = get(engine, 0x9F, 0x9E, 0x9D)
    get_map = decode_property_map(answer.reply.properties[0].edt)
    assert get_map == AIF_GET | OPTIONAL_EPCS
    assert decode_property_map(answer.reply.properties[1].edt) == {0x81, 0xE1, 0xEF}
    assert decode_property_map(answer.reply.properties[2].edt) == {0x80, 0x81, 0x88}
    every = get(engine, *sorted(get_map - {0xE7, 0xE8, 0xC6, 0xC8, 0xCE, 0xCF, 0xED}))
    assert every.reply.esv is Esv.GET_RES


@pytest.mark.parametrize("epc", sorted(OPTIONAL_EPCS))
def test_an_optional_property_switched_off_is_absent_and_refused(epc: int) -> None:
    optional = OPTIONAL_EPCS - {epc}
    if epc == 0xC7:
        optional -= {0xC2}
    if epc in (0xCC, 0xCD):
        optional -= {0xCA, 0xCB, 0xCE, 0xCF}
    engine = meter(optional=optional)
    get_map = decode_property_map(get(engine, 0x9F).reply.properties[0].edt)
    assert epc not in get_map
    refused = get(engine, epc)
    assert refused.reply.esv is Esv.GET_SNA
    assert refused.reply.properties[0].edt == b""  # [AIF 3.1.4]


def test_twelve_properties_answered_in_request_order() -> None:
    engine = meter()
    epcs = [0xE5, 0xD3, 0x80, 0xE2, 0xC1, 0xEA, 0xD4, 0xE6, 0xC4, 0xC5, 0xE0, 0xC0, 0xEB, 0xE3]
    answer = get(engine, *epcs)
    assert answer.reply.esv is Esv.GET_RES
    assert [p.epc for p in answer.reply.properties] == epcs  # [AIF 2.4.4]


def test_mixing_a_history_epc_with_others_is_refused_or_served_as_configured() -> None:
    refused = get(meter(), 0xE7, 0x80)
    assert refused.reply.esv is Esv.GET_SNA
    assert [(p.epc, p.edt) for p in refused.reply.properties] == [(0xE7, b""), (0x80, b"")]
    served = get(meter(mixed_history=MixedHistory.SERVE), 0xE7, 0x80)
    assert served.reply.esv is Esv.GET_RES
    assert get(meter(), 0xE7).reply.esv is Esv.GET_RES  # alone it is always served


@pytest.mark.parametrize("epc", [0x97, 0x98, 0x80, 0x88, 0xE2, 0xD3])
def test_properties_outside_the_set_map_cannot_be_set(epc: int) -> None:
    engine = meter()
    edt = get(engine, epc).reply.properties[0].edt
    answer = setc(engine, epc, edt)
    assert answer.reply.esv is Esv.SETC_SNA
    assert answer.reply.properties[0].edt == edt  # a refused Set echoes the EDT


def test_installation_location_is_set_and_announced() -> None:
    engine = meter()
    answer = setc(engine, 0x81, b"\x09")
    assert answer.reply.esv is Esv.SET_RES
    (inf,) = answer.multicasts
    assert inf.esv is Esv.INF and inf.properties[0].edt == b"\x09"
    assert get(engine, 0x81).value(0x81) == InstallationLocation(0x09)
    assert setc(engine, 0x81, b"\x09").multicasts == []  # unchanged: nothing to announce


def test_clock_properties_follow_meter_time() -> None:
    engine = meter()
    later(engine, hours=2)
    answer = get(engine, 0x97, 0x98)
    assert answer.value(0x97).isoformat() == "11:07:00"
    assert answer.value(0x98).isoformat() == "2026-11-16"
    later(engine, hours=15)  # past midnight: the date moves on too
    answer = get(engine, 0x97, 0x98)
    assert answer.value(0x97).isoformat() == "02:07:00"
    assert answer.value(0x98).isoformat() == "2026-11-17"


class TestHistory:
    def test_day_selector_range_follows_the_retained_days(self) -> None:
        engine = meter(retained_days=10)
        assert get(engine, 0xE1).value(0xE1) == 0  # starts at today
        assert setc(engine, 0xE1, b"\x0a").reply.esv is Esv.SET_RES
        assert get(engine, 0xE1).value(0xE1) == 10
        for bad in (b"\x0b", b"\x64", b"\xff"):
            assert setc(engine, 0xE1, bad).reply.esv is Esv.SETC_SNA
        assert get(engine, 0xE1).value(0xE1) == 10  # a refused Set stores nothing

    def test_every_day_is_returned_with_the_day_set(self) -> None:
        engine = meter(installed=START - timedelta(days=99), retained_days=99)
        for day in range(100):
            setc(engine, 0xE1, bytes([day]))
            for epc in (0xE7, 0xE8, 0xC6, 0xC8, 0xCE, 0xCF):
                history = get(engine, epc).value(epc)
                assert history.day == day
                assert len(history.slots) == 48
                assert (None in history.slots) == (day in (0, 99)), (day, hex(epc))

    def test_slots_not_measured_yet_are_void(self) -> None:
        engine = meter(installed=START - timedelta(days=1))
        today = get(engine, 0xE7).value(0xE7)
        # 09:07: slots 00:00 .. 09:00 exist, 09:30 onwards do not [AIF 3.3.3]
        assert all(v is not None for v in today.slots[:19])
        assert all(v is None for v in today.slots[19:])
        setc(engine, 0xE1, b"\x02")
        before_installation = get(engine, 0xE7).value(0xE7)
        assert set(before_installation.slots) == {None}

    def test_minute_selector_picks_kept_minutes_and_counts(self) -> None:
        engine = meter(installed=START - timedelta(hours=3))
        wanted = datetime(2026, 11, 16, 9, 5)
        selector = HistorySelector(wanted, 10)
        edt = bytes([0x07, 0xEA, 11, 16, 9, 5, 10])
        assert setc(engine, 0xEF, edt).reply.esv is Esv.SET_RES
        assert get(engine, 0xEF).value(0xEF) == selector
        history = get(engine, 0xED).value(0xED)
        assert history.start == wanted and history.count == 10
        assert all(s.normal is not None for s in history.segments)
        future = bytes([0x07, 0xEA, 11, 16, 9, 8, 1])
        too_old = bytes([0x07, 0xEA, 11, 15, 9, 7, 1])  # one minute history day kept
        for bad in (future, too_old, bytes([0x07, 0xEA, 11, 16, 9, 5, 11])):
            assert setc(engine, 0xEF, bad).reply.esv is Esv.SETC_SNA

    def test_minute_history_before_any_set_is_the_default(self) -> None:
        engine = meter()
        history = get(engine, 0xED).value(0xED)
        assert history.start is None and history.count == 1
        assert history.segments[0].normal is None


class TestScheduledNotifications:
    def test_a_week_gives_one_notification_per_half_hour_within_five_minutes(self) -> None:
        engine = meter(installed=START - timedelta(days=1))
        sent = run(engine, START + timedelta(days=7))
        notices = [(at, s.frame) for at, s in sent]
        assert len(notices) == 7 * 48
        offsets = set()
        for at, frame in notices:
            values = decoded(frame)
            assert frame.esv is Esv.INF and frame.seoj == METER and frame.deoj == CONTROLLER
            assert [p.epc for p in frame.properties] == [0xE3, 0xC3, 0xCB]
            fixed = values[0xE3].at
            assert fixed.minute in (0, 30) and fixed.second == 0
            assert values[0xC3].at == values[0xCB].at == fixed
            assert timedelta(0) < at - fixed < timedelta(minutes=5)  # [AIF 3.2.1]
            offsets.add(at - fixed)
        assert len(offsets) > 100  # a random offset per half-hour

    def test_the_offsets_depend_on_the_seed(self) -> None:
        def times(seed: int) -> list[datetime]:
            engine = meter(seed=seed)
            return [at for at, _ in run(engine, START + timedelta(hours=3))]

        assert times(1) == times(1)
        assert times(1) != times(2)

    def test_cb_is_left_out_when_not_installed(self) -> None:
        engine = meter(optional=OPTIONAL_EPCS - {0xCB})
        (_, send), *_ = later(engine, hours=1)
        assert [p.epc for p in send.frame.properties] == [0xE3, 0xC3]


class TestFaults:
    WINDOW = Window(datetime(2026, 11, 16, 10, 0), datetime(2026, 11, 16, 12, 0))

    def test_fault_window_notifies_suppresses_and_refuses(self) -> None:
        engine = meter(faults=FaultPlan(faults=(self.WINDOW,)))
        sent = later(engine, hours=4)
        frames = [(at, s.frame) for at, s in sent]
        faults = [(at, decoded(f)[0x88]) for at, f in frames if f.properties[0].epc == 0x88]
        assert faults == [
            (self.WINDOW.start, FaultStatus.FAULT),
            (self.WINDOW.end, FaultStatus.NO_FAULT),
        ]
        scheduled = [decoded(f)[0xE3].at for _, f in frames if f.properties[0].epc == 0xE3]
        assert scheduled  # before and after the window, none during it [AIF 3.4.1]
        assert not [t for t in scheduled if self.WINDOW.start <= t < self.WINDOW.end]
        assert engine.stats.suppressed == 4

    def test_measurements_are_refused_during_a_fault_and_attributes_are_not(self) -> None:
        engine = meter(faults=FaultPlan(faults=(self.WINDOW,)))
        run(engine, datetime(2026, 11, 16, 11, 0))
        for epc in (0xE2, 0xE3, 0xC3, 0xD0, 0xEA, 0xEB, 0xE7, 0xED, 0xC1):
            assert get(engine, epc).reply.esv is Esv.GET_SNA, hex(epc)
        answer = get(engine, 0x88, 0xD3, 0xE6)
        assert answer.reply.esv is Esv.GET_RES
        assert answer.value(0x88) is FaultStatus.FAULT
        run(engine, datetime(2026, 11, 16, 12, 0))
        assert get(engine, 0xE2, 0xE7).reply.esv is Esv.GET_SNA  # mixed history, refused
        assert get(engine, 0xE2).reply.esv is Esv.GET_RES

    def test_history_is_complete_after_a_fault(self) -> None:
        engine = meter(faults=FaultPlan(faults=(self.WINDOW,)))
        run(engine, datetime(2026, 11, 16, 13, 0))
        slots = get(engine, 0xE7).value(0xE7).slots
        assert all(v is not None for v in slots[19:27])  # 09:30 .. 13:00

    def test_a_meter_starting_in_fault_says_so(self) -> None:
        engine = meter(now=datetime(2026, 11, 16, 10, 30), faults=FaultPlan(faults=(self.WINDOW,)))
        frames = [s.frame for s in engine.announce(engine.now)]
        assert [f.properties[0].epc for f in frames] == [0xD5, 0x88]
        assert frames[1].properties[0].edt == b"\x41"


class TestInjectedFaults:
    def test_duplicates_send_another_value_first_and_the_true_one_last(self) -> None:
        engine = meter(faults=FaultPlan(duplicate_inf=1.0))
        frames = [s.frame for _, s in later(engine, hours=2)]
        assert len(frames) == 8
        for first, last in zip(frames[::2], frames[1::2], strict=True):
            a, b = decoded(first), decoded(last)
            assert a[0xE3].at == b[0xE3].at  # same measurement time [AIF 2.5.1]
            assert a[0xE3] != b[0xE3]
            assert first.tid != last.tid
        engine_truth = meter()
        truth = [s.frame for _, s in later(engine_truth, hours=2)]
        assert [decoded(f) for f in truth] == [decoded(f) for f in frames[1::2]]

    def test_dropped_requests_get_no_answer_and_change_nothing(self) -> None:
        engine = meter(faults=FaultPlan(drop_requests=1.0))
        assert setc(engine, 0xE1, b"\x01").sends == []
        assert engine.stats.dropped_requests == 1

    def test_dropped_responses_still_apply_the_set(self) -> None:
        engine = meter(faults=FaultPlan(drop_responses=1.0))
        assert setc(engine, 0xE1, b"\x01").sends == []
        assert engine.objects.meter_selection.day == 1

    def test_delayed_responses_carry_their_time(self) -> None:
        engine = meter(faults=FaultPlan(delay_min=2.0, delay_max=3.0))
        (send,) = get(engine, 0x80).sends
        assert send.at is not None
        assert timedelta(seconds=2) <= send.at - engine.now <= timedelta(seconds=3)

    def test_partial_answers_keep_a_prefix(self) -> None:
        engine = meter(faults=FaultPlan(partial_opc=1.0))
        reply = get(engine, 0x80, 0xE2, 0xD3).reply
        assert 1 <= len(reply.properties) < 3
        assert [p.epc for p in reply.properties] == [0x80, 0xE2, 0xD3][: len(reply.properties)]

    def test_silence_answers_nothing_and_notifies_nothing(self) -> None:
        window = Window(START, START + timedelta(hours=1))
        engine = meter(faults=FaultPlan(silent=(window,)))
        assert get(engine, 0x80).sends == []
        assert run(engine, window.end - timedelta(seconds=1)) == []
        assert engine.stats.silenced == 3  # the request and two notifications
        assert get(engine, 0x80, at=window.end).reply.esv is Esv.GET_RES


class TestRepeatedGets:
    def test_a_repeated_get_sees_every_change(self) -> None:
        engine = meter()
        assert get(engine, 0xE1, 0xE2).value(0xE1) == 0
        first = get(engine, 0xE1, 0xE2)
        setc(engine, 0xE1, b"\x01")
        assert get(engine, 0xE1, 0xE2).value(0xE1) == 1
        later_value = get(engine, 0xE1, 0xE2, at=engine.now + timedelta(seconds=1))
        assert later_value.value(0xE2).at == first.value(0xE2).at + timedelta(seconds=1)

    def test_a_repeated_get_keeps_its_tid_and_its_peer_rule(self) -> None:
        engine = meter()
        answers = [get(engine, 0x80, 0xD3).reply for _ in range(3)]
        assert len({a.tid for a in answers}) == 3
        assert {a.properties for a in answers} == {answers[0].properties}
        assert get(engine, 0x80, 0xD3, peer="intruder").sends == []

    def test_a_fault_is_seen_by_a_repeated_get(self) -> None:
        window = Window(START + timedelta(minutes=1), START + timedelta(minutes=2))
        engine = meter(faults=FaultPlan(faults=(window,)))
        assert get(engine, 0xE3).reply.esv is Esv.GET_RES
        assert get(engine, 0xE3, at=window.start).reply.esv is Esv.GET_SNA


class TestPeers:
    def test_serves_the_first_controller_only(self) -> None:
        engine = meter()
        assert get(engine, 0x80, peer="first").reply.esv is Esv.GET_RES
        assert get(engine, 0x80, peer="second").sends == []
        assert engine.stats.other_peers == 1

    def test_up_to_three_controllers_when_allowed(self) -> None:
        engine = meter(max_controllers=3)
        for peer in ("a", "b", "c"):
            assert get(engine, 0x80, peer=peer).reply.esv is Esv.GET_RES
        assert get(engine, 0x80, peer="d").sends == []

    def test_a_configured_controller_is_the_only_one(self) -> None:
        engine = meter(controllers=("ctl",))
        assert get(engine, 0x80, peer="someone").sends == []
        assert get(engine, 0x80, peer="ctl").reply.esv is Esv.GET_RES

    def test_malformed_frames_are_counted_never_answered(self) -> None:
        engine = meter()
        for junk in (b"", b"\x10\x81", b"\x10\x81\x00\x01" + bytes(8), bytes(range(40))):
            assert engine.receive(junk, "controller", engine.now) == []
        assert engine.stats.malformed == 4

    def test_responses_and_notifications_sent_to_the_meter_are_ignored(self) -> None:
        engine = meter()
        sends = request(engine, Esv.GET_RES, [(0x80, b"\x30")]).sends
        assert sends == []
        assert engine.stats.ignored == 1


class TestReverse:
    def test_no_reverse_measurement_gives_void_reverse_values(self) -> None:
        engine = meter(
            reverse_measurement=False,
            installed=START - timedelta(days=1),
            load=LoadSettings(pv_kw=200.0),
        )
        later(engine, hours=3)
        answer = get(engine, 0xE2, 0xE3, 0xC3, 0xC1, 0xC2, 0xD0, 0xE4, 0xCA, 0xCB)
        for epc in (0xE2, 0xE3, 0xC3, 0xC1, 0xC2, 0xD0, 0xE4, 0xCA, 0xCB):
            value = answer.value(epc)
            assert value.normal is not None and value.reverse is None, hex(epc)
        for epc in (0xE8, 0xC8, 0xCF):
            assert set(get(engine, epc).value(epc).slots) == {None}

    def test_a_big_pv_plant_feeds_back_at_noon(self) -> None:
        engine = meter(
            now=datetime(2026, 5, 16, 14, 0),  # a Saturday in May
            installed=datetime(2026, 5, 16, 0, 0),
            load=LoadSettings(peak_kw=100.0, pv_kw=400.0),
        )
        e8 = get(engine, 0xE8).value(0xE8).slots
        assert e8[0] == 0 and e8[28] is not None and e8[28] > 0  # 14:00


class TestConfiguration:
    def test_a_demand_that_cannot_fit_the_digits_is_refused(self) -> None:
        with pytest.raises(ConfigError, match="does not fit"):
            meter(demand_digits=3)

    def test_companion_is_the_normal_direction_view(self) -> None:
        engine = meter(companion_028a=True, installed=START - timedelta(days=1))
        companion = Eoj(0x02, 0x8A, 0x01)
        ours = get(engine, 0xE3, 0xC3)
        theirs = get(engine, 0xE3, 0xC3, deoj=companion)
        assert theirs.reply.seoj == companion
        assert theirs.value(0xE3, 0x028A).value == ours.value(0xE3).normal
        assert theirs.value(0xC3, 0x028A).value == ours.value(0xC3).normal
        e7 = get(engine, 0xE7, deoj=companion).value(0xE7, 0x028A)
        assert e7.slots == get(engine, 0xE7).value(0xE7).slots

    def test_a_frame_for_another_class_is_ignored(self) -> None:
        engine = meter()
        assert get(engine, 0x80, deoj=Eoj(0x01, 0x30, 0x01)).sends == []

    def test_time_cannot_go_back(self) -> None:
        engine = meter()
        with pytest.raises(ValueError, match="went back"):
            engine.advance(START - timedelta(minutes=1))

    def test_malformed_frame_bytes_do_not_change_state(self) -> None:
        engine = meter()
        before = engine.snapshot()
        engine.receive(encode_frame(get(engine, 0x80).reply)[:-1], "controller", engine.now)
        assert engine.snapshot() == before


def test_what_a_peer_did_wrong_and_each_half_hour_closed_are_events() -> None:
    engine = meter(installed=START - timedelta(hours=1), controllers=("controller",))
    engine.take_events()
    engine.receive(b"\x10\x81", "controller", START)
    assert get(engine, 0x80, peer="stranger").sends == []  # Route B: its controller only
    (malformed, foreign) = engine.take_events()
    assert isinstance(malformed, FrameDiscarded) and malformed.kind is Discard.MALFORMED
    assert isinstance(foreign, FrameDiscarded) and foreign.kind is Discard.FOREIGN
    assert foreign.source == "stranger"
    later(engine, hours=1)
    closed = [e.end for e in engine.take_events() if isinstance(e, HalfHourClosed)]
    first = floor_half_hour(START) + timedelta(minutes=30)
    assert closed == [first, first + timedelta(minutes=30)]
