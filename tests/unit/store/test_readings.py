"""Readings: last arrival wins [AIF 2.5.1], voids, exact decimals, queries, validation."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import count, pairwise
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hemsnet.metering.series import HALF_HOUR, MINUTE, Series, Source
from hemsnet.store import Store
from hemsnet.store.model import Reading
from tests.unit.store.builders import ARRIVED, T0, add_meter, reading

SECOND = timedelta(seconds=1)
DAY = timedelta(days=1)


def _stored(store: Store, meter_id: int, at: datetime = T0) -> Reading:
    (found,) = store.readings(meter_id, Series.ENERGY_NORMAL, at, at + SECOND)
    return found


def test_a_later_arrival_replaces_the_stored_reading(store: Store) -> None:
    meter_id = add_meter(store)
    store.record([reading(meter_id, 100)])
    store.record([reading(meter_id, 101, arrived=SECOND, source=Source.POLL)])
    stored = _stored(store, meter_id)
    assert (stored.raw, stored.value, stored.source) == (101, Decimal("10.1"), Source.POLL)
    assert stored.arrived_at == ARRIVED + SECOND


def test_duplicates_within_one_batch_end_with_the_last_arrival(store: Store) -> None:
    meter_id = add_meter(store)
    store.record([reading(meter_id, 7, arrived=SECOND), reading(meter_id, 5), reading(meter_id, 6)])
    assert _stored(store, meter_id).raw == 7
    # Arrivals at the same instant: the one written last is the last arrival.
    store.record([reading(meter_id, 8, arrived=SECOND), reading(meter_id, 9, arrived=SECOND)])
    assert _stored(store, meter_id).raw == 9


def test_an_earlier_arrival_written_late_does_not_replace(store: Store) -> None:
    meter_id = add_meter(store)
    store.record([reading(meter_id, 200, arrived=timedelta(minutes=5), source=Source.HISTORY)])
    store.record([reading(meter_id, 199)])
    assert _stored(store, meter_id).raw == 200


def test_a_void_never_replaces_a_value(store: Store) -> None:
    meter_id = add_meter(store)
    store.record([reading(meter_id, 300)])
    store.record([reading(meter_id, None, arrived=DAY, source=Source.HISTORY)])
    store.record([reading(meter_id, 301, arrived=SECOND), reading(meter_id, None, arrived=DAY)])
    stored = _stored(store, meter_id)
    assert (stored.raw, stored.void, stored.arrived_at) == (301, False, ARRIVED + SECOND)


def test_a_value_replaces_a_void_even_one_that_arrived_later(store: Store) -> None:
    meter_id = add_meter(store)
    store.record([reading(meter_id, None, arrived=DAY)])
    assert _stored(store, meter_id).void
    assert _stored(store, meter_id).value is None
    store.record([reading(meter_id, 400)])
    assert _stored(store, meter_id).raw == 400


ARRIVAL = st.tuples(st.integers(0, 7200), st.none() | st.integers(0, 99_999_999))


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, Iterator[int]]]:
    """One store for every Hypothesis example; each example takes a meter of its own."""
    with Store.open(tmp_path_factory.mktemp("store") / "hems.db") as opened:
        yield opened, count()


@settings(deadline=None, max_examples=60)
@given(
    arrivals=st.lists(ARRIVAL, min_size=1, max_size=8, unique_by=lambda a: a[0]),
    data=st.data(),
)
def test_whatever_the_write_order_the_last_arrival_is_stored(
    shared: tuple[Store, Iterator[int]],
    arrivals: list[tuple[int, int | None]],
    data: st.DataObject,
) -> None:
    store, numbers = shared
    meter_id = store.meter(f"m{next(numbers)}", "fe80::1", ARRIVED)
    order = data.draw(st.permutations(arrivals))
    cuts = sorted(data.draw(st.sets(st.integers(1, len(order) - 1)))) if len(order) > 1 else []
    for first, end in pairwise([0, *cuts, len(order)]):
        batch = order[first:end]
        store.record([reading(meter_id, raw, arrived=SECOND * late) for late, raw in batch])
    real = [a for a in arrivals if a[1] is not None]
    late, raw = max(real or arrivals)
    stored = _stored(store, meter_id)
    assert (stored.raw, stored.arrived_at) == (raw, ARRIVED + SECOND * late)


@settings(deadline=None, max_examples=60)
@given(
    arrivals=st.lists(
        st.tuples(st.integers(0, 2), st.none() | st.integers(0, 99)), min_size=1, max_size=12
    ),
    batched=st.booleans(),
)
def test_arrivals_recorded_as_they_come_end_with_the_last_real_one(
    shared: tuple[Store, Iterator[int]],
    arrivals: list[tuple[int, int | None]],
    batched: bool,
) -> None:
    """Duplicates in any order, arrival times that may tie, one batch or one call each."""
    store, numbers = shared
    meter_id = store.meter(f"n{next(numbers)}", "fe80::1", ARRIVED)
    clock = ARRIVED
    readings = []
    for pause, raw in arrivals:
        clock += SECOND * pause
        readings.append(reading(meter_id, raw, arrived=clock))
    for batch in [readings] if batched else [[r] for r in readings]:
        store.record(batch)
    real = [raw for _, raw in arrivals if raw is not None]
    assert _stored(store, meter_id).raw == (real[-1] if real else None)


@settings(deadline=None, max_examples=100)
@given(
    value=st.decimals(
        min_value=Decimal("-1e12"), max_value=Decimal("1e12"), allow_nan=False, allow_infinity=False
    )
)
def test_decimals_come_back_exactly(shared: tuple[Store, Iterator[int]], value: Decimal) -> None:
    store, numbers = shared
    meter_id = store.meter(f"d{next(numbers)}", "fe80::1", ARRIVED)
    store.record([Reading(meter_id, Series.POWER, T0, 1, value, Source.POLL, ARRIVED)])
    (stored,) = store.readings(meter_id, Series.POWER, T0, T0 + SECOND)
    assert stored.value is not None and stored.value == value
    # Trailing zeros are digits too: 12.50 kWh stays 12.50 (an exponent above 0 is written out).
    assert stored.value.as_tuple().exponent == min(int(value.as_tuple().exponent), 0)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("493824.0"), "493824.0"),  # 123456 x 0.1 kWh x 40, reference §8.1
        (Decimal("12.50"), "12.50"),
        (Decimal("1E+5"), "100000"),  # 1 x unit 0x0E (x 100 000)
        (Decimal("0.00000012"), "0.00000012"),
        (Decimal("-2147483.647"), "-2147483.647"),
    ],
)
def test_values_are_stored_as_plain_decimal_text(store: Store, value: Decimal, text: str) -> None:
    meter_id = add_meter(store)
    store.record([Reading(meter_id, Series.POWER, T0, 1, value, Source.POLL, ARRIVED)])
    (stored,) = store.readings(meter_id, Series.POWER, T0, T0 + SECOND)
    assert stored.value == value
    assert store._db.execute("SELECT value, typeof(value) FROM reading").fetchone() == (
        text,
        "text",
    )


def test_a_batch_with_an_unknown_meter_stores_nothing(store: Store) -> None:
    meter_id = add_meter(store)
    with pytest.raises(ValueError, match="FOREIGN KEY"):
        store.record([reading(meter_id, 1), reading(meter_id + 1, 2, T0 + HALF_HOUR)])
    assert store.readings(meter_id, Series.ENERGY_NORMAL, T0, T0 + DAY) == []


def test_readings_are_half_open_ordered_and_include_voids(store: Store) -> None:
    meter_id = add_meter(store)
    times = [T0 + HALF_HOUR * i for i in (3, 0, 2, 1)]
    store.record([reading(meter_id, i if i != 2 else None, at) for i, at in enumerate(times)])
    found = store.readings(meter_id, Series.ENERGY_NORMAL, T0 + HALF_HOUR, T0 + HALF_HOUR * 3)
    assert [(r.measured_at, r.raw) for r in found] == [
        (T0 + HALF_HOUR, 3),
        (T0 + HALF_HOUR * 2, None),
    ]
    assert store.readings(meter_id, Series.ENERGY_REVERSE, T0, T0 + DAY) == []
    # Bounds with a fraction of a second.
    found = store.readings(
        meter_id, Series.ENERGY_NORMAL, T0 + SECOND / 2, T0 + HALF_HOUR + SECOND / 2
    )
    assert [r.measured_at for r in found] == [T0 + HALF_HOUR]


def test_latest_is_the_latest_real_reading(store: Store) -> None:
    meter_id = add_meter(store)
    assert store.latest(meter_id, Series.ENERGY_NORMAL) is None
    store.record([reading(meter_id, 10), reading(meter_id, None, T0 + HALF_HOUR)])
    latest = store.latest(meter_id, Series.ENERGY_NORMAL)
    assert latest is not None and (latest.measured_at, latest.raw) == (T0, 10)


def test_summary_counts_real_and_void_rows(store: Store) -> None:
    meter_id = add_meter(store)
    store.record(
        [
            reading(meter_id, 1),
            reading(meter_id, 2, T0 + HALF_HOUR),
            reading(meter_id, None, T0, Series.ENERGY_REVERSE),
        ]
    )
    summary = {s.series: s for s in store.summary(meter_id)}
    assert set(summary) == {Series.ENERGY_NORMAL, Series.ENERGY_REVERSE}
    normal, reverse = summary[Series.ENERGY_NORMAL], summary[Series.ENERGY_REVERSE]
    assert (normal.stored, normal.void, reverse.stored, reverse.void) == (2, 0, 0, 1)
    assert normal.latest is not None and normal.latest.raw == 2
    assert reverse.latest is None


def test_missing_half_hours_are_the_instants_without_a_real_reading(store: Store) -> None:
    meter_id = add_meter(store)
    store.record(
        [
            reading(meter_id, 1, T0),
            reading(meter_id, None, T0 + HALF_HOUR),
            reading(meter_id, 3, T0 + HALF_HOUR * 3),
        ]
    )
    start = T0 - timedelta(minutes=10)  # not on the grid: the first instant is T0
    missing = store.missing_half_hours(meter_id, Series.ENERGY_NORMAL, start, T0 + HALF_HOUR * 5)
    assert missing == [T0 + HALF_HOUR, T0 + HALF_HOUR * 2, T0 + HALF_HOUR * 4]
    assert store.missing_half_hours(meter_id, Series.ENERGY_NORMAL, T0, T0) == []


def test_missing_minutes(store: Store) -> None:
    meter_id = add_meter(store)
    series = Series.MINUTE_ENERGY_NORMAL
    store.record([reading(meter_id, i, T0 + MINUTE * i, series) for i in (0, 1, 3)])
    assert store.missing_minutes(meter_id, series, T0, T0 + MINUTE * 5) == [
        T0 + MINUTE * 2,
        T0 + MINUTE * 4,
    ]


def test_missing_asks_for_the_series_grid(store: Store) -> None:
    meter_id = add_meter(store)
    with pytest.raises(ValueError, match="not a 30-minute series"):
        store.missing_half_hours(meter_id, Series.MINUTE_ENERGY_NORMAL, T0, T0 + DAY)
    with pytest.raises(ValueError, match="not a one-minute series"):
        store.missing_minutes(meter_id, Series.POWER, T0, T0 + DAY)


@pytest.mark.parametrize(
    ("series", "at", "raw", "value", "message"),
    [
        (Series.ENERGY_NORMAL, T0 + MINUTE, 1, Decimal(1), "every 30 minutes"),
        (Series.MINUTE_ENERGY_NORMAL, T0 + SECOND, 1, Decimal(1), "every minute"),
        (Series.POWER, T0 + SECOND / 2, 1, Decimal(1), "whole seconds"),
        (Series.POWER, T0, 1, None, "both given or both None"),
        (Series.POWER, T0, None, Decimal(0), "both given or both None"),
        (Series.POWER, T0, 1, Decimal("NaN"), "not a finite number"),
    ],
)
def test_readings_that_cannot_be_stored_are_refused(
    series: Series, at: datetime, raw: int | None, value: Decimal | None, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        Reading(1, series, at, raw, value, Source.POLL, ARRIVED)


def test_time_stamps_are_naive(store: Store) -> None:
    aware = datetime.fromisoformat("2026-11-14T00:00:00+09:00")
    with pytest.raises(ValueError, match="must be naive"):
        Reading(1, Series.POWER, aware, 1, Decimal(1), Source.POLL, ARRIVED)
    with pytest.raises(ValueError, match="must be naive"):
        store.readings(1, Series.POWER, aware, aware)


def test_a_meter_is_created_once_and_kept_up_to_date(tmp_path: Path) -> None:
    with Store.open(tmp_path / "hems.db") as store:
        first = store.meter("00000001", "fe80::1%eth0", ARRIVED)
        other = store.meter("00000002", "fe80::2%eth0", ARRIVED)
        again = store.meter("00000001", "fe80::9%eth0", ARRIVED + DAY)
        assert first == again != other
        meter, _ = store.meters()
        assert (meter.key, meter.address) == ("00000001", "fe80::9%eth0")
        assert (meter.first_seen, meter.last_seen) == (ARRIVED, ARRIVED + DAY)


def test_last_seen_follows_the_latest_arrival(store: Store) -> None:
    meter_id = add_meter(store)
    (before,) = store.meters()
    store.record([reading(meter_id, 100, arrived=DAY)])
    store.record([reading(meter_id, 99, arrived=SECOND)])  # an older arrival written later
    (meter,) = store.meters()
    assert meter.last_seen == ARRIVED + DAY > before.last_seen
