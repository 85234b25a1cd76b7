"""The pace, the rate and the loss-driven batching: hemsnet.controller.pacing (C32, C33)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from hemsnet.controller.pacing import LinkQuality, Pacer, RateMeter

NOW = datetime(2026, 11, 21, 10, 0)


def test_a_burst_goes_at_once_then_one_per_pace() -> None:
    pacer = Pacer(10.0, 3, NOW)
    for _ in range(3):
        assert pacer.ready_at(NOW) == NOW
        pacer.take(NOW)
    assert pacer.ready_at(NOW) == NOW + timedelta(seconds=10)
    later = NOW + timedelta(seconds=10)
    pacer.take(later)
    assert pacer.ready_at(later) == later + timedelta(seconds=10)


def test_idle_time_earns_no_more_than_the_burst() -> None:
    pacer = Pacer(10.0, 3, NOW)
    for _ in range(3):
        pacer.take(NOW)
    later = NOW + timedelta(hours=1)
    for _ in range(3):
        pacer.take(later)
    assert pacer.ready_at(later) == later + timedelta(seconds=10)


def test_no_pace_never_waits() -> None:
    pacer = Pacer(0.0, 3, NOW)
    for _ in range(100):
        pacer.take(NOW)
    assert pacer.ready_at(NOW) == NOW


def test_the_rate_counts_the_last_hour() -> None:
    rate = RateMeter()
    for minute in range(90):
        rate.note(NOW + timedelta(minutes=minute))
    assert rate.per_hour(NOW + timedelta(minutes=89, seconds=30)) == 60


def test_a_clean_link_batches() -> None:
    quality = LinkQuality()
    for _ in range(20):
        quality.note(answered=True)
    assert quality.success == 1.0
    for count in (2, 3, 12):
        assert not quality.prefers_singles(count, pace=10, timer_1=40, timer_2=180)


@pytest.mark.parametrize(
    ("answered", "count", "singles"),
    [
        (13, 2, True),  # about a fifth lost each way: a third of requests unanswered
        (13, 3, True),
        (13, 4, False),  # 4 x 38 s > 117 s for one request of four
        (17, 2, True),
        (17, 3, False),
        (20, 2, False),
    ],
)
def test_a_lossy_link_asks_few_properties_one_by_one(
    answered: int, count: int, singles: bool
) -> None:
    quality = LinkQuality()
    for i in range(20):
        quality.note(answered=i < answered)
    assert quality.prefers_singles(count, pace=10, timer_1=40, timer_2=180) is singles


def test_one_property_is_never_split() -> None:
    quality = LinkQuality()
    for _ in range(20):
        quality.note(answered=False)
    assert quality.success == 0.05
    assert not quality.prefers_singles(1, pace=10, timer_1=40, timer_2=180)
