"""The billing month of a high-voltage customer, by the meter's fixed date 0xE0.

A billing month starts at 00:00 on the fixed date (the last day of a shorter month when the
fixed date does not exist in it) [MRA 0x028F 0xE0]. A half-hour belongs to the month in which
it *ends* minus one minute, so the half-hour ending at 00:00 on the fixed date closes the old
month. The meter emulator keeps its monthly maximum demand (0xC1) by these rules, and the
dashboard finds the half-hour that reached it by the same ones.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Final

from hemsnet.metering.attributes import attribute_code

__all__ = ["FIXED_DATE", "billing_month", "closing_month", "fixed_date", "month_start"]

FIXED_DATE: Final = 0xE0  # day of the month the billing month starts [MRA 0x028F]
_MINUTE: Final = timedelta(minutes=1)


def billing_month(at: datetime, fixed: int) -> int:
    """The billing month containing ``at``, as ``year * 12 + month - 1`` of its start."""
    first_day = min(fixed, calendar.monthrange(at.year, at.month)[1])
    month = at.year * 12 + at.month - 1
    return month if at.day >= first_day else month - 1


def closing_month(end: datetime, fixed: int) -> int:
    """The billing month of the half-hour that ends at ``end``."""
    return billing_month(end - _MINUTE, fixed)


def month_start(at: datetime, fixed: int) -> date:
    """The first day of the billing month containing ``at``."""
    year, month = divmod(billing_month(at, fixed), 12)
    month += 1
    return date(year, month, min(fixed, calendar.monthrange(year, month)[1]))


def fixed_date(attributes: Mapping[int, bytes]) -> int | None:
    """The fixed date the meter's 0xE0 announces; ``None`` when unknown or invalid."""
    edt = attributes.get(FIXED_DATE)
    return None if edt is None else attribute_code(FIXED_DATE, edt)
