"""Billing months by the fixed date 0xE0: the calendar both the meter and the dashboard use."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from hemsnet.metering.billing import billing_month, closing_month, fixed_date, month_start


@pytest.mark.parametrize(
    ("at", "fixed", "month"),
    [
        (datetime(2026, 3, 9, 23, 59), 10, (2026, 2)),
        (datetime(2026, 3, 10, 0, 0), 10, (2026, 3)),
        (datetime(2026, 2, 28, 0, 0), 31, (2026, 2)),  # the 31st falls back to the last day
        (datetime(2026, 2, 27, 23, 59), 31, (2026, 1)),
        (datetime(2026, 1, 1, 0, 0), 1, (2026, 1)),
        (datetime(2026, 1, 5, 0, 0), 20, (2025, 12)),
    ],
)
def test_billing_month_starts_on_the_fixed_date(
    at: datetime, fixed: int, month: tuple[int, int]
) -> None:
    assert billing_month(at, fixed) == month[0] * 12 + month[1] - 1


def test_the_half_hour_ending_at_midnight_of_the_fixed_date_closes_the_old_month() -> None:
    end = datetime(2026, 3, 10, 0, 0)
    assert closing_month(end, 10) == billing_month(datetime(2026, 3, 9, 23, 59), 10)
    assert closing_month(end, 10) != billing_month(end, 10)


@pytest.mark.parametrize(
    ("at", "fixed", "start"),
    [
        (datetime(2026, 3, 9, 23, 59), 10, date(2026, 2, 10)),
        (datetime(2026, 3, 10, 0, 0), 10, date(2026, 3, 10)),
        (datetime(2026, 3, 5), 31, date(2026, 2, 28)),  # February has no 31st
        (datetime(2026, 1, 5), 20, date(2025, 12, 20)),  # across the year
    ],
)
def test_month_start_is_the_fixed_date_of_the_month(at: datetime, fixed: int, start: date) -> None:
    assert month_start(at, fixed) == start


def test_fixed_date_reads_0xe0_and_refuses_what_is_not_a_day() -> None:
    assert fixed_date({0xE0: b"\x0a"}) == 10
    assert fixed_date({}) is None
    assert fixed_date({0xE0: b"\x20"}) is None  # 32: no such day [MRA 0x028F 1..31]
