"""Hostile batches: each kind of bad input is refused with one log line naming the home and the
fault, never an exception, and never a row under another home's ID."""

from __future__ import annotations

import json
import logging
import random
from datetime import datetime, timedelta
from typing import Any

import pytest

from hemsnet.provider.batch import MAX_BATCH_BYTES, Batch, BatchError, parse_batch
from hemsnet.provider.consumer import Consumer
from hemsnet.provider.fields import TimeWindow
from hemsnet.provider.state import LinkState, parse_state
from hemsnet.uplink.config import Broker
from tests.provider_home import METER, NOW, T0, batch, half_hours, reading


def consumer() -> Consumer:
    return Consumer(Broker("127.0.0.1", 1883), "postgresql://", client_id="t", now=lambda: NOW)


def test_a_good_batch_becomes_rows_of_its_home() -> None:
    checked = parse_batch("h1", batch("h1", half_hours(5, 3)), NOW)
    assert (checked.first, checked.last, checked.refused) == (5, 7, [])
    assert checked.rows["reading"][0] == (
        "h1", METER, "energy_normal", T0, 1000, "100.0", False, "notification", 5,
    )  # fmt: skip
    assert checked.last_data == T0 + timedelta(hours=1)


def envelope(**override: Any) -> bytes:
    return batch("h1", half_hours(1, 3), **override)


@pytest.mark.parametrize(
    ("payload", "fault"),
    [
        (b"\xff\xfe", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b"[" * 150_000 + b"]" * 150_000, "bytes, over"),
        (b"[" * 50_000 + b"]" * 50_000, "not JSON"),  # nesting deeper than the parser goes
        (envelope(v=2), "version 2 is not 1"),
        (envelope(v=True), "version True is not 1"),
        (envelope(home="h2"), "not the topic's home"),
        (envelope(first="1"), "first is not an integer"),
        (envelope(first=0), "first 0 is out of range"),
        (envelope(last=2), "seq 3 after 2 is not in order within 1..2"),
        (envelope(last=5), "last record's seq 3 is not last 5"),
        (envelope(first=2), "seq 1 after 1 is not in order"),
        (envelope(records=[]), "records is not a list of 1..500"),
        (envelope(records={"seq": 1}), "records is not a list"),
        (batch("h1", half_hours(1, 501)), "records is not a list of 1..500"),
        (envelope(records=[reading(1, T0), reading(1, T0), reading(3, T0)]), "seq 1 after 1"),
        (envelope(records=[reading(1, T0), "x", reading(3, T0)]), "has no integer seq"),
        (envelope(records=[reading(1, T0), {"seq": 2.0}, reading(3, T0)]), "no integer seq"),
    ],
)
def test_a_bad_envelope_refuses_the_whole_batch(
    payload: bytes, fault: str, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(BatchError, match=fault.replace(".", r"\.")):
        parse_batch("h1", payload, NOW)
    with caplog.at_level(logging.WARNING):
        assert consumer().check("h1", "batch", payload, NOW) is None
    (line,) = [r.getMessage() for r in caplog.records]
    assert line.startswith("home h1: batch refused, not acknowledged:") and "\n" not in line


@pytest.mark.parametrize(
    ("record", "fault"),
    [
        (reading(2, T0, kind="telepathy"), "unknown kind 'telepathy'"),
        (reading(2, T0, at="yesterday"), "at is not an ISO-8601 time"),
        (reading(2, T0, at="2026-11-30T23:00:00+09:00"), "has a UTC offset"),
        (reading(2, T0, at="9999-01-01T00:00:00"), "outside the accepted window"),
        (reading(2, T0, at="1970-01-01T00:00:00"), "outside the accepted window"),
        (reading(2, T0, at="2" * 1000), "at is not an ISO-8601 time"),
        (reading(2, T0, raw=2**63), "raw 9223372036854775808 is out of range"),
        (reading(2, T0, raw=True), "raw is not an integer"),
        (reading(2, T0, value="1e308"), "value is not a decimal string"),
        (reading(2, T0, value="NaN"), "value is not a decimal string"),
        (reading(2, T0, void="no"), "void is not true or false"),
        (reading(2, T0, void=True), "a void reading has a raw count or a value"),
        (reading(2, T0, source="rumour"), "source is not one of"),
        (reading(2, T0, meter="a b"), "meter is not a key"),
        (reading(2, T0, meter="x" * 200), "meter is not a key"),
        (reading(2, T0, series="\x00"), "series is not a key"),
        ({"seq": 2, "kind": "attribute", "meter": "m", "epc": 7, "at": "2026-12-01T00:00:00"},
         "epc 7 is out of range 128..255"),
        ({"seq": 2, "kind": "attribute", "meter": "m", "epc": 0xE1, "at": "2026-12-01T00:00:00",
          "edt": "zz"}, "edt is not hex bytes"),
        ({"seq": 2, "kind": "gap", "meter": "m", "series": "s", "start": "2026-12-01T01:00:00",
          "end": "2026-12-01T00:00:00", "status": "open", "opened": "2026-12-01T00:00:00"},
         "is not before end"),
        ({"seq": 2, "kind": "gap", "meter": "m", "series": "s", "start": "2026-12-01T00:00:00",
          "end": "2026-12-01T01:00:00", "status": "open", "opened": "2026-12-01T00:00:00",
          "closed": "2026-12-01T02:00:00"}, "a gap open has closed"),
        ({"seq": 2, "kind": "fault", "meter": "m", "start": "2026-12-01T01:00:00",
          "end": "2026-12-01T00:00:00"}, "is before start"),
        ({"seq": 2, "kind": "appliance_reading", "appliance": "a", "eoj": "zz0101",
          "at": "2026-12-01T00:00:00"}, "eoj 'zz0101' is not 6 hex digits"),
        ({"seq": 2, "kind": "control_action", "id": 1, "at": "2026-12-01T00:00:00",
          "appliance": "a", "action": "shed", "step": 0, "outcome": "sent",
          "target_kw": float("inf")}, "target_kw inf is out of range"),
        ({"seq": 2, "kind": "dropped", "first": 5, "last": 4, "count": 0},
         "last 4 is out of range 5.."),
    ],
)  # fmt: skip
def test_a_bad_record_is_refused_alone_and_the_rest_kept(
    record: dict[str, Any], fault: str, caplog: pytest.LogCaptureFixture
) -> None:
    payload = batch("h1", [reading(1, T0), record, reading(3, T0 + timedelta(minutes=30))])
    with caplog.at_level(logging.WARNING):
        checked = consumer().check("h1", "batch", payload, NOW)
    assert isinstance(checked, Batch)
    assert [row[-1] for row in checked.rows["reading"]] == [1, 3]
    (refused,) = checked.refused
    assert refused.startswith("seq 2") and fault in refused, refused
    (line,) = [r.getMessage() for r in caplog.records]
    assert line.startswith("home h1: batch 1..3: 1 of 3 records refused, the rest stored;")


def test_the_window_bounds_the_months_a_batch_may_touch() -> None:
    window = TimeWindow(back=timedelta(days=10), ahead=timedelta(days=1))
    records = [
        reading(1, NOW - timedelta(days=11)),
        reading(2, NOW),
        reading(3, NOW + timedelta(days=2)),
    ]
    checked = parse_batch("h1", batch("h1", records), NOW, window)
    assert [row[-1] for row in checked.rows["reading"]] == [2]
    assert len(checked.refused) == 2


def test_random_damage_never_raises_anything_but_a_batch_error() -> None:
    good = batch("h1", half_hours(1, 20))
    draw = random.Random(16)
    for _ in range(2000):
        damaged = bytearray(good)
        for _ in range(draw.randint(1, 8)):
            damaged[draw.randrange(len(damaged))] = draw.randrange(256)
        try:
            checked = parse_batch("h1", bytes(damaged), NOW)
        except BatchError:
            continue
        assert all(row[0] == "h1" for rows in checked.rows.values() for row in rows)


def test_records_of_a_structure_other_than_expected_are_refused_not_raised() -> None:
    odd: list[Any] = [None, [], {}, 1.5, "x", {"a": [1]}, [{"b": None}]]
    records: list[dict[str, Any]] = [{"seq": 1, "kind": "reading"}]
    fields = ("meter", "series", "at", "raw", "value", "void", "source", "edt", "epc", "watts")
    for i, name in enumerate(fields):
        for j, value in enumerate(odd):
            records.append({**reading(2 + i * len(odd) + j, T0), name: value})
    checked = parse_batch("h1", batch("h1", records), NOW)
    assert checked.records == len(records)


@pytest.mark.parametrize(
    ("payload", "fault"),
    [
        (b"{}", "not {"),
        (json.dumps({"v": 1, "state": "online", "at": "soon"}).encode(), "not an ISO-8601 time"),
        (b"x" * 2000, "2000 bytes"),
    ],
)
def test_a_bad_state_message_is_refused(payload: bytes, fault: str) -> None:
    with pytest.raises(BatchError, match=fault):
        parse_state("h1", payload, NOW)


def test_a_cleared_retained_state_is_ignored_quietly(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        assert consumer().check("h1", "state", b"", NOW) is None
    assert caplog.records == []


def test_a_state_message() -> None:
    payload = json.dumps({"v": 1, "state": "offline", "at": "2026-12-04T09:00:00"}).encode()
    assert parse_state("h1", payload, NOW) == LinkState("h1", "offline", datetime(2026, 12, 4, 9))


def test_the_size_limit_is_the_contracts() -> None:
    assert MAX_BATCH_BYTES == 256 * 1024
