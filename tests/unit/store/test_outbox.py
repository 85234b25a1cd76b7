"""The Route C outbox in a real SQLite file: what the triggers queue, the watermark, the bound."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from hemsnet.errors import ConfigError
from hemsnet.metering.series import Series, Source
from hemsnet.store import Store
from hemsnet.store.model import ApplianceReading
from hemsnet.store.outbox import Dropped, Outbox
from tests.unit.store.builders import ARRIVED, T0, reading

SECOND = timedelta(seconds=1)


@pytest.fixture
def outbox(store: Store) -> Iterator[Outbox]:
    with Outbox.open(store.path) as opened:
        opened.enable(True)
        yield opened


def queued(outbox: Outbox, after: int = 0) -> list[dict[str, Any]]:
    return [json.loads(record.text) for record in outbox.after(after, 10_000)]


def without_seq(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in record.items() if k != "seq"} for record in records]


def test_every_kind_is_queued_with_the_fields_of_the_contract(store: Store, outbox: Outbox) -> None:
    meter = store.meter("fe80::1", "fe80::1%3", ARRIVED)
    store.record([reading(meter, 123456), reading(meter, None, series=Series.ENERGY_REVERSE)])
    store.record_attribute(meter, 0xE1, b"\x01", ARRIVED)
    store.mark_absent(meter, 0xE4, ARRIVED)
    gap = store.open_gap(meter, Series.ENERGY_NORMAL, T0, T0 + timedelta(hours=1), ARRIVED)
    store.fault_started(meter, ARRIVED)
    battery = store.appliance("fe80::2", "fe80::2%3", "027D01", ARRIVED, class_name="Battery")
    store.record_appliance_power([ApplianceReading(battery, ARRIVED, -1500, True, ARRIVED)])
    action = store.record_action(
        ARRIVED, "ev", "shed", 1, "over", (0x80, b"\x31"), 30.0, (31.5, 33.0, 29.0), 6000
    )
    records = queued(outbox)
    assert [r["seq"] for r in records] == list(range(1, 9))
    at, t0 = ARRIVED.isoformat(timespec="microseconds"), T0.isoformat()
    assert without_seq(records) == [
        {"kind": "reading", "meter": "fe80::1", "series": "energy_normal", "at": t0,
         "raw": 123456, "value": "12345.6", "void": False, "source": "notification"},
        {"kind": "reading", "meter": "fe80::1", "series": "energy_reverse", "at": t0,
         "raw": None, "value": None, "void": True, "source": "notification"},
        {"kind": "attribute", "meter": "fe80::1", "epc": 0xE1, "at": at, "edt": "01"},
        {"kind": "attribute", "meter": "fe80::1", "epc": 0xE4, "at": at, "edt": None},
        {"kind": "gap", "meter": "fe80::1", "series": "energy_normal", "start": t0,
         "end": (T0 + timedelta(hours=1)).isoformat(), "status": "open", "opened": at,
         "closed": None},
        {"kind": "fault", "meter": "fe80::1", "start": at, "end": None},
        {"kind": "appliance_reading", "appliance": "fe80::2", "eoj": "027D01", "at": at,
         "watts": -1500, "operating": True},
        {"kind": "control_action", "id": action, "at": at, "appliance": "ev", "action": "shed",
         "step": 1, "outcome": "sent", "target_kw": 30.0, "projected_kw": 31.5,
         "power_before_w": 6000, "power_after_w": None},
    ]  # fmt: skip
    assert gap.id is not None


def test_an_update_queues_the_row_again_under_a_new_seq(store: Store, outbox: Outbox) -> None:
    meter = store.meter("m", "fe80::1", ARRIVED)
    gap = store.open_gap(meter, Series.ENERGY_NORMAL, T0, T0 + timedelta(minutes=30), ARRIVED)
    store.fault_started(meter, ARRIVED)
    action = store.record_action(
        ARRIVED, "ev", "shed", 1, "over", (0x80, b"\x31"), 30.0, (None, None, None), None
    )
    store.record([reading(meter, 1, source=Source.POLL)])
    first = outbox.after(0, 100)[-1].seq
    store.mark_unrecoverable(gap.id, ARRIVED + SECOND)
    store.fault_ended(meter, ARRIVED + SECOND)
    store.settle_action(action, "accepted", "", ARRIVED + SECOND)
    store.record([reading(meter, 2, source=Source.HISTORY, arrived=SECOND)])  # a correction
    again = queued(outbox, first)
    assert [r["seq"] for r in again] == list(range(first + 1, first + 5))
    assert [(r["kind"], r.get("status"), r.get("outcome")) for r in again] == [
        ("gap", "unrecoverable", None),
        ("fault", None, None),
        ("control_action", None, "accepted"),
        ("reading", None, None),
    ]
    assert again[1]["end"] == (ARRIVED + SECOND).isoformat(timespec="microseconds")
    assert (again[3]["raw"], again[3]["source"]) == (2, "history")


def test_what_is_not_stored_is_not_queued(store: Store, outbox: Outbox) -> None:
    meter = store.meter("m", "fe80::1", ARRIVED)
    store.record([reading(meter, 5, arrived=SECOND)])
    before = outbox.after(0, 100)
    # An older arrival loses to the stored one [AIF 2.5.1]: no update, nothing queued.
    store.record([reading(meter, 4)])
    assert outbox.after(0, 100) == before
    # The same transaction: a batch the database refuses (an unknown meter) queues nothing.
    with pytest.raises(ValueError, match="refused"):
        store.record([reading(meter, 6, T0 + timedelta(minutes=30)), reading(999, 1)])
    assert outbox.after(0, 100) == before


def test_the_watermark_moves_forward_durably_and_deletes_what_it_passes(
    store: Store, outbox: Outbox
) -> None:
    meter = store.meter("m", "fe80::1", ARRIVED)
    store.record([reading(meter, i, T0 + i * timedelta(minutes=30)) for i in range(10)])
    assert (outbox.watermark(), outbox.backlog()) == (0, 10)
    outbox.acknowledge(4)
    outbox.acknowledge(2)  # late: never back
    assert [r.seq for r in outbox.after(0, 100)] == [5, 6, 7, 8, 9, 10]
    with Outbox.open(store.path) as reopened:
        assert (reopened.watermark(), reopened.backlog()) == (4, 6)
    store.record([reading(meter, 99, T0 + timedelta(days=1))])
    assert outbox.after(4, 100)[-1].seq == 11  # AUTOINCREMENT: never reused


def test_the_backlog_bound_drops_the_oldest_not_in_flight_and_says_so(
    store: Store, outbox: Outbox
) -> None:
    meter = store.meter("m", "fe80::1", ARRIVED)
    store.record([reading(meter, i, T0 + i * timedelta(minutes=30)) for i in range(1200)])
    outbox.acknowledge(100)
    assert outbox.bound(1100, keep_after=150) is None  # 1100 wait: within the bound
    store.record([reading(meter, i, T0 + i * timedelta(minutes=30)) for i in range(1200, 1300)])
    # 1200 wait; down to 990 with the dropped record: 211 go, the oldest after 150.
    assert outbox.bound(1100, keep_after=150) == Dropped(151, 361, 211)
    assert outbox.backlog() == 990
    seqs = [r.seq for r in outbox.after(100, 10_000)]
    assert seqs[:51] == [*range(101, 151), 362]
    last = queued(outbox, 1300)
    assert last == [{"seq": 1301, "kind": "dropped", "first": 151, "last": 361, "count": 211}]
    # A dropped record is never dropped: the next trim passes over it.
    store.record([reading(meter, i, T0 + i * timedelta(minutes=30)) for i in range(1300, 1500)])
    assert outbox.bound(1100, keep_after=150) == Dropped(362, 562, 201)
    kinds = [json.loads(r.text)["kind"] for r in outbox.after(1300, 10_000)]
    assert kinds.count("dropped") == 2


def test_nothing_is_queued_while_route_c_is_off(store: Store) -> None:
    meter = store.meter("m", "fe80::1", ARRIVED)
    with Outbox.open(store.path) as outbox:
        store.record([reading(meter, 1)])  # a new store: off
        assert outbox.after(0, 10) == []
        outbox.enable(True)
        store.record([reading(meter, 2, T0 + timedelta(minutes=30))])
        outbox.enable(False)
        store.record([reading(meter, 3, T0 + timedelta(minutes=60))])
        assert [json.loads(r.text)["raw"] for r in outbox.after(0, 10)] == [2]


def test_an_outbox_needs_a_store_of_schema_8(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no outbox"):
        Outbox.open(tmp_path / "empty.db")


def test_times_are_the_stored_strings(store: Store, outbox: Outbox) -> None:
    meter = store.meter("m", "fe80::1", ARRIVED)
    store.fault_started(meter, datetime(2026, 1, 1, 0, 0, 0, 5))
    assert queued(outbox)[-1]["start"] == "2026-01-01T00:00:00.000005"
