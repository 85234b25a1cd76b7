"""Appliances on the HEMS networks and their power: schema version 2."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from hemsnet.metering.series import HALF_HOUR, Series
from hemsnet.store import Store, schema
from hemsnet.store.model import ApplianceReading, ApplianceRecord
from tests.unit.store.builders import ARRIVED, T0, reading

SEEN = datetime(2026, 11, 21, 10, 0, 0, 250_000)
SECOND = timedelta(seconds=1)


def power(
    appliance_id: int, at: datetime, watts: int | None, operating: bool | None = True
) -> ApplianceReading:
    return ApplianceReading(appliance_id, at, watts, operating, at + SECOND)


def test_an_appliance_is_created_at_first_sight_and_updated_after(store: Store) -> None:
    battery = store.appliance("fe80::2", "fe80::2%3", "027D01", SEEN, class_name="Storage battery")
    solar = store.appliance("fe80::2", "fe80::2%3", "027901", SEEN, class_name="Solar")
    later = SEEN + timedelta(minutes=5)
    assert (
        store.appliance("fe80::2", "fe80::2%4", "027D01", later, class_name="Storage battery")
        == battery
    )
    assert store.appliances() == [
        ApplianceRecord(solar, "fe80::2", "fe80::2%3", "027901", "Solar", SEEN, SEEN, True),
        ApplianceRecord(
            battery, "fe80::2", "fe80::2%4", "027D01", "Storage battery", SEEN, later, True
        ),
    ]


def test_a_lost_appliance_is_reachable_again_when_seen(store: Store) -> None:
    battery = store.appliance("fe80::2", "fe80::2", "027D01", SEEN, class_name="Storage battery")
    store.appliance_lost(battery)
    assert [a.reachable for a in store.appliances()] == [False]
    store.appliance("fe80::2", "fe80::2", "027D01", SEEN + SECOND, class_name="Storage battery")
    assert [a.reachable for a in store.appliances()] == [True]


def test_power_readings_round_trip_signed_and_none(store: Store) -> None:
    battery = store.appliance("fe80::2", "fe80::2", "027D01", SEEN, class_name="Storage battery")
    polls = [
        power(battery, SEEN, -1500),
        power(battery, SEEN + 30 * SECOND, None, None),
        power(battery, SEEN + 60 * SECOND, 2200, False),
    ]
    store.record_appliance_power(polls)
    assert store.appliance_readings(battery, SEEN, SEEN + 60 * SECOND) == polls[:2]
    assert store.latest_appliance_power(battery) == polls[2]
    (stored,) = store.appliances()
    assert stored.last_seen == SEEN + 60 * SECOND


def test_the_latest_power_skips_polls_without_one(store: Store) -> None:
    light = store.appliance("fe80::3", "fe80::3", "029001", SEEN, class_name="General lighting")
    assert store.latest_appliance_power(light) is None
    store.record_appliance_power([power(light, SEEN, 12), power(light, SEEN + SECOND, None)])
    latest = store.latest_appliance_power(light)
    assert latest is not None and latest.watts == 12


def test_the_last_arrival_wins_for_one_time(store: Store) -> None:
    battery = store.appliance("fe80::2", "fe80::2", "027D01", SEEN, class_name="Storage battery")
    first = ApplianceReading(battery, SEEN, 100, True, SEEN + SECOND)
    again = ApplianceReading(battery, SEEN, 200, True, SEEN + 2 * SECOND)
    store.record_appliance_power([again])
    store.record_appliance_power([first])  # arrived earlier: does not replace
    assert store.appliance_readings(battery, SEEN, SEEN + SECOND) == [again]


def test_a_reading_of_an_unknown_appliance_is_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="refused by the database"):
        store.record_appliance_power([power(99, SEEN, 1)])


def test_a_version_1_file_migrates_with_its_data_intact(tmp_path: Path) -> None:
    path = tmp_path / "v1.db"
    with sqlite3.connect(path, isolation_level=None) as db:
        db.executescript(f"BEGIN;\n{schema.MIGRATIONS[0]}\nPRAGMA user_version = 1;\nCOMMIT;")
        db.execute(
            "INSERT INTO meter (key, address, first_seen, last_seen) VALUES (?, ?, ?, ?)",
            ("fe80::1", "fe80::1", ARRIVED.isoformat(), ARRIVED.isoformat()),
        )
    db.close()
    with Store.open(path) as store:
        (meter,) = store.meters()
        assert meter.key == "fe80::1"
        store.record([reading(meter.id, 42)])
        (kept,) = store.readings(meter.id, Series.ENERGY_NORMAL, T0, T0 + HALF_HOUR)
        assert kept.raw == 42
        assert store.appliances() == []
        store.appliance("fe80::2", "fe80::2", "027D01", SEEN, class_name="Storage battery")
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (len(schema.MIGRATIONS),)
    db.close()
