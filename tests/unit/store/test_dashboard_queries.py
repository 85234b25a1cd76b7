"""The read-only queries the dashboard makes: first, latest_arrival, count_by_source."""

from __future__ import annotations

from datetime import timedelta

from hemsnet.metering.series import Series, Source
from hemsnet.store import Store
from tests.unit.store.builders import ARRIVED, T0, add_meter, reading

HALF = timedelta(minutes=30)


def test_first_is_the_earliest_real_reading_of_the_series(store: Store) -> None:
    meter_id = add_meter(store)
    store.record(
        [
            reading(meter_id, None, T0),  # void: not a reading to start from
            reading(meter_id, 12, T0 + 2 * HALF),
            reading(meter_id, 11, T0 + HALF),
            reading(meter_id, 5, T0, Series.ENERGY_REVERSE),
        ]
    )
    first = store.first(meter_id, Series.ENERGY_NORMAL)
    assert first is not None
    assert (first.measured_at, first.raw) == (T0 + HALF, 11)
    assert store.latest(meter_id, Series.ENERGY_NORMAL) == reading(meter_id, 12, T0 + 2 * HALF)


def test_first_of_an_empty_or_all_void_series_is_none(store: Store) -> None:
    meter_id = add_meter(store)
    assert store.first(meter_id, Series.ENERGY_NORMAL) is None
    store.record([reading(meter_id, None, T0)])
    assert store.first(meter_id, Series.ENERGY_NORMAL) is None


def test_latest_arrival_is_that_of_the_newest_measurement_void_included(store: Store) -> None:
    meter_id = add_meter(store)
    store.record(
        [
            # Arrived last but measured first: a history backfill of an old half-hour.
            reading(meter_id, 10, T0, source=Source.HISTORY, arrived=timedelta(hours=5)),
            reading(meter_id, 11, T0 + HALF, source=Source.POLL, arrived=timedelta(minutes=31)),
            reading(meter_id, None, T0 + 2 * HALF, arrived=timedelta(hours=1)),
        ]
    )
    assert store.latest_arrival(meter_id, Series.ENERGY_NORMAL) == ARRIVED + timedelta(hours=1)


def test_latest_arrival_of_one_source(store: Store) -> None:
    meter_id = add_meter(store)
    store.record(
        [
            reading(meter_id, 10, T0, source=Source.POLL, arrived=timedelta(minutes=1)),
            reading(meter_id, 11, T0 + HALF, source=Source.POLL, arrived=timedelta(minutes=31)),
            reading(meter_id, 12, T0 + 2 * HALF, arrived=timedelta(hours=1)),
        ]
    )
    at = store.latest_arrival(meter_id, Series.ENERGY_NORMAL, Source.POLL)
    assert at == ARRIVED + timedelta(minutes=31)
    assert store.latest_arrival(meter_id, Series.ENERGY_NORMAL, Source.HISTORY) is None
    assert store.latest_arrival(meter_id, Series.DEMAND_NORMAL) is None


def test_count_by_source_counts_real_readings_and_names_every_source(store: Store) -> None:
    meter_id = add_meter(store)
    other = add_meter(store, key="00000002", address="fe80::2%veth0")
    store.record(
        [
            reading(meter_id, 1, T0, source=Source.HISTORY),
            reading(meter_id, 2, T0 + HALF, source=Source.HISTORY),
            reading(meter_id, 3, T0 + 2 * HALF, source=Source.POLL),
            reading(meter_id, None, T0 + 3 * HALF, source=Source.NOTIFICATION),  # void
            reading(meter_id, 4, T0, Series.ENERGY_REVERSE, source=Source.NOTIFICATION),
            reading(other, 5, T0, source=Source.NOTIFICATION),
        ]
    )
    assert store.count_by_source(meter_id, Series.ENERGY_NORMAL) == {
        Source.NOTIFICATION: 0,
        Source.POLL: 1,
        Source.HISTORY: 2,
    }
    assert store.count_by_source(meter_id, Series.DEMAND_NORMAL) == dict.fromkeys(Source, 0)
