"""The half-hour projection and its band (docs/energy-management.md E1, E2)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from hemsnet.control.forecast import level_of, project

START = datetime(2026, 8, 3, 14, 0)


def _at(seconds: float) -> datetime:
    return START + timedelta(seconds=seconds)


def test_the_projection_follows_live_power_not_the_first_minutes_pace() -> None:
    # The case: 402 kW of pace in the first minute, live power back at 225 kW.
    energy = 402 / 60  # kWh in the first minute at 402 kW
    p = project(START, _at(60), energy, 225.0)
    expected = (energy * 3600 + 225 * 1740) / 1800
    assert p.projected_kw == pytest.approx(expected)
    assert p.projected_kw < 240
    assert level_of(p, 380, 0.9, 1.0) == "normal"


def test_the_band_shrinks_as_the_period_goes_on_and_closes_on_the_measured_demand() -> None:
    widths = []
    for seconds in (60, 600, 1200, 1740, 1800):
        energy = 300 * seconds / 3600
        p = project(START, _at(seconds), energy, 300.0)
        assert p.low_kw <= p.projected_kw <= p.high_kw
        assert p.projected_kw == pytest.approx(300.0)
        widths.append(p.high_kw - p.low_kw)
    assert widths == sorted(widths, reverse=True)
    assert widths[-1] == 0.0


def test_a_rising_trend_raises_the_projection_and_widens_the_band() -> None:
    recent = [(_at(s), 280.0 + 0.1 * (s - 420)) for s in range(420, 601, 10)]  # +6 kW/min
    flat = project(START, _at(600), 280 * 600 / 3600, 298.0)
    rising = project(START, _at(600), 280 * 600 / 3600, 298.0, recent)
    assert rising.trend_kw_per_min == pytest.approx(6.0)
    assert rising.projected_kw > flat.projected_kw
    assert rising.high_kw - rising.low_kw > flat.high_kw - flat.low_kw


def test_a_step_within_a_minute_is_no_trend() -> None:
    recent = [(_at(s), 280.0 if s < 590 else 380.0) for s in range(540, 601, 10)]  # 60 s
    p = project(START, _at(600), 280 * 600 / 3600, 380.0, recent)
    assert p.trend_kw_per_min == 0.0


def test_energy_of_an_older_minute_reading_is_bridged_by_live_power() -> None:
    late = project(START, _at(630), 100 * 600 / 3600, 100.0, energy_at=_at(600))
    assert late.energy_kwh == pytest.approx(100 * 630 / 3600)


def test_levels_are_decided_on_the_band() -> None:
    energy = 420 * 900 / 3600
    sure = project(START, _at(900), energy, 420.0)
    assert level_of(sure, 380, 0.9, 1.0) == "alarm"
    close = project(START, _at(120), 381 * 120 / 3600, 381.0)  # just over, much time left
    assert close.low_kw < 380 < close.projected_kw
    assert level_of(close, 380, 0.9, 1.0) == "warning"
    assert level_of(close, None, 0.9, 1.0) == "unknown"
    low = project(START, _at(900), 200 * 900 / 3600, 200.0)
    assert level_of(low, 380, 0.9, 1.0) == "normal"
