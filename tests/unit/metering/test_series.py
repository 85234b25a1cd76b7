"""The grids of the series: half-hours and minutes from midnight."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from hemsnet.metering.series import (
    HALF_HOUR,
    HALF_HOUR_SERIES,
    MINUTE,
    MINUTE_SERIES,
    Series,
    floor_half_hour,
    instants,
    off_grid,
)


def test_every_series_has_a_unit_and_the_grids_are_the_specs() -> None:
    assert all(series.unit for series in Series)
    assert Series.ENERGY_NORMAL in HALF_HOUR_SERIES  # :00/:30 [AIF 3.2.1]
    assert Series.MINUTE_ENERGY_REVERSE in MINUTE_SERIES  # whole minutes [AIF 3.3.4]
    assert Series.POWER.step is None
    assert set(HALF_HOUR_SERIES).isdisjoint(MINUTE_SERIES)


@pytest.mark.parametrize(
    ("at", "start"),
    [
        (datetime(2026, 11, 14, 10, 29, 59, 999), datetime(2026, 11, 14, 10, 0)),
        (datetime(2026, 11, 14, 10, 30), datetime(2026, 11, 14, 10, 30)),
        (datetime(2026, 11, 14, 0, 0, 1), datetime(2026, 11, 14, 0, 0)),
    ],
)
def test_floor_half_hour_is_the_start_of_the_period(at: datetime, start: datetime) -> None:
    assert floor_half_hour(at) == start


def test_off_grid_and_instants_count_from_midnight() -> None:
    assert off_grid(datetime(2026, 11, 14, 10, 17, 5), HALF_HOUR) == timedelta(
        minutes=17, seconds=5
    )
    assert off_grid(datetime(2026, 11, 14, 10, 17), MINUTE) == timedelta()
    found = instants(datetime(2026, 11, 14, 9, 59), datetime(2026, 11, 14, 11, 0), HALF_HOUR)
    assert found == [datetime(2026, 11, 14, 10, 0), datetime(2026, 11, 14, 10, 30)]
    assert instants(datetime(2026, 11, 14, 10), datetime(2026, 11, 14, 10), MINUTE) == []
    with pytest.raises(ValueError, match="does not divide a day"):
        instants(datetime(2026, 11, 14), datetime(2026, 11, 15), timedelta(minutes=7))
