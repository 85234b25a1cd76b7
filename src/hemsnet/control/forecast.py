"""The running half-hour's demand, projected with an uncertainty band (energy-management E1, E2).

What is known ``t`` seconds into a half-hour of ``T`` = 1800 s: the energy ``E`` used so far
(cumulative readings: the one-minute 0xD0 at the period start and the newest), the live power
``P`` (0xE7, the instantaneous power polled every few seconds) and the recent power samples.

* **Trend.** The least-squares slope ``s`` of the samples of the last ``trend_window``, kept
  only when they span at least ``trend_min_span`` (a minute's step is no trend).
* **Projection.** The rest of the period draws ``P + s·min(τ, H)`` at ``τ`` seconds from now
  (a trend is believed for ``H`` = ``trend_horizon`` seconds, then held, and moves the power
  by at most ``trend_cap·P``, so that a step fitted as a slope does not run away), never below 0:
  ``projected = (E·3600 + mean·r) / T`` in kW, ``r`` = ``T - t``. The energy already used is
  certain; only the remaining ``r/T`` of the period is a guess.
* **Band.** The spread of the rest's mean power, ``sigma = max(residual std, rel·P, floor)``
  plus half the trend's effect, scaled by ``r/T``: ``projected ± z·sigma·r/T``. It shrinks to the
  measured demand as the period ends.
* **Levels** (E2): *alarm* when the projection less a quarter of the band's half-width reaches
  ``alarm·target`` (the half-hour exceeds unless something changes), *warning* when the
  projection reaches ``warning·target`` or the upper edge reaches ``alarm·target`` (it may).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

__all__ = ["ALARM_CONFIDENCE", "PERIOD", "ForecastSettings", "Projection", "level_of", "project"]

PERIOD: Final = timedelta(minutes=30)
_T: Final = PERIOD.total_seconds()
#: The alarm needs the projection above the target by this fraction of the band's half-width
#: (about half a sigma): 1 (the lower edge) missed half-hours control could still have saved,
#: 0 (the bare projection) gave 18 % false alarms near the target (bench/forecast.py, E2).
ALARM_CONFIDENCE: Final = 0.25


@dataclass(frozen=True, slots=True)
class ForecastSettings:
    """The method's constants (docs/energy-management.md E1); the defaults are the ones
    bench/forecast.py measured."""

    trend_window: float = 180.0  # s of samples the slope is fitted on
    trend_min_span: float = 90.0  # s the samples must span for a slope
    trend_horizon: float = 300.0  # s a trend is believed to go on
    trend_cap: float = 0.25  # and it moves the power by at most this fraction of P
    relative: float = 0.06  # the rest's mean power may move this fraction of P
    floor_kw: float = 0.1  # and at least this much
    z: float = 2.0  # band half-width in sigma


@dataclass(frozen=True, slots=True)
class Projection:
    """The running half-hour's demand as projected at ``at``: kW, with its band."""

    period_start: datetime
    at: datetime
    energy_kwh: float
    power_kw: float
    trend_kw_per_min: float
    projected_kw: float
    low_kw: float
    high_kw: float

    @property
    def elapsed(self) -> timedelta:
        return self.at - self.period_start

    @property
    def remaining_s(self) -> float:
        return max(0.0, _T - self.elapsed.total_seconds())

    @property
    def period_end(self) -> datetime:
        return self.period_start + PERIOD


def _slope(samples: Sequence[tuple[float, float]]) -> tuple[float, float]:
    """Least-squares slope (kW/s) of ``(seconds, kW)`` pairs and the residuals' std."""
    n = len(samples)
    mean_t = sum(t for t, _ in samples) / n
    mean_p = sum(p for _, p in samples) / n
    var_t = sum((t - mean_t) ** 2 for t, _ in samples)
    if var_t == 0:
        return 0.0, 0.0
    slope = sum((t - mean_t) * (p - mean_p) for t, p in samples) / var_t
    residual = sum((p - mean_p - slope * (t - mean_t)) ** 2 for t, p in samples) / n
    return slope, math.sqrt(residual)


def _mean_ahead(power: float, slope: float, remaining: float, horizon: float) -> float:
    """Mean of ``power + slope·min(τ, horizon)`` over ``τ`` in ``[0, remaining]``."""
    if remaining <= 0:
        return power
    ramp = min(remaining, horizon)
    return power + slope * (ramp - ramp * ramp / (2 * remaining))


def project(
    period_start: datetime,
    at: datetime,
    energy_kwh: float,
    power_kw: float,
    recent: Sequence[tuple[datetime, float]] = (),
    settings: ForecastSettings = ForecastSettings(),
    *,
    energy_at: datetime | None = None,
) -> Projection:
    """The projection of the half-hour starting ``period_start``, from what is known at ``at``
    (module doc); ``recent`` are ``(time, kW)`` power samples, oldest first. ``energy_kwh`` is
    the energy used up to ``energy_at`` (``at`` when not given): the live power bridges the
    seconds since (a one-minute reading is up to a minute old)."""
    if energy_at is not None and energy_at < at:
        energy_kwh += power_kw * (at - max(energy_at, period_start)).total_seconds() / 3600
    elapsed = min(max((at - period_start).total_seconds(), 0.0), _T)
    remaining = _T - elapsed
    window = [
        ((when - at).total_seconds(), kw)
        for when, kw in recent
        if timedelta(0) <= at - when <= timedelta(seconds=settings.trend_window)
    ]
    slope, residual = 0.0, 0.0
    if len(window) >= 3 and window[-1][0] - window[0][0] >= settings.trend_min_span:
        slope, residual = _slope(window)
    cap = settings.trend_cap * abs(power_kw) / max(min(remaining, settings.trend_horizon), 1.0)
    slope = min(max(slope, -cap), cap)  # a step taken for a slope must not run away
    mean = max(0.0, _mean_ahead(power_kw, slope, remaining, settings.trend_horizon))
    projected = (energy_kwh * 3600 + mean * remaining) / _T
    ramp = min(remaining, settings.trend_horizon)
    sigma = max(residual, settings.relative * abs(power_kw), settings.floor_kw)
    sigma += abs(slope) * ramp / 2
    half = settings.z * sigma * remaining / _T
    return Projection(
        period_start,
        at,
        energy_kwh,
        power_kw,
        slope * 60,
        projected,
        max(0.0, projected - half),
        projected + half,
    )


def level_of(
    projection: Projection,
    target_kw: float | None,
    warning: float,
    alarm: float,
    confidence: float = ALARM_CONFIDENCE,
) -> str:
    """``alarm``, ``warning``, ``normal``, or ``unknown`` without a target (module doc, E2)."""
    if not target_kw:
        return "unknown"
    sure = projection.projected_kw - confidence * (projection.projected_kw - projection.low_kw)
    if sure >= alarm * target_kw:
        return "alarm"
    if projection.projected_kw >= warning * target_kw or projection.high_kw >= alarm * target_kw:
        return "warning"
    return "normal"
