"""Maximum demand over billing months: 0xC1 (this month) and 0xC2 (cumulative).

The months follow the fixed date 0xE0 by the rules of :mod:`hemsnet.metering.billing`: a
half-hour counts in the month in which it *ends* minus one minute.

0xC1 is the largest 30-minute demand (0xC3) of the current month, per direction; it is 0 until
a half-hour of the month has closed. 0xC2 is the sum of the monthly maxima of the closed
months, in the 0xC7 unit, wrapping at 10**digits like a counter. The AIF does not define 0xC2
further; this is how Japanese demand meters keep their cumulative maximum demand.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from hemsnet.meter.scaling import MeterScaling, power_of_ten
from hemsnet.metering.billing import billing_month, closing_month

__all__ = ["BillingMonth"]


class BillingMonth:
    """Running monthly and cumulative maximum demand, updated as half-hours close."""

    def __init__(self, fixed_date: int, scaling: MeterScaling) -> None:
        self.fixed_date = fixed_date
        self._scaling = scaling
        self.month: int | None = None
        self.maximum = (0, 0)
        self.cumulative = (0, 0)

    def close(self, end: datetime, demand: tuple[int, int]) -> None:
        """Count the demand (normal, reverse counts) of the half-hour ending at ``end``."""
        month = closing_month(end, self.fixed_date)
        self.maximum, self.cumulative = self._rolled(month)
        self.month = month
        self.maximum = (max(self.maximum[0], demand[0]), max(self.maximum[1], demand[1]))

    def at(self, now: datetime) -> tuple[tuple[int, int], tuple[int, int]]:
        """(0xC1, 0xC2) counts at ``now``: a month that has begun starts from 0 at once."""
        return self._rolled(billing_month(now, self.fixed_date))

    def _rolled(self, month: int) -> tuple[tuple[int, int], tuple[int, int]]:
        if self.month is None or month == self.month:
            return self.maximum, self.cumulative
        modulus = power_of_ten(self._scaling.demand_digits)
        to_max = self._scaling.to_max_demand
        cumulative = (
            (self.cumulative[0] + to_max(self.maximum[0])) % modulus,
            (self.cumulative[1] + to_max(self.maximum[1])) % modulus,
        )
        return (0, 0), cumulative

    def snapshot(self) -> dict[str, Any]:
        return {"month": self.month, "maximum": self.maximum, "cumulative": self.cumulative}

    def restore(self, state: Mapping[str, Any]) -> None:
        month = state["month"]
        self.month = None if month is None else int(month)
        self.maximum = _pair(state["maximum"])
        self.cumulative = _pair(state["cumulative"])


def _pair(value: Any) -> tuple[int, int]:
    first, second = value
    return int(first), int(second)
