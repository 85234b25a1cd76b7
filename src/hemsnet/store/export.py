"""Stored readings as a table, one row per interval, written as CSV or JSON.

A row stands for the interval (the half-hour, or the minute when a one-minute quantity is asked
for) that *ends* at its time, as the meter stamps what it measured [AIF 3.2.1: E3 and C3 at
:00/:30 are those of the half-hour ending then]. The rows of a range [start, end) are the
intervals that lie within it: from one step after ``start`` through ``end``. A day,
[D 00:00, D+1 00:00), is thus its 48 half-hours ending 00:30 … 24:00 (D+1 00:00): one rule for
the export and the dashboard's bars and daily energy (docs/storage.md, "One day, one rule").
Every interval has its row, so a missing reading shows as an empty cell rather than a missing
row. Values are exact decimal strings, never floats; a void or missing reading is an empty CSV
cell and a JSON ``null``.

Interval quantities (``energy``, ``reactive``) are the energy of the row's half-hour, from the
cumulative readings that bound it (:mod:`hemsnet.metering.energy`), like the demand of the same
row, which is the average of that half-hour (docs/meter.md M1); ``cumulative`` and ``minute``
are the readings at the row's time, the end of its interval.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import Final, TextIO

from hemsnet.devices.model import Quantity
from hemsnet.errors import HemsnetError
from hemsnet.metering.energy import interval_energy
from hemsnet.metering.series import HALF_HOUR, MINUTE, Series, instants
from hemsnet.store.store import Store

__all__ = [
    "MAX_EXPORT_DAYS",
    "ExportError",
    "ExportQuantity",
    "Table",
    "build_table",
    "write_csv",
    "write_json",
]

#: The longest range one export covers, on the command line and the dashboard alike: a
#: table is built in memory (400 days of minutes is 576,000 rows); split a longer one.
MAX_EXPORT_DAYS: Final = 400


_JUST_AFTER: Final = timedelta(microseconds=1)  # makes [a, b) of the store's queries [a, b]


class ExportError(HemsnetError):
    """The store does not hold what an export needs."""


class ExportQuantity(Enum):
    """What ``hemsnet export --quantity`` can ask for."""

    ENERGY = "energy"
    DEMAND = "demand"
    REACTIVE = "reactive"
    MINUTE = "minute"
    CUMULATIVE = "cumulative"

    @property
    def description(self) -> str:
        return _DESCRIPTIONS[self]

    @classmethod
    def parse(cls, text: str) -> ExportQuantity:
        """The quantity named ``text``; ``ValueError`` lists the names there are."""
        try:
            return cls(text)
        except ValueError:
            names = ", ".join(q.value for q in cls)
            raise ValueError(f"unknown quantity {text!r}; choose from {names}") from None


_DESCRIPTIONS: Final = {
    ExportQuantity.ENERGY: "active energy of each half-hour, normal and reverse, kWh",
    ExportQuantity.DEMAND: "30-minute average demand, normal and reverse, kW",
    ExportQuantity.REACTIVE: "reactive energy (lag) of each half-hour, normal and reverse, kvarh",
    ExportQuantity.MINUTE: "one-minute cumulative active energy readings, kWh",
    ExportQuantity.CUMULATIVE: "30-minute cumulative active energy readings, kWh",
}


@dataclass(frozen=True, slots=True)
class _Column:
    name: str
    series: Series
    interval: Quantity | None  # the counters' quantity; None: the stored values themselves


_COLUMNS: Final = {
    ExportQuantity.ENERGY: (
        _Column("energy_normal_kwh", Series.ENERGY_NORMAL, Quantity.ACTIVE_ENERGY),
        _Column("energy_reverse_kwh", Series.ENERGY_REVERSE, Quantity.ACTIVE_ENERGY),
    ),
    ExportQuantity.DEMAND: (
        _Column("demand_normal_kw", Series.DEMAND_NORMAL, None),
        _Column("demand_reverse_kw", Series.DEMAND_REVERSE, None),
    ),
    ExportQuantity.REACTIVE: (
        _Column("reactive_normal_kvarh", Series.REACTIVE_NORMAL, Quantity.REACTIVE_ENERGY),
        _Column("reactive_reverse_kvarh", Series.REACTIVE_REVERSE, Quantity.REACTIVE_ENERGY),
    ),
    ExportQuantity.MINUTE: (
        _Column("minute_normal_kwh", Series.MINUTE_ENERGY_NORMAL, None),
        _Column("minute_reverse_kwh", Series.MINUTE_ENERGY_REVERSE, None),
    ),
    ExportQuantity.CUMULATIVE: (
        _Column("cumulative_normal_kwh", Series.ENERGY_NORMAL, None),
        _Column("cumulative_reverse_kwh", Series.ENERGY_REVERSE, None),
    ),
}


@dataclass(frozen=True, slots=True)
class Table:
    """Named columns and, per grid instant, one value (``None``: void or unknown) each."""

    columns: tuple[str, ...]
    rows: tuple[tuple[datetime, tuple[Decimal | None, ...]], ...]


def build_table(
    store: Store,
    meter_id: int,
    quantities: Sequence[ExportQuantity],
    start: datetime,
    end: datetime,
) -> Table:
    """The table of ``quantities`` (in the order given) for the intervals within [start, end).

    Raises :class:`ExportError` when an interval quantity needs an attribute (digits, unit,
    coefficient, multiplier) the store never recorded for the meter.
    """
    columns = [column for q in dict.fromkeys(quantities) for column in _COLUMNS[q]]
    step = MINUTE if any(c.series.step == MINUTE for c in columns) else HALF_HOUR
    # The intervals within [start, end) end from one step after start through end.
    times = instants(start + step, end + _JUST_AFTER, step)
    cells = [_cells(store, meter_id, column, times, start, end + _JUST_AFTER) for column in columns]
    return Table(
        tuple(column.name for column in columns),
        tuple((at, tuple(cell[i] for cell in cells)) for i, at in enumerate(times)),
    )


def _cells(
    store: Store,
    meter_id: int,
    column: _Column,
    times: list[datetime],
    start: datetime,
    end: datetime,
) -> list[Decimal | None]:
    if column.interval is None:
        values = {
            r.measured_at: r.value for r in store.readings(meter_id, column.series, start, end)
        }
        return [values.get(at) for at in times]
    registers = store.register_history(meter_id, column.interval)
    if missing := registers.missing():
        codes = ", ".join(f"0x{epc:02X}" for epc in missing)
        raise ExportError(f"{column.name} needs {codes}, never recorded for this meter")
    # An interval is the half-hour ending at its time: it needs the reading half an hour before.
    readings = {
        r.measured_at: r for r in store.readings(meter_id, column.series, start - HALF_HOUR, end)
    }
    return [
        interval_energy(readings.get(at - HALF_HOUR), readings.get(at), registers) for at in times
    ]


def _text(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def write_csv(table: Table, out: TextIO) -> None:
    """A header row (``time`` and the columns), then one row per instant; empty: no value."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("time", *table.columns))
    for at, values in table.rows:
        writer.writerow((at.isoformat(), *(_text(v) or "" for v in values)))


def write_json(table: Table, out: TextIO) -> None:
    """A list of objects with the same fields as the CSV; ``null``: no value."""
    rows = [
        {
            "time": at.isoformat(),
            **{c: _text(v) for c, v in zip(table.columns, values, strict=True)},
        }
        for at, values in table.rows
    ]
    json.dump(rows, out, indent=2)
    out.write("\n")
