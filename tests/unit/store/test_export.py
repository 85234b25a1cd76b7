"""Tables of stored readings and their CSV and JSON forms, exactly."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import TextIO

import pytest

from hemsnet.metering.series import HALF_HOUR, MINUTE, Series
from hemsnet.store import Store
from hemsnet.store.export import (
    ExportError,
    ExportQuantity,
    Table,
    build_table,
    write_csv,
    write_json,
)
from tests.unit.store.builders import ARRIVED, T0, add_exported_meter, add_meter, reading

ENERGY, DEMAND = ExportQuantity.ENERGY, ExportQuantity.DEMAND
END = T0 + 5 * HALF_HOUR

CSV = """\
time,energy_normal_kwh,energy_reverse_kwh,demand_normal_kw,demand_reverse_kw
2026-11-14T00:00:00,,,,
2026-11-14T00:30:00,0.8,,0.16,
2026-11-14T01:00:00,0.7,,0.20,
2026-11-14T01:30:00,0.7,,0.14,
2026-11-14T02:00:00,,,,
"""


def _text(table: Table, write: Callable[[Table, TextIO], None]) -> str:
    out = io.StringIO()
    write(table, out)
    return out.getvalue()


def test_energy_per_half_hour_across_the_counter_wrap_and_demand_as_csv(store: Store) -> None:
    meter_id = add_exported_meter(store)
    # The half-hours ending 00:00 ... 02:00 lie within [23:30, 02:00).
    table = build_table(store, meter_id, [ENERGY, DEMAND], T0 - HALF_HOUR, END - HALF_HOUR)
    # 999 990 -> 999 998 -> 5 (wrapped at 10**6) -> 12 counts of 0.1 kWh.
    assert _text(table, write_csv) == CSV


def test_the_same_table_as_json(store: Store) -> None:
    meter_id = add_exported_meter(store)
    table = build_table(store, meter_id, [ENERGY], T0, T0 + HALF_HOUR)
    assert _text(table, write_json) == (
        "[\n"
        "  {\n"
        '    "time": "2026-11-14T00:30:00",\n'
        '    "energy_normal_kwh": "0.8",\n'
        '    "energy_reverse_kwh": null\n'
        "  }\n"
        "]\n"
    )


def test_cumulative_readings_are_the_stored_values(store: Store) -> None:
    meter_id = add_exported_meter(store)
    table = build_table(
        store, meter_id, [ExportQuantity.CUMULATIVE], T0 - HALF_HOUR, END - HALF_HOUR
    )
    assert table.columns == ("cumulative_normal_kwh", "cumulative_reverse_kwh")
    assert [(at, values) for at, values in table.rows] == [
        (T0, (Decimal("99999.0"), None)),
        (T0 + HALF_HOUR, (Decimal("99999.8"), None)),
        (T0 + 2 * HALF_HOUR, (Decimal("0.5"), None)),
        (T0 + 3 * HALF_HOUR, (Decimal("1.2"), None)),
        (T0 + 4 * HALF_HOUR, (None, None)),
    ]


def test_rows_are_the_half_hours_within_the_range(store: Store) -> None:
    meter_id = add_exported_meter(store)
    start = T0 + timedelta(minutes=10)  # the first half-hour within it is 00:30-01:00
    table = build_table(store, meter_id, [DEMAND, DEMAND], start, T0 + 3 * HALF_HOUR)
    assert table.columns == ("demand_normal_kw", "demand_reverse_kw")  # asked twice, once
    assert [at for at, _ in table.rows] == [T0 + 2 * HALF_HOUR, T0 + 3 * HALF_HOUR]
    assert build_table(store, meter_id, [DEMAND], T0, T0).rows == ()
    day = build_table(store, meter_id, [DEMAND], T0, T0 + timedelta(days=1))
    assert [at for at, _ in day.rows] == [T0 + HALF_HOUR * (n + 1) for n in range(48)]


def test_a_minute_quantity_puts_a_row_on_every_minute(store: Store) -> None:
    meter_id = add_exported_meter(store)
    series = Series.MINUTE_ENERGY_NORMAL
    store.record(
        [
            reading(meter_id, 999_999, T0 + MINUTE * 29, series),
            reading(meter_id, 2, T0 + HALF_HOUR, series),
        ]
    )
    table = build_table(
        store, meter_id, [ExportQuantity.MINUTE, DEMAND], T0 + MINUTE * 28, T0 + MINUTE * 31
    )
    assert _text(table, write_csv) == (
        "time,minute_normal_kwh,minute_reverse_kwh,demand_normal_kw,demand_reverse_kw\n"
        "2026-11-14T00:29:00,99999.9,,,\n"
        "2026-11-14T00:30:00,0.2,,0.16,\n"
        "2026-11-14T00:31:00,,,,\n"
    )


def test_reactive_energy_uses_the_reactive_digits_and_unit(store: Store) -> None:
    meter_id = add_exported_meter(store)
    store.record(
        [
            reading(meter_id, 70, T0, Series.REACTIVE_NORMAL),
            reading(meter_id, 75, T0 + HALF_HOUR, Series.REACTIVE_NORMAL),
        ]
    )
    table = build_table(store, meter_id, [ExportQuantity.REACTIVE], T0, T0 + HALF_HOUR)
    assert table.rows == ((T0 + HALF_HOUR, (Decimal(5), None)),)  # CD 0x00: 1 kvarh a count


def test_an_interval_quantity_without_its_attributes_is_refused(store: Store) -> None:
    meter_id = add_meter(store, "bare", attributes={0xE6: b"\x01", 0xCC: b"\x08"})
    store.mark_absent(meter_id, 0xE5, ARRIVED)
    with pytest.raises(ExportError, match=r"energy_normal_kwh needs 0xE5, 0xD3, 0xD4"):
        build_table(store, meter_id, [ENERGY], T0, END)
    with pytest.raises(ExportError, match=r"reactive_normal_kvarh needs 0xCD, 0xD3, 0xD4"):
        build_table(store, meter_id, [ExportQuantity.REACTIVE], T0, END)
    assert build_table(store, meter_id, [DEMAND], T0, END).columns  # needs no attribute
