"""Whether a reading from the meter can be believed, before anything is recorded.

Everything that comes from the wire is hostile until checked (docs/threat-model.md): Route B
is isolated but not authenticated [G.9958 I.1, I.2], and a meter can be replaced or reset.
The engine judges every :class:`~hemsnet.metering.samples.Sample` it decoded:

* **rejected** when its time is off its series' grid (:00/:30, whole minutes [AIF 3.2.1,
  3.3.4]); when it lies outside the window its way of coming allows (a notification or a poll
  of a fixed-time value is of the latest half-hour, a one-minute value of the latest minutes,
  a present value of now, a history slot is not in the future nor older than the meter keeps),
  all measured against the meter's clock as learnt from 0xE2; when its count has more digits
  than the meter's register (0xE5, 0xC4, 0xCC); or when it asks for more power than is
  possible: a cumulative count that grows, or a demand that reaches, beyond :data:`MARGIN`
  times the highest demand believed so far (the meter's history of 30-minute demands and its
  instantaneous power; before any, the largest demand its 0xC4 digits of the 0xC5 unit can
  show) (decision C46);
* a **restart** when a cumulative count falls and reading it as a roll-over would need more
  energy than that allows: a new meter, or a counter reset, is a new register epoch, never a
  wrap (C47);
* **disputed** when it contradicts the count held for its instant and does not come from the
  meter's history: nothing is overwritten until the history (E1 + E7.., EF + ED) settles it
  (C48);
* **kept** otherwise.

Values older than the newest one held (a backfill) are checked for their time, grid and digits
only: they come from the meter's own history, asked for by day.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import Final

from hemsnet.controller.coverage import Coverage
from hemsnet.devices.codecs.readings import HISTORY_DAY_MAX
from hemsnet.devices.model import Quantity
from hemsnet.metering.attributes import Register, register_of
from hemsnet.metering.samples import Sample
from hemsnet.metering.series import HALF_HOUR, MINUTE, Series, Source, off_grid

__all__ = ["CLOCK_SKEW", "MARGIN", "Judgement", "Verdict", "Vetting"]

#: How far a time stamp may be from the meter's clock as learnt (E2 is read every 5 minutes).
CLOCK_SKEW: Final = timedelta(minutes=2)
#: A fixed-time value is notified within 5 minutes after its :00/:30 [AIF 3.2.1] and fetched
#: until the next one [AIF 3.3.1]: the newest two half-hours.
_FIXED_TIME_AGE: Final = HALF_HOUR + timedelta(minutes=5)
_MINUTE_AGE: Final = timedelta(minutes=5)  # D0 is polled every minute [AIF 3.3.4]
#: A load may reach this many times the highest demand believed so far: a chiller plant
#: starting, a new tenant, yet far below a forged count or a wrap that is really a restart.
MARGIN: Final = Decimal(4)
_HOUR: Final = Decimal(3600)


class Verdict(Enum):
    KEPT = "kept"
    REJECTED = "rejected"
    DISPUTED = "disputed"
    RESTARTED = "restarted"


@dataclass(frozen=True, slots=True)
class Judgement:
    """What was made of one sample, and why when it is not simply kept."""

    sample: Sample
    verdict: Verdict
    reason: str = ""
    held: int | None = None  # the count held for its instant, when disputed


class Vetting:
    """The checks, and the newest count of each cumulative series they compare with."""

    def __init__(self) -> None:
        self.latest: dict[Series, tuple[datetime, int]] = {}
        self.peak_kw: Decimal | None = None  # the highest demand believed so far

    def restore(
        self, latest: Mapping[Series, tuple[datetime, int]], peak_kw: Decimal | None
    ) -> None:
        """Take the newest counts and the peak the store holds, where beyond those seen since."""
        for series, (at, raw) in latest.items():
            mine = self.latest.get(series)
            if mine is None or mine[0] < at:
                self.latest[series] = (at, raw)
        if peak_kw is not None:
            self._peak(peak_kw)

    def judge(
        self,
        samples: Iterable[Sample],
        source: Source,
        *,
        meter_now: datetime,
        attributes: Mapping[int, bytes],
        coverage: Coverage,
        retained_days: int,
    ) -> list[Judgement]:
        """A judgement per sample, in order; the newest counts move on with the kept ones."""
        judged = []
        for sample in samples:
            judgement = self._judge(sample, source, meter_now, attributes, coverage, retained_days)
            if judgement.verdict in (Verdict.KEPT, Verdict.RESTARTED):
                self._note(sample)
            judged.append(judgement)
        return judged

    # --- inside ------------------------------------------------------------------------------

    def _judge(
        self,
        sample: Sample,
        source: Source,
        meter_now: datetime,
        attributes: Mapping[int, bytes],
        coverage: Coverage,
        retained_days: int,
    ) -> Judgement:
        series, at, raw = sample.series, sample.measured_at, sample.raw
        step = series.step
        if step is not None and off_grid(at, step):
            return _rejected(sample, f"{at:%Y-%m-%d %H:%M:%S} is off the {series.value} grid")
        if raw is None and source is Source.HISTORY:
            return Judgement(sample, Verdict.KEPT)  # "no data", as for the slots still ahead
        earliest, latest = _window(series, source, meter_now, retained_days)
        if not earliest <= at <= latest:
            return _rejected(
                sample,
                f"{at:%Y-%m-%d %H:%M:%S} is outside {earliest:%Y-%m-%d %H:%M:%S} .. "
                f"{latest:%Y-%m-%d %H:%M:%S} for a {source.value} reading of "
                f"{series.value} (the meter's clock reads {meter_now:%Y-%m-%d %H:%M:%S})",
            )
        if raw is None:
            return Judgement(sample, Verdict.KEPT)
        quantity = series.quantity
        register = None if quantity is None else register_of(attributes, quantity)
        if register is not None and not register.holds(raw):
            return _rejected(sample, f"{raw} has more than the register's {register.digits} digits")
        held = coverage.held(series, at)
        if held is not None and held != raw and source is not Source.HISTORY:
            return Judgement(
                sample,
                Verdict.DISPUTED,
                f"{raw} contradicts the {held} held for {at:%Y-%m-%d %H:%M}",
                held,
            )
        limit_kw = self._limit_kw(attributes)
        if series.cumulative and register is not None:
            return self._growth(sample, raw, register, limit_kw)
        demand = _kilowatts(sample)
        beyond = demand is not None and limit_kw is not None and abs(demand) > limit_kw
        if beyond and source is not Source.HISTORY:
            return _rejected(
                sample, f"{series.value} of {demand} kW is beyond the {limit_kw} kW possible"
            )
        return Judgement(sample, Verdict.KEPT)

    def _limit_kw(self, attributes: Mapping[int, bytes]) -> Decimal | None:
        """The highest demand believable now, in kW (``None``: not known yet)."""
        if self.peak_kw is not None:
            return self.peak_kw * MARGIN
        return _largest_demand(attributes)

    def _growth(
        self, sample: Sample, raw: int, register: Register, limit_kw: Decimal | None
    ) -> Judgement:
        """Compare a cumulative count with the newest one before it."""
        previous = self.latest.get(sample.series)
        if limit_kw is None or previous is None or previous[0] >= sample.measured_at:
            return Judgement(sample, Verdict.KEPT)
        then, count = previous
        hours = Decimal((sample.measured_at - then).total_seconds()) / _HOUR
        allowed = limit_kw * hours + register.energy(0, 1)  # one count for rounding
        grown = register.energy(count, raw)  # across one roll-over when it fell
        if grown <= allowed:
            return Judgement(sample, Verdict.KEPT)
        unit = sample.series.unit
        if raw < count:
            return Judgement(
                sample,
                Verdict.RESTARTED,
                f"{sample.series.value} fell from {count} to {raw}: a roll-over would be "
                f"{grown} {unit} since {then:%Y-%m-%d %H:%M}; a new meter or a reset counter",
            )
        return _rejected(
            sample,
            f"{sample.series.value} grew by {grown} {unit} since {then:%Y-%m-%d %H:%M}, more than "
            f"the largest demand believable, {limit_kw} kW, allows",
        )

    def _note(self, sample: Sample) -> None:
        demand = _kilowatts(sample)
        if demand is not None:
            self._peak(abs(demand))
        if sample.raw is None or not sample.series.cumulative:
            return
        mine = self.latest.get(sample.series)
        if mine is None or mine[0] < sample.measured_at:
            self.latest[sample.series] = (sample.measured_at, sample.raw)

    def _peak(self, kilowatts: Decimal) -> None:
        if self.peak_kw is None or kilowatts > self.peak_kw:
            self.peak_kw = kilowatts


def _kilowatts(sample: Sample) -> Decimal | None:
    """The power a sample of a 30-minute demand or of the instantaneous power shows, in kW."""
    value = sample.value
    if value is None:
        return None
    if sample.series in (Series.DEMAND_NORMAL, Series.DEMAND_REVERSE):
        return value
    if sample.series is Series.POWER:
        return value / 1000
    return None


def _rejected(sample: Sample, reason: str) -> Judgement:
    return Judgement(sample, Verdict.REJECTED, reason)


def _window(
    series: Series, source: Source, meter_now: datetime, retained_days: int
) -> tuple[datetime, datetime]:
    """The earliest and latest time a reading of ``series`` coming by ``source`` may carry."""
    latest = meter_now + CLOCK_SKEW
    if source is Source.HISTORY:
        kept_days = min(retained_days, HISTORY_DAY_MAX + 1)
        return meter_now.replace(hour=0, minute=0, second=0) - timedelta(days=kept_days), latest
    if series.step == HALF_HOUR:
        return meter_now - _FIXED_TIME_AGE - CLOCK_SKEW, latest
    if series.step == MINUTE:
        return meter_now - _MINUTE_AGE - CLOCK_SKEW, latest
    return meter_now - CLOCK_SKEW, latest  # present values, and the ones stamped on arrival


def _largest_demand(attributes: Mapping[int, bytes]) -> Decimal | None:
    """The largest demand the meter can show, in kW: its 0xC4 digits of its 0xC5 unit."""
    demand = register_of(attributes, Quantity.DEMAND)
    if demand is None:
        return None
    largest = demand.scale.apply(10**demand.digits - 1)
    return None if largest is None else largest
