"""The customer's load, with on-site PV, behind the meter emulator's registers."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from itertools import pairwise
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hemsnet.physics.load import LoadModel, LoadSettings, MinutePower, Profile, Surge
from hemsnet.physics.timeline import MINUTES_PER_DAY, minute_index
from tests.unit.physics.sampling import WEEKDAYS, WEEKENDS, days_between, minutes_of

OFFICE = LoadSettings(profile=Profile.OFFICE, peak_kw=100.0, noise=0.05)
BIG_PV_OFFICE = LoadSettings(profile=Profile.OFFICE, peak_kw=100.0, noise=0.05, pv_kw=150.0)
SEEDS = (1, 2, 3)
YEAR_MINUTES = 366 * MINUTES_PER_DAY


def _mean_load(model: LoadModel, minutes: list[int]) -> float:
    return sum(model.minute(i).load_w for i in minutes) / len(minutes)


SPRING_WEEKS = (date(2024, 4, 8), date(2024, 5, 5))


# --- determinism and independence -------------------------------------------------------------


def test_same_settings_and_seed_give_the_same_minutes() -> None:
    minutes = minutes_of(days_between(date(2024, 6, 1), date(2024, 6, 3)), 0, 24, step=7)
    first, second = LoadModel(BIG_PV_OFFICE, seed=42), LoadModel(BIG_PV_OFFICE, seed=42)
    series = [first.minute(i) for i in minutes]
    assert series == [second.minute(i) for i in minutes]
    assert series == [first.minute(i) for i in minutes]  # and again, from a warm cache
    assert all(isinstance(p.load_w, int) and isinstance(p.pv_w, int) for p in series)


def test_different_seeds_give_different_series() -> None:
    minutes = minutes_of(days_between(date(2024, 6, 1), date(2024, 6, 7)), 0, 24, step=3)
    one, two = LoadModel(BIG_PV_OFFICE, seed=1), LoadModel(BIG_PV_OFFICE, seed=2)
    loads = [(one.minute(i).load_w, two.minute(i).load_w) for i in minutes]
    pvs = [(one.minute(i).pv_w, two.minute(i).pv_w) for i in minutes]
    assert sum(a != b for a, b in loads) > 0.9 * len(minutes)
    assert sum(a != b for a, b in pvs if a or b) > 0.5 * sum(1 for a, b in pvs if a or b)


@settings(deadline=None)
@given(
    seed=st.integers(-(2**70), 2**70),
    index=st.integers(0, 30 * YEAR_MINUTES),
    others=st.lists(st.integers(0, 30 * YEAR_MINUTES), max_size=20),
    around=st.integers(-3000, 3000),
)
def test_a_minute_does_not_depend_on_the_minutes_computed_before(
    seed: int, index: int, others: list[int], around: int
) -> None:
    alone = LoadModel(BIG_PV_OFFICE, seed).minute(index)
    busy = LoadModel(BIG_PV_OFFICE, seed)
    for other in [*others, *range(max(0, index + around - 30), max(0, index + around))]:
        busy.minute(other)
    assert busy.minute(index) == alone


# --- bounds -----------------------------------------------------------------------------------

load_settings = st.builds(
    LoadSettings,
    profile=st.sampled_from(Profile),
    peak_kw=st.floats(0.0, 100_000.0, exclude_min=True),
    noise=st.floats(0.0, 0.5),
    pv_kw=st.one_of(st.just(0.0), st.floats(0.0, 100_000.0)),
    power_factor=st.floats(0.5, 1.0),
    pv_power_factor=st.floats(0.5, 1.0),
    voltage_v=st.floats(1.0, 100_000.0),
)


@settings(deadline=None, max_examples=300)
@given(
    load=load_settings,
    seed=st.integers(-(2**70), 2**70),
    indexes=st.lists(st.integers(0, 50 * YEAR_MINUTES), min_size=1, max_size=10),
)
def test_powers_stay_within_the_advertised_bounds(
    load: LoadSettings, seed: int, indexes: list[int]
) -> None:
    model = LoadModel(load, seed)
    assert isinstance(model.max_load_w, int)
    assert isinstance(model.max_pv_w, int)
    assert 0 <= model.max_pv_w <= load.pv_kw * 1000
    for index in indexes:
        power = model.minute(index)
        assert 0 < power.load_w <= model.max_load_w
        assert 0 <= power.pv_w <= model.max_pv_w
        assert power.net_w == power.load_w - power.pv_w


@pytest.mark.parametrize("profile", Profile)
def test_bounds_hold_and_are_tight_over_a_noiseless_year(profile: Profile) -> None:
    # Without noise the yearly highest minute reaches the peak; with PV, clear noons in spring
    # and summer come close to the PV bound.
    model = LoadModel(LoadSettings(profile=profile, peak_kw=250.0, noise=0.0, pv_kw=80.0), 9)
    minutes = minutes_of(days_between(date(2023, 1, 1), date(2023, 12, 31)), 0, 24, step=5)
    powers = [model.minute(i) for i in minutes]
    top_load, top_pv = max(p.load_w for p in powers), max(p.pv_w for p in powers)
    assert 0.97 * model.max_load_w <= top_load <= model.max_load_w
    assert 0.95 * model.max_pv_w <= top_pv <= model.max_pv_w
    assert model.max_load_w <= 250_000
    assert model.max_pv_w < 0.85 * 80_000


def test_load_never_reaches_zero_even_for_a_tiny_customer() -> None:
    model = LoadModel(LoadSettings(peak_kw=0.0001, noise=0.5), seed=3)
    loads = [model.minute(i).load_w for i in range(0, 14 * MINUTES_PER_DAY, 11)]
    assert min(loads) >= 1
    assert max(loads) <= model.max_load_w


# --- noise ------------------------------------------------------------------------------------


def test_without_noise_the_load_is_the_bare_shape_for_every_seed() -> None:
    quiet = LoadSettings(profile=Profile.FACTORY, peak_kw=500.0, noise=0.0)
    minutes = minutes_of(days_between(date(2024, 3, 1), date(2024, 3, 10)), 0, 24, step=1)
    one, two = LoadModel(quiet, seed=1), LoadModel(quiet, seed=2)
    loads = [one.minute(i).load_w for i in minutes]
    assert loads == [two.minute(i).load_w for i in minutes]
    # smooth: the steepest scheduled ramp is a few % of the peak a minute
    assert max(abs(b - a) for a, b in pairwise(loads)) < 0.03 * 500_000


@pytest.mark.parametrize("noise", [0.02, 0.1, 0.5])
def test_noise_sets_the_relative_deviation_from_the_shape(noise: float) -> None:
    shape = LoadModel(LoadSettings(profile=Profile.SCHOOL, peak_kw=800.0, noise=0.0), seed=5)
    noisy = LoadModel(LoadSettings(profile=Profile.SCHOOL, peak_kw=800.0, noise=noise), seed=5)
    minutes = minutes_of(days_between(date(2024, 5, 1), date(2024, 5, 14)), 0, 24, step=1)
    ratios = [noisy.minute(i).load_w / shape.minute(i).load_w for i in minutes]
    assert 1 - noise - 1e-4 <= min(ratios)
    assert max(ratios) <= 1 + noise + 1e-4
    # ... and uses a good part of that room
    assert max(ratios) - min(ratios) > noise


# --- shapes -----------------------------------------------------------------------------------


@pytest.mark.parametrize("profile", [Profile.OFFICE, Profile.FACTORY])
@pytest.mark.parametrize("seed", SEEDS)
def test_working_hours_outweigh_nights_and_weekends(profile: Profile, seed: int) -> None:
    model = LoadModel(LoadSettings(profile=profile, peak_kw=400.0), seed)
    start, end = SPRING_WEEKS
    work = _mean_load(model, minutes_of(days_between(start, end, WEEKDAYS), 9, 18))
    night = _mean_load(model, minutes_of(days_between(start, end, WEEKDAYS), 0, 5))
    weekend = _mean_load(model, minutes_of(days_between(start, end, WEEKENDS), 9, 18))
    assert work > 1.8 * night
    assert work > 1.8 * weekend


@pytest.mark.parametrize("seed", SEEDS)
def test_factory_runs_two_shifts_with_a_lunch_dip(seed: int) -> None:
    model = LoadModel(LoadSettings(profile=Profile.FACTORY, peak_kw=1500.0), seed)
    days = days_between(*SPRING_WEEKS, weekdays=WEEKDAYS)
    evening = _mean_load(model, minutes_of(days, 18, 21))
    lunch = _mean_load(model, minutes_of(days, 12.25, 12.75, step=1))
    morning = _mean_load(model, minutes_of(days, 10, 12))
    night = _mean_load(model, minutes_of(days, 0, 5))
    assert evening > 0.75 * 1500_000
    assert lunch < 0.85 * morning
    assert 0.25 * 1500_000 < night < 0.45 * 1500_000


@pytest.mark.parametrize("seed", SEEDS)
def test_school_is_quiet_in_the_summer_term_break(seed: int) -> None:
    model = LoadModel(LoadSettings(profile=Profile.SCHOOL, peak_kw=200.0), seed)
    june = _mean_load(
        model, minutes_of(days_between(date(2024, 6, 3), date(2024, 6, 28), WEEKDAYS), 8, 16)
    )
    august = _mean_load(
        model, minutes_of(days_between(date(2024, 8, 5), date(2024, 8, 23), WEEKDAYS), 8, 16)
    )
    assert august < 0.5 * june


@pytest.mark.parametrize(
    ("term", "holiday"),
    [
        ((date(2024, 12, 9), date(2024, 12, 20)), (date(2024, 12, 25), date(2025, 1, 7))),
        ((date(2024, 3, 4), date(2024, 3, 15)), (date(2024, 3, 21), date(2024, 4, 5))),
    ],
)
def test_school_is_quiet_in_the_winter_and_spring_breaks(
    term: tuple[date, date], holiday: tuple[date, date]
) -> None:
    model = LoadModel(LoadSettings(profile=Profile.SCHOOL, peak_kw=200.0), seed=4)
    in_term = _mean_load(model, minutes_of(days_between(*term, weekdays=WEEKDAYS), 9, 15))
    on_break = _mean_load(model, minutes_of(days_between(*holiday, weekdays=WEEKDAYS), 9, 15))
    night = _mean_load(model, minutes_of(days_between(*term), 0, 5))
    assert on_break < 0.5 * in_term
    assert night < 0.15 * 200_000


@pytest.mark.parametrize("seed", SEEDS)
def test_offices_cool_in_summer_afternoons_and_heat_in_winter_mornings(seed: int) -> None:
    model = LoadModel(OFFICE, seed)

    def weekday_mean(start: date, end: date, hours: tuple[float, float]) -> float:
        return _mean_load(model, minutes_of(days_between(start, end, WEEKDAYS), *hours))

    afternoon = (13.0, 17.0)
    summer = weekday_mean(date(2024, 7, 22), date(2024, 8, 30), afternoon)
    spring = weekday_mean(*SPRING_WEEKS, afternoon)
    assert summer > 1.15 * spring
    morning = (8.5, 10.0)
    winter = weekday_mean(date(2024, 1, 15), date(2024, 2, 9), morning)
    assert winter > 1.08 * weekday_mean(*SPRING_WEEKS, morning)


# --- PV on site -------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_big_pv_reverses_the_flow_on_weekend_noons_and_never_at_night(seed: int) -> None:
    model = LoadModel(BIG_PV_OFFICE, seed)
    weekends = days_between(date(2024, 1, 1), date(2024, 12, 31), WEEKENDS)
    reversed_days = 0
    for day in weekends:
        noon = [model.minute(i) for i in minutes_of([day], 11, 13, step=2)]
        reversed_days += any(p.net_w < 0 for p in noon)
        # near its clear-sky output the array always outruns a weekend office
        assert all(p.net_w < 0 for p in noon if p.pv_w > 0.7 * model.max_pv_w)
    assert reversed_days > 0.5 * len(weekends)
    night: list[MinutePower] = [model.minute(i) for i in minutes_of(weekends, 0, 4, step=7)]
    night += [model.minute(i) for i in minutes_of(weekends, 20, 24, step=7)]
    assert all(p.net_w > 0 for p in night)


# --- settings ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value"),
    [("peak_kw", 0.0), ("peak_kw", -5.0), ("peak_kw", 100_001.0), ("peak_kw", float("nan")),
     ("noise", -0.01), ("noise", 0.51), ("noise", float("nan")),
     ("pv_kw", -1.0), ("pv_kw", 100_000.5), ("pv_kw", float("inf")),
     ("power_factor", 0.49), ("power_factor", 1.01), ("power_factor", float("nan")),
     ("pv_power_factor", 0.3), ("pv_power_factor", 1.5),
     ("voltage_v", 0.0), ("voltage_v", -6600.0), ("voltage_v", float("inf")),
     ("voltage_v", float("nan"))],
)  # fmt: skip
def test_out_of_range_settings_are_refused_by_name(name: str, value: float) -> None:
    change: dict[str, Any] = {name: value}
    bad = replace(LoadSettings(), **change)
    with pytest.raises(ValueError, match=rf"\b{name}\b"):
        LoadModel(bad, seed=0)


@pytest.mark.parametrize(
    "edge",
    [LoadSettings(peak_kw=100_000.0, noise=0.5, pv_kw=100_000.0, power_factor=0.5,
                  pv_power_factor=1.0, voltage_v=1e-3),
     LoadSettings(peak_kw=1e-6, noise=0.0, pv_kw=0.0, power_factor=1.0, pv_power_factor=0.5)],
)  # fmt: skip
def test_settings_at_the_edges_of_their_ranges_are_accepted(edge: LoadSettings) -> None:
    model = LoadModel(edge, seed=0)
    assert model.minute(minute_index(datetime(2024, 8, 5, 12))).load_w <= model.max_load_w


def test_a_surge_multiplies_the_load_in_its_window_only() -> None:
    start = datetime(2026, 11, 16, 10, 10)
    surge = Surge(start, start + timedelta(minutes=30), 4.0)
    plain = LoadModel(OFFICE, seed=1)
    surged = LoadModel(replace(OFFICE, surges=(surge,)), seed=1)
    first = minute_index(start)
    for index in range(first - 5, first + 35):
        factor = 4.0 if first <= index < first + 30 else 1.0
        expected = max(1, int(plain.minute(index).load_w * factor))
        assert surged.minute(index).load_w in range(expected - 4, expected + 5)
    assert surged.max_load_w >= 4 * plain.max_load_w - 4


def test_a_later_surge_wins_where_surges_overlap() -> None:
    start = datetime(2026, 11, 16, 10)
    surges = (
        Surge(start, start + timedelta(minutes=20), 3.0),
        Surge(start + timedelta(minutes=10), start + timedelta(minutes=15), 0.5),
    )
    bare = LoadModel(replace(OFFICE, noise=0.0), seed=2)
    surged = LoadModel(replace(OFFICE, noise=0.0, surges=surges), seed=2)
    for minutes, factor in ((5, 3.0), (12, 0.5), (17, 3.0), (20, 1.0)):
        at = minute_index(start + timedelta(minutes=minutes))
        # int() truncates the watts before (bare) or after (surged) the factor.
        assert abs(surged.minute(at).load_w - bare.minute(at).load_w * factor) <= factor
