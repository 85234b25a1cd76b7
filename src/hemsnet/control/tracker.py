"""The running half-hour as the controller reads it: meter samples in, projections out.

The period's start energy is the cumulative reading at its boundary (one-minute 0xD0, else the
30-minute 0xE3); the energy so far is the newest cumulative reading (0xD0 or 0xE2) since; the
live power is 0xE7 (``Series.POWER``). A projection is made at each power reading once the
start is known and a minute has passed [E1]; a counter that went backwards (a wrap or a
restart) gives none for the rest of the period rather than a wrong one.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Final

from hemsnet.control.forecast import ForecastSettings, Projection, project
from hemsnet.metering.samples import Sample
from hemsnet.metering.series import Series, floor_half_hour

__all__ = ["HalfHourTracker"]

_BOUNDARY: Final = (Series.MINUTE_ENERGY_NORMAL, Series.ENERGY_NORMAL)
_SO_FAR: Final = (Series.MINUTE_ENERGY_NORMAL, Series.PRESENT_ENERGY_NORMAL)
_MIN_ELAPSED: Final = timedelta(seconds=60)
_RECENT: Final = 40  # power samples kept, enough for the trend window at a 5 s poll


class HalfHourTracker:
    """Projections of the running half-hour from the meter's samples (module doc)."""

    def __init__(self, settings: ForecastSettings | None = None) -> None:
        self.settings = settings or ForecastSettings()
        self._starts: dict[datetime, Decimal] = {}  # period start -> cumulative kWh there
        self._latest: tuple[datetime, Decimal] | None = None
        self._recent: deque[tuple[datetime, float]] = deque(maxlen=_RECENT)
        self.last: Projection | None = None

    def add(
        self, samples: Iterable[Sample], trend_since: datetime | None = None
    ) -> Projection | None:
        """Take samples; the projection made at the newest power reading among them, if any.
        ``trend_since``: readings before it are left out of the trend (E4)."""
        made = None
        for sample in samples:
            if sample.value is None:
                continue
            at = sample.measured_at
            if sample.series in _BOUNDARY and at == floor_half_hour(at):
                self._starts.setdefault(at, sample.value)
                while len(self._starts) > 2:
                    del self._starts[min(self._starts)]
            if sample.series in _SO_FAR and (self._latest is None or at > self._latest[0]):
                self._latest = (at, sample.value)
            if sample.series is Series.POWER:
                kw = float(sample.value) / 1000
                self._recent.append((at, kw))
                made = self._project(at, kw, trend_since) or made
        if made is not None:
            self.last = made
        return made

    def _project(self, at: datetime, kw: float, trend_since: datetime | None) -> Projection | None:
        start = floor_half_hour(at)
        base = self._starts.get(start)
        if base is None or self._latest is None or at - start < _MIN_ELAPSED:
            return None
        energy_at, cumulative = self._latest
        if energy_at < start or cumulative < base:
            return None
        recent = [r for r in self._recent if trend_since is None or r[0] >= trend_since]
        return project(
            start, at, float(cumulative - base), kw, recent, self.settings, energy_at=energy_at
        )
