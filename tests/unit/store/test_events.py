"""Gaps, faults [AIF 3.4.1] and request statistics."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from hemsnet.devices.model import Quantity
from hemsnet.metering.gaps import GapStatus
from hemsnet.metering.series import HALF_HOUR, Series
from hemsnet.store import Store, schema
from hemsnet.store.model import Fault, RequestStats
from tests.unit.store.builders import ARRIVED, T0, add_meter, reading

HOUR = timedelta(hours=1)


def test_a_gap_is_filled_once_every_instant_has_a_real_reading(store: Store) -> None:
    meter_id = add_meter(store)
    gap = store.open_gap(meter_id, Series.ENERGY_NORMAL, T0, T0 + HOUR, ARRIVED)
    assert (gap.status, gap.closed_at) == (GapStatus.OPEN, None)
    store.record([reading(meter_id, 1, T0), reading(meter_id, None, T0 + HALF_HOUR)])
    with pytest.raises(ValueError, match="still misses 1 reading"):
        store.close_gap(gap.id, ARRIVED + HOUR)
    store.record([reading(meter_id, 2, T0 + HALF_HOUR, arrived=HOUR)])
    filled = store.close_gap(gap.id, ARRIVED + HOUR)
    assert (filled.status, filled.closed_at) == (GapStatus.FILLED, ARRIVED + HOUR)
    assert store.gaps(meter_id) == [filled]
    assert store.gaps(meter_id, GapStatus.OPEN) == []


def test_an_unrecoverable_gap_is_kept_as_such(store: Store) -> None:
    meter_id = add_meter(store)
    gap = store.open_gap(meter_id, Series.DEMAND_NORMAL, T0, T0 + HOUR, ARRIVED)
    lost = store.mark_unrecoverable(gap.id, ARRIVED + HOUR)
    assert lost.status is GapStatus.UNRECOVERABLE
    with pytest.raises(ValueError, match=f"gap {gap.id} is not open"):
        store.close_gap(gap.id, ARRIVED + 2 * HOUR)
    with pytest.raises(ValueError, match=f"gap {gap.id} is not open"):
        store.mark_unrecoverable(gap.id, ARRIVED + 2 * HOUR)
    assert store.gaps(meter_id, GapStatus.UNRECOVERABLE) == [lost]
    # Opening it again (a restarted controller) returns the gap as it stands.
    assert store.open_gap(meter_id, Series.DEMAND_NORMAL, T0, T0 + HOUR, ARRIVED) == lost


def test_gaps_are_listed_by_series_and_start_and_filtered_by_status(store: Store) -> None:
    meter_id = add_meter(store)
    late = store.open_gap(meter_id, Series.ENERGY_NORMAL, T0 + HOUR, T0 + 2 * HOUR, ARRIVED)
    early = store.open_gap(meter_id, Series.ENERGY_NORMAL, T0, T0 + HOUR, ARRIVED)
    demand = store.open_gap(meter_id, Series.DEMAND_NORMAL, T0, T0 + HOUR, ARRIVED)
    lost = store.mark_unrecoverable(late.id, ARRIVED)
    assert store.gaps(meter_id) == [demand, early, lost]
    assert store.gaps(meter_id, GapStatus.OPEN) == [demand, early]
    assert store.gaps(meter_id, GapStatus.FILLED) == []


def test_a_gap_needs_grid_instants(store: Store) -> None:
    meter_id = add_meter(store)
    with pytest.raises(ValueError, match="no measurement grid"):
        store.open_gap(meter_id, Series.POWER, T0, T0 + HOUR, ARRIVED)
    with pytest.raises(ValueError, match="holds no instant"):
        store.open_gap(
            meter_id, Series.ENERGY_NORMAL, T0 + timedelta(minutes=1), T0 + HALF_HOUR, ARRIVED
        )
    with pytest.raises(ValueError, match="no gap 99"):
        store.close_gap(99, ARRIVED)


def test_faults_open_and_close(store: Store) -> None:
    meter_id = add_meter(store)
    assert store.fault_started(meter_id, ARRIVED)
    assert not store.fault_started(meter_id, ARRIVED + HOUR)  # repeated while in fault
    assert store.faults(meter_id) == [Fault(ARRIVED, None)]
    assert store.faults(meter_id)[0].open
    assert store.fault_ended(meter_id, ARRIVED + 2 * HOUR)
    assert not store.fault_ended(meter_id, ARRIVED + 3 * HOUR)  # no fault to end
    assert store.fault_started(meter_id, ARRIVED + 4 * HOUR)
    assert store.faults(meter_id) == [
        Fault(ARRIVED, ARRIVED + 2 * HOUR),
        Fault(ARRIVED + 4 * HOUR, None),
    ]


def test_a_fault_cannot_end_before_it_started(store: Store) -> None:
    meter_id = add_meter(store)
    store.fault_started(meter_id, ARRIVED)
    with pytest.raises(ValueError, match="CHECK constraint"):
        store.fault_ended(meter_id, ARRIVED - HOUR)
    assert store.faults(meter_id) == [Fault(ARRIVED, None)]


def test_request_counters_add_up_per_meter(store: Store) -> None:
    meter_id = add_meter(store)
    other = add_meter(store, "00000002")
    assert store.stats(meter_id) == RequestStats()
    store.count(meter_id, sent=2, answered=1)
    store.count(meter_id, sent=1, timed_out=1, late_discarded=1)
    store.count(other, foreign_dropped=3, refused=1)
    assert store.stats(meter_id) == RequestStats(sent=3, answered=1, timed_out=1, late_discarded=1)
    assert store.stats(other) == RequestStats(refused=1, foreign_dropped=3)


def test_unknown_or_negative_counts_are_refused(store: Store) -> None:
    meter_id = add_meter(store)
    with pytest.raises(ValueError, match="no counter 'lost'"):
        store.count(meter_id, sent=1, lost=1)
    with pytest.raises(ValueError, match="only goes up"):
        store.count(meter_id, sent=-1)
    assert store.stats(meter_id) == RequestStats()


def test_requests_sent_add_up_per_hour_with_the_counters(store: Store) -> None:
    meter_id = add_meter(store)
    store.count(meter_id, datetime(2026, 11, 21, 9, 59, 50), sent=2, answered=1)
    store.count(meter_id, datetime(2026, 11, 21, 10, 0, 5), sent=1)
    store.count(meter_id, datetime(2026, 11, 21, 10, 30), timed_out=1)  # no request sent
    store.count(meter_id, answered=1)  # no time: the counters only
    assert store.sent_per_hour(meter_id) == [
        (datetime(2026, 11, 21, 9), 2),
        (datetime(2026, 11, 21, 10), 1),
    ]
    stats = store.stats(meter_id)
    assert (stats.sent, stats.answered, stats.timed_out) == (3, 2, 1)


def test_a_version_2_file_gains_the_hourly_counts(tmp_path: Path) -> None:
    path = tmp_path / "v2.db"
    with sqlite3.connect(path, isolation_level=None) as db:
        for number, script in enumerate(schema.MIGRATIONS[:2], start=1):
            db.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;")
        db.execute(
            "INSERT INTO meter (key, address, first_seen, last_seen) VALUES (?, ?, ?, ?)",
            ("fe80::1", "fe80::1", "2026-11-21T09:00:00.000000", "2026-11-21T09:00:00.000000"),
        )
        db.execute("INSERT INTO request_count (meter_id, counter, n) VALUES (1, 'sent', 7)")
    db.close()
    with Store.open(path) as store:
        (meter,) = store.meters()
        assert store.stats(meter.id).sent == 7
        assert store.sent_per_hour(meter.id) == []
        store.count(meter.id, datetime(2026, 11, 21, 9, 5), sent=1)
        assert store.sent_per_hour(meter.id) == [(datetime(2026, 11, 21, 9), 1)]


def test_the_pan_a_scan_found_is_kept_and_replaced(store: Store) -> None:
    assert store.kept_pan() is None
    store.keep_pan(33, 0x8888, "001d129012345678", datetime(2026, 11, 21, 9))
    assert store.kept_pan() == (33, 0x8888, "001D129012345678")
    store.keep_pan(40, 0x1234, "001D1290ABCDEF01", datetime(2026, 11, 22, 9))
    assert store.kept_pan() == (40, 0x1234, "001D1290ABCDEF01")


def test_a_version_3_file_gains_the_pan_table(tmp_path: Path) -> None:
    path = tmp_path / "v3.db"
    with sqlite3.connect(path, isolation_level=None) as db:
        for number, script in enumerate(schema.MIGRATIONS[:3], start=1):
            db.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;")
    db.close()
    with Store.open(path) as store:
        assert store.kept_pan() is None
        store.keep_pan(33, 0x8888, "001D129012345678", datetime(2026, 11, 21, 9))
        assert store.kept_pan() == (33, 0x8888, "001D129012345678")


def test_a_meter_keeps_its_class_and_a_version_4_file_takes_0x028f(tmp_path: Path) -> None:
    path = tmp_path / "v4.db"
    with sqlite3.connect(path, isolation_level=None) as db:
        for number, script in enumerate(schema.MIGRATIONS[:4], start=1):
            db.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;")
        db.execute(
            "INSERT INTO meter (key, address, first_seen, last_seen) VALUES (?, ?, ?, ?)",
            ("fe80::1", "fe80::1", "2026-11-21T09:00:00.000000", "2026-11-21T09:00:00.000000"),
        )
    db.close()
    with Store.open(path) as store:
        (old,) = store.meters()
        assert old.class_id == 0x028F
        lv = store.meter("fe80::2", "fe80::2", datetime(2026, 11, 21, 10), 0x0288)
        assert store.meter_class(lv) == 0x0288
        assert [m.class_id for m in store.meters()] == [0x028F, 0x0288]
        # A low-voltage meter's active energy is scaled by E1, D3 and D7; it has no demand.
        assert store.register_history(lv, Quantity.ACTIVE_ENERGY).quantity is (
            Quantity.LV_ACTIVE_ENERGY
        )
        assert store.register_history(lv, Quantity.DEMAND).versions == {}
