"""Meter time from a monotonic clock: speed, delays, resolution."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest

from hemsnet.aio.clock import Alarm, ScaledClock

START = datetime(2026, 11, 21, 10, 0)


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_meter_time_runs_at_the_speed() -> None:
    mono = FakeMonotonic()
    clock = ScaledClock(START, 600, mono)
    assert clock.now() == START
    mono.now += 3
    assert clock.now() == START + timedelta(minutes=30)
    assert clock.delay_until(START + timedelta(minutes=40)) == pytest.approx(1.0)
    assert clock.delay_until(START) == 0.0


def test_meter_time_moves_in_steps_of_a_millisecond() -> None:
    mono = FakeMonotonic()
    clock = ScaledClock(START, 1, mono)
    mono.now += 0.0004
    assert clock.now() == START
    mono.now += 0.0007
    assert clock.now() == START + timedelta(microseconds=1100)


def test_speed_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        ScaledClock(START, 0)


def test_an_alarm_sleeps_until_rung_or_stopped() -> None:
    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        alarm = Alarm()
        stop = asyncio.Event()
        async with alarm.armed(stop):
            loop.call_later(0.05, alarm.ring)  # rings in the middle of a minute's sleep
            await asyncio.wait_for(alarm.sleep(60), 5)
            alarm.ring()  # a ring before the sleep is not lost
            await asyncio.wait_for(alarm.sleep(60), 5)
            loop.call_later(0.05, stop.set)  # stop rings it too while armed
            await asyncio.wait_for(alarm.sleep(60), 5)
        await asyncio.wait_for(alarm.sleep(0.001), 5)  # unrung, a short sleep just ends

    asyncio.run(scenario())
