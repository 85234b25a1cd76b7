"""The SKSTACK driver against the dongle emulator on a serial line in memory, in virtual time:
scan and join, refusals, sessions that end, the radio's limit, every firmware profile."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from hemsnet.meter.config import MeterConfig
from hemsnet.meter.engine import MeterEngine
from hemsnet.skstack.driver import KnownPan, RouteBCredentials, SkStackDriver
from hemsnet.skstack.emulator import DongleEmulator, Firmware, MeterRadio, RadioSettings
from hemsnet.skstack.events import (
    DatagramArrived,
    DongleReady,
    Joined,
    JoinRefused,
    NoMeterFound,
    PanFound,
    Scanning,
    SessionLost,
)
from tests.unit.skstack.line import ID, PASSWORD, Line

NOW = datetime(2026, 11, 21, 10, 0)
RADIO = MeterRadio(ID, PASSWORD)


def line(
    *,
    firmware: Firmware = Firmware.BP35A1,
    credentials: RouteBCredentials | None = None,
    pan: KnownPan | None = None,
    **settings: object,
) -> Line:
    meter = MeterEngine(MeterConfig(), now=NOW, installed=NOW - timedelta(hours=1))
    dongle = DongleEmulator(
        meter,
        RADIO,
        now=NOW,
        firmware=firmware,
        settings=RadioSettings(**settings),  # type: ignore[arg-type]
    )
    driver = SkStackDriver(credentials or RouteBCredentials(ID, PASSWORD), now=NOW, pan=pan)
    return Line(driver, dongle, NOW)


def joined(wire: Line) -> bool:
    return wire.driver.joined


@pytest.mark.parametrize("firmware", list(Firmware))
def test_scan_and_join_then_the_meter_announces_itself(firmware: Firmware) -> None:
    wire = line(firmware=firmware)
    wire.start()
    wire.run_until(
        lambda: any(isinstance(e, DatagramArrived) for e in wire.events), timedelta(minutes=5)
    )
    kinds = [type(e) for e in wire.events]
    assert kinds.index(DongleReady) < kinds.index(Scanning) < kinds.index(PanFound)
    assert kinds.index(PanFound) < kinds.index(Joined) < kinds.index(DatagramArrived)
    (found,) = [e for e in wire.events if isinstance(e, PanFound)]
    assert (found.pan.channel, found.pan.pan_id, found.pan.mac) == (0x21, 0x8888, RADIO.mac)
    (arrived,) = [e for e in wire.events if isinstance(e, DatagramArrived)]
    assert arrived.sender == RADIO.address and arrived.data[10:13] == bytes([0x73, 0x01, 0xD5])
    assert wire.driver.dual is firmware.dual
    # No echo after SKSREG SFE 0; the credentials never reach a log or the command list.
    assert "SKSETPWD" in wire.dongle.received and PASSWORD not in " ".join(wire.dongle.received)


def test_the_scan_grows_its_duration_until_the_meter_is_heard() -> None:
    wire = line(hearing_duration=6)
    wire.start()
    wire.run_until(lambda: joined(wire), timedelta(minutes=10))
    assert [e.duration for e in wire.events if isinstance(e, Scanning)] == [4, 5, 6]


def test_a_known_pan_skips_the_scan() -> None:
    wire = line(pan=KnownPan(0x21, 0x8888, RADIO.mac))
    wire.start()
    wire.run_until(lambda: joined(wire), timedelta(minutes=1))
    assert not [e for e in wire.events if isinstance(e, Scanning)]


def test_a_wrong_password_is_refused_and_tried_again_later() -> None:
    wire = line(credentials=RouteBCredentials(ID, "ABCDEFGHIJKX"))
    wire.start()
    wire.run_for(minutes=5)
    refusals = [e for e in wire.events if isinstance(e, JoinRefused)]
    assert refusals and not wire.driver.joined
    assert "EVENT 24" in wire.dongle_wrote.decode("latin-1")


def test_a_wrong_id_finds_no_meter() -> None:
    wire = line(credentials=RouteBCredentials("F" * 32, PASSWORD))
    wire.start()
    wire.run_for(minutes=5)
    assert any(isinstance(e, NoMeterFound) for e in wire.events)


def test_an_expired_session_is_joined_again() -> None:
    wire = line(session_lifetime=600, reauthentication_fails=True)
    wire.start()
    wire.run_until(lambda: joined(wire), timedelta(minutes=2))
    wire.run_for(minutes=11)
    lost = [e for e in wire.events if isinstance(e, SessionLost)]
    assert lost and lost[0].event == 0x29
    assert wire.driver.joined
    assert len([e for e in wire.events if isinstance(e, Joined)]) == 2


def test_a_renewed_session_stays() -> None:
    wire = line(session_lifetime=600)
    wire.start()
    wire.run_until(lambda: joined(wire), timedelta(minutes=2))
    wire.run_for(minutes=30)
    assert not [e for e in wire.events if isinstance(e, SessionLost)]
    assert [e.renewed for e in wire.events if isinstance(e, Joined)][:3] == [False, True, True]


def test_the_meter_ending_the_session_is_joined_again() -> None:
    wire = line()
    wire.start()
    wire.run_until(lambda: joined(wire), timedelta(minutes=2))
    wire._cross(b"", wire.dongle.end_session(wire.now))
    assert not wire.driver.joined
    wire.run_until(lambda: joined(wire), timedelta(minutes=1))
    (lost,) = [e for e in wire.events if isinstance(e, SessionLost)]
    assert lost.event == 0x26
