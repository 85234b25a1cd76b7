"""Meter time from a monotonic clock: speed, delays, resolution."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from hemsnet.aio.clock import ScaledClock

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
