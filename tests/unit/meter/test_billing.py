"""Billing months, monthly and cumulative maximum demand (0xC1, 0xC2)."""

from __future__ import annotations

from datetime import datetime

from hemsnet.meter.billing import BillingMonth
from hemsnet.meter.config import MeterConfig
from hemsnet.meter.scaling import MeterScaling


def test_the_half_hour_ending_at_midnight_of_the_fixed_date_closes_the_old_month() -> None:
    scaling = MeterScaling(MeterConfig(demand_unit=0x01, max_demand_unit=0x00))
    billing = BillingMonth(10, scaling)
    billing.close(datetime(2026, 3, 9, 23, 30), (100, 5))
    billing.close(datetime(2026, 3, 10, 0, 0), (250, 0))  # 23:30-24:00 of the 9th
    assert billing.at(datetime(2026, 3, 9, 23, 59)) == ((250, 5), (0, 0))
    # From 00:00 on the 10th the new month starts at 0 and the old maximum is accumulated,
    # converted from 0.1 kW counts to 1 kW counts.
    assert billing.at(datetime(2026, 3, 10, 0, 1)) == ((0, 0), (25, 0))
    billing.close(datetime(2026, 3, 10, 0, 30), (40, 7))
    assert billing.at(datetime(2026, 3, 10, 0, 31)) == ((40, 7), (25, 0))
    billing.close(datetime(2026, 4, 10, 0, 30), (10, 1))
    assert billing.at(datetime(2026, 4, 10, 0, 31)) == ((10, 1), (29, 0))


def test_state_round_trip() -> None:
    scaling = MeterScaling(MeterConfig())
    billing = BillingMonth(1, scaling)
    billing.close(datetime(2026, 3, 9, 23, 30), (100, 5))
    copy = BillingMonth(1, scaling)
    copy.restore(billing.snapshot())
    assert copy.at(datetime(2026, 3, 9, 23, 40)) == billing.at(datetime(2026, 3, 9, 23, 40))
