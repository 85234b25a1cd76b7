"""The values of the meter's measurement properties at a given instant, typed.

Each method answers one property of 0x028F from the registers, the scaling and the history
selectors, as :mod:`hemsnet.devices.values` types the hv_meter_bidir codecs encode. Which
instant and which half-hour a value covers (see ``docs/meter.md``):

* 0xE2: now, to the second (the minute in progress counted pro rata).
* 0xD0, 0xE4, 0xCA: the latest whole minute. 0xED segment *i*: the minute 0xEF names, *i*
  minutes earlier (newest first, reference §8.5).
* 0xE3, 0xC3, 0xCB: the latest :00 or :30. 0xC3 (and a 0xC6/0xC8 slot) is the demand of the
  half-hour *ending* at its time, so slot 00:00 of a day holds the demand of 23:30-24:00 of
  the day before (reference §13 item 8a).
* 0xEA, 0xEB: the average power of the minute in progress, and the line currents it implies.

A reading the meter has no measurement for is ``None`` (void, 0xFFFFFFFF on the wire), and so
is every reverse value of a meter without reverse measurement [AIF 2.3 *2, *3].
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import Final

from hemsnet.devices.values import (
    HalfHourHistory,
    HistorySelector,
    NormalReverse,
    PhaseCurrents,
    SegmentHistory,
    TimedNormalReverse,
)
from hemsnet.meter.billing import BillingMonth
from hemsnet.meter.config import MeterConfig
from hemsnet.meter.registers import Registers, Totals
from hemsnet.meter.scaling import MeterScaling
from hemsnet.physics.timeline import MINUTES_PER_HALF_HOUR, minute_index, minute_start

__all__ = ["DAY_HISTORIES", "DEFAULT_SELECTOR", "HistoryKind", "MeterReadings"]

#: 0xEF before any Set: an all-0xFF date-time and one segment (reference §8.5, as 0x0288).
DEFAULT_SELECTOR: Final = HistorySelector(None, 1)
_SLOTS: Final = 48
_SQRT3: Final = math.sqrt(3)


class HistoryKind(Enum):
    """What a day48 history lists: a register, or the demand derived from it."""

    ACTIVE = "active"
    DEMAND = "demand"
    REACTIVE = "reactive"


#: The day48 history properties: which series, and whether the reverse direction.
DAY_HISTORIES: Final[dict[int, tuple[HistoryKind, bool]]] = {
    0xE7: (HistoryKind.ACTIVE, False),
    0xE8: (HistoryKind.ACTIVE, True),
    0xC6: (HistoryKind.DEMAND, False),
    0xC8: (HistoryKind.DEMAND, True),
    0xCE: (HistoryKind.REACTIVE, False),
    0xCF: (HistoryKind.REACTIVE, True),
}


class MeterReadings:
    """Measurement values of one meter, computed from its registers at ``now``."""

    def __init__(
        self,
        config: MeterConfig,
        scaling: MeterScaling,
        registers: Registers,
        billing: BillingMonth,
        now: datetime,
    ) -> None:
        self.config = config
        self.scaling = scaling
        self.registers = registers
        self.billing = billing
        self.now = now

    # --- raw conversions -----------------------------------------------------------------

    def _energy(self, normal: int, reverse: int) -> tuple[int, int | None]:
        raw = self.scaling.energy.raw
        return raw(normal), raw(reverse) if self.registers.reverse else None

    def _reactive(self, totals: Totals) -> tuple[int, int | None]:
        raw = self.scaling.reactive.raw
        reverse = raw(totals.reactive_r) if self.registers.reverse else None
        return raw(totals.reactive_n), reverse

    def demand(self, half_hour: int) -> tuple[int | None, int | None]:
        """Demand counts (normal, reverse) of the half-hour ending at boundary ``half_hour``."""
        end = self.registers.at_half_hour(half_hour)
        start = self.registers.at_half_hour(half_hour - 1)
        if end is None or start is None:
            return None, None
        demand = self.scaling.demand
        raw = self.scaling.energy.raw
        normal = demand(raw(start.active_n), raw(end.active_n))
        if not self.registers.reverse:
            return normal, None
        return normal, demand(raw(start.active_r), raw(end.active_r))

    # --- present values ------------------------------------------------------------------

    def present(self) -> TimedNormalReverse:
        """0xE2: the registers now, to the second."""
        at = self.now.replace(microsecond=0)
        normal, reverse = self._energy(*self.registers.active_now(at.second))
        return TimedNormalReverse(at, normal, reverse)

    def latest_minute(self) -> TimedNormalReverse:
        """0xD0 and 0xE4: the registers at the latest whole minute."""
        totals = self.registers.totals
        normal, reverse = self._energy(totals.active_n, totals.active_r)
        return TimedNormalReverse(minute_start(self.registers.minute), normal, reverse)

    def latest_minute_reactive(self) -> TimedNormalReverse:
        """0xCA: reactive energy (lag) at the latest whole minute."""
        normal, reverse = self._reactive(self.registers.totals)
        return TimedNormalReverse(minute_start(self.registers.minute), normal, reverse)

    def fixed_time(self, half_hour: int | None = None) -> TimedNormalReverse:
        """0xE3: the registers at the latest :00/:30 (or at boundary ``half_hour``)."""
        at, totals = self._boundary(half_hour)
        if totals is None:
            return TimedNormalReverse(at, None, None)
        return TimedNormalReverse(at, *self._energy(totals.active_n, totals.active_r))

    def fixed_time_demand(self, half_hour: int | None = None) -> TimedNormalReverse:
        """0xC3: the demand of the half-hour ending at the latest :00/:30 (or ``half_hour``)."""
        half_hour = self.registers.half_hour if half_hour is None else half_hour
        at = minute_start(half_hour * MINUTES_PER_HALF_HOUR)
        return TimedNormalReverse(at, *self.demand(half_hour))

    def fixed_time_reactive(self, half_hour: int | None = None) -> TimedNormalReverse:
        """0xCB: reactive energy (lag) at the latest :00/:30 (or at boundary ``half_hour``)."""
        at, totals = self._boundary(half_hour)
        if totals is None:
            return TimedNormalReverse(at, None, None)
        return TimedNormalReverse(at, *self._reactive(totals))

    def _boundary(self, half_hour: int | None) -> tuple[datetime, Totals | None]:
        """The time of a half-hour boundary (default: the latest) and the totals kept for it."""
        half_hour = self.registers.half_hour if half_hour is None else half_hour
        at = minute_start(half_hour * MINUTES_PER_HALF_HOUR)
        return at, self.registers.at_half_hour(half_hour)

    def monthly_maximum(self) -> NormalReverse:
        """0xC1."""
        (normal, reverse), _ = self.billing.at(self.now)
        return NormalReverse(normal, reverse if self.registers.reverse else None)

    def cumulative_maximum(self) -> NormalReverse:
        """0xC2."""
        _, (normal, reverse) = self.billing.at(self.now)
        return NormalReverse(normal, reverse if self.registers.reverse else None)

    def power(self) -> int:
        """0xEA: the average net power (W) of the minute in progress; negative when fed back."""
        return self.registers.power.net_w

    def currents(self) -> PhaseCurrents:
        """0xEB: balanced three-phase line currents for that power, 0.1 A steps; 0x0288's
        0xE8: the R and T lines of a single-phase three-wire supply, each carrying the current
        of the power at the line-to-line voltage (M22)."""
        net = self.registers.power.net_w
        load = self.config.load
        factor = load.power_factor if net >= 0 else load.pv_power_factor
        lines = 1.0 if self.config.low_voltage_meter else _SQRT3
        amperes = abs(net) / (lines * load.voltage_v * factor)
        current = Decimal(round(amperes * 10)) / 10
        return PhaseCurrents(current, current)

    # --- history -------------------------------------------------------------------------

    def day_history(self, epc: int, day: int) -> HalfHourHistory:
        """A day48 property for ``day`` days ago: slot *i* is 00:00 plus *i* half-hours."""
        series, reverse = DAY_HISTORIES[epc]
        first = _day_start(self.now.date() - timedelta(days=day)) // MINUTES_PER_HALF_HOUR
        slots = tuple(self._slot(series, first + i)[reverse] for i in range(_SLOTS))
        return HalfHourHistory(day, slots)

    def _slot(self, series: HistoryKind, half_hour: int) -> tuple[int | None, int | None]:
        if series is HistoryKind.DEMAND:
            return self.demand(half_hour)
        totals = self.registers.at_half_hour(half_hour)
        if totals is None:
            return None, None
        if series is HistoryKind.ACTIVE:
            return self._energy(totals.active_n, totals.active_r)
        return self._reactive(totals)

    def segments(self, selector: HistorySelector) -> SegmentHistory:
        """0xED: the minutes 0xEF selects, the named minute first, then going back in time."""
        start = selector.start
        if start is None:
            return SegmentHistory(None, (NormalReverse(None, None),) * selector.count)
        first = minute_index(start)
        segments = []
        for offset in range(selector.count):
            totals = self.registers.at_minute(first - offset)
            if totals is None:
                segments.append(NormalReverse(None, None))
            else:
                segments.append(NormalReverse(*self._energy(*totals)))
        return SegmentHistory(start, tuple(segments))

    def half_hour_segments(self, selector: HistorySelector) -> SegmentHistory:
        """0x0288's 0xEC: the half-hours 0xED selects, the named one first, then earlier."""
        start = selector.start
        if start is None:
            return SegmentHistory(None, (NormalReverse(None, None),) * selector.count)
        first = minute_index(start) // MINUTES_PER_HALF_HOUR
        segments = []
        for offset in range(selector.count):
            totals = self.registers.at_half_hour(first - offset)
            if totals is None:
                segments.append(NormalReverse(None, None))
            else:
                segments.append(NormalReverse(*self._energy(totals.active_n, totals.active_r)))
        return SegmentHistory(start, tuple(segments))

    # --- selectors -----------------------------------------------------------------------

    def day_selectable(self, day: int) -> bool:
        """Whether 0xE1 may be set to ``day``: 0 (today) .. the days the meter keeps."""
        return 0 <= day <= self.config.retained_days

    def half_hour_selectable(self, selector: HistorySelector) -> bool:
        """Whether 0x0288's 0xED may name this half-hour: one the meter has passed and keeps."""
        start = selector.start
        if start is None or start.second or start.microsecond or start.minute % 30:
            return False
        half_hour = minute_index(start) // MINUTES_PER_HALF_HOUR
        return self.registers.at_half_hour(half_hour) is not None

    def minute_selectable(self, selector: HistorySelector) -> bool:
        """Whether 0xEF may name this minute: one the meter has passed and still keeps."""
        if selector.start is None or selector.start.second or selector.start.microsecond:
            return False
        minute = minute_index(selector.start)
        kept = self.config.minute_history_days * 24 * 60
        return self.registers.minute - kept < minute <= self.registers.minute


def _day_start(day: date) -> int:
    return minute_index(datetime(day.year, day.month, day.day))
