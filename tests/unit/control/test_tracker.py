"""The meter's samples tracked into projections of the running half-hour."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from hemsnet.control.tracker import HalfHourTracker
from hemsnet.metering.samples import Sample
from hemsnet.metering.series import Series

T0 = datetime(2026, 8, 3, 14, 0)


def _s(series: Series, seconds: float, value: str | None) -> Sample:
    at = T0 + timedelta(seconds=seconds)
    return Sample(
        series, at, None if value is None else 1, None if value is None else Decimal(value)
    )


def test_a_power_reading_after_the_first_minute_gives_a_projection() -> None:
    tracker = HalfHourTracker()
    assert tracker.add([_s(Series.MINUTE_ENERGY_NORMAL, 0, "1000.0")]) is None
    assert tracker.add([_s(Series.POWER, 30, "300000")]) is None  # within the first minute
    made = tracker.add(
        [_s(Series.MINUTE_ENERGY_NORMAL, 60, "1005.0"), _s(Series.POWER, 70, "300000")]
    )
    assert made is not None and tracker.last is made
    assert made.period_start == T0 and made.power_kw == 300.0
    assert made.energy_kwh == 5.0 + 300 * 10 / 3600  # bridged from the 60 s reading
    assert abs(made.projected_kw - 300.0) < 1.0


def test_no_projection_without_the_periods_start_or_after_a_counter_went_back() -> None:
    tracker = HalfHourTracker()
    tracker.add([_s(Series.MINUTE_ENERGY_NORMAL, 60, "1005.0")])  # no reading at 14:00
    assert tracker.add([_s(Series.POWER, 70, "300000")]) is None
    tracker.add([_s(Series.MINUTE_ENERGY_NORMAL, 0, "1006.0")])  # start above the latest
    assert tracker.add([_s(Series.POWER, 80, "300000")]) is None
    assert tracker.add([_s(Series.POWER, 90, None)]) is None  # no data: ignored
