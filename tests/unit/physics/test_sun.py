"""The sun on a PV system: the meter's on-site PV and the PV appliance."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hemsnet.physics.load import LoadModel, LoadSettings
from hemsnet.physics.sun import PvSystem
from hemsnet.physics.timeline import MINUTES_PER_DAY
from tests.unit.physics.sampling import days_between, minutes_of

SEEDS = (1, 2, 3)
RATED_W = 150_000.0
YEAR_MINUTES = 366 * MINUTES_PER_DAY


def _mean(pv: PvSystem, minutes: list[int]) -> float:
    return sum(pv.power_w(i) for i in minutes) / len(minutes)


@pytest.mark.parametrize("seed", [*SEEDS, -5, 2**70])
def test_the_meters_pv_is_a_pv_system_of_its_rating_and_seed(seed: int) -> None:
    meter = LoadModel(LoadSettings(peak_kw=100.0, noise=0.05, pv_kw=150.0), seed)
    pv = PvSystem(RATED_W, seed)
    minutes = minutes_of(days_between(date(2024, 3, 1), date(2024, 8, 31)), 0, 24, step=11)
    assert [meter.minute(i).pv_w for i in minutes] == [pv.power_w(i) for i in minutes]
    assert meter.max_pv_w == pv.max_w


@settings(deadline=None, max_examples=300)
@given(
    rated_w=st.floats(0.0, 1e8),
    seed=st.integers(-(2**70), 2**70),
    indexes=st.lists(st.integers(0, 50 * YEAR_MINUTES), min_size=1, max_size=10),
)
def test_power_stays_within_the_advertised_bound(
    rated_w: float, seed: int, indexes: list[int]
) -> None:
    pv = PvSystem(rated_w, seed)
    assert isinstance(pv.max_w, int)
    assert 0 <= pv.max_w <= 0.85 * rated_w
    for index in indexes:
        assert 0 <= pv.power_w(index) <= pv.max_w
        assert PvSystem(rated_w, seed).power_w(index) == pv.power_w(index)  # no stepping state


@pytest.mark.parametrize("seed", SEEDS)
def test_pv_sleeps_at_night_and_works_at_noon(seed: int) -> None:
    pv = PvSystem(RATED_W, seed)
    year = days_between(date(2024, 1, 1), date(2024, 12, 31))
    assert all(pv.power_w(i) == 0 for i in minutes_of(year, 0, 3, step=10))
    assert all(pv.power_w(i) == 0 for i in minutes_of(year, 20, 24, step=10))
    sunny_noons = sum(pv.power_w(i) > 0 for i in minutes_of(year, 12, 12.1, step=6))
    assert sunny_noons > 0.9 * len(year)


@pytest.mark.parametrize("seed", SEEDS)
def test_pv_yields_more_in_may_than_in_december(seed: int) -> None:
    pv = PvSystem(RATED_W, seed)
    may = _mean(pv, minutes_of(days_between(date(2024, 5, 1), date(2024, 5, 31)), 0, 24, step=10))
    december = _mean(
        pv, minutes_of(days_between(date(2024, 12, 1), date(2024, 12, 31)), 0, 24, step=10)
    )
    assert may > 1.2 * december


@pytest.mark.parametrize("seed", SEEDS)
def test_days_are_long_in_june_and_short_in_december(seed: int) -> None:
    pv = PvSystem(10_000_000.0, seed)

    def daylight_minutes(day: date) -> int:
        return sum(pv.power_w(i) > 0 for i in minutes_of([day], 0, 24, step=1))

    # Tokyo: about 14 h 35 min at the June solstice, 9 h 45 min at the December one.
    assert 13 * 60 < daylight_minutes(date(2024, 6, 21)) < 15 * 60
    assert 9 * 60 < daylight_minutes(date(2024, 12, 21)) < 10 * 60


@pytest.mark.parametrize("seed", SEEDS)
def test_weather_varies_from_day_to_day(seed: int) -> None:
    pv = PvSystem(RATED_W, seed)
    days = days_between(date(2024, 4, 1), date(2024, 5, 31))
    noon_means = [_mean(pv, minutes_of([d], 11, 13, step=2)) for d in days]
    clear = sum(m > 0.6 * pv.max_w for m in noon_means)
    overcast = sum(m < 0.35 * pv.max_w for m in noon_means)
    assert clear > 0.15 * len(days)
    assert overcast > 0.1 * len(days)
