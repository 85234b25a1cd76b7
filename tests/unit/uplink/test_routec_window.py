"""The window of Route C batches in flight, in virtual time: cutting, acks, timeouts."""

from __future__ import annotations

import json

import pytest

from hemsnet.store.outbox import QueuedRecord
from hemsnet.uplink.routec_window import MAX_ACK_WAIT, MAX_BATCH_BYTES, BatchWindow, parse_ack

STAMP = "2026-12-04T10:00:00"


def records(first: int, count: int, pad: int = 0) -> list[QueuedRecord]:
    return [
        QueuedRecord(seq, f'{{"seq":{seq},"kind":"reading","pad":"{"x" * pad}"}}')
        for seq in range(first, first + count)
    ]


def test_a_batch_is_the_contracts_envelope_around_the_records_in_order() -> None:
    window = BatchWindow("h0001", watermark=0, batch_size=3)
    batch = window.take(records(1, 5), 0.0, STAMP)
    assert (batch.first, batch.last, batch.count, window.read_up_to) == (1, 3, 3, 3)
    assert json.loads(batch.payload) == {
        "v": 1,
        "home": "h0001",
        "first": 1,
        "last": 3,
        "sent_at": STAMP,
        "records": [{"seq": s, "kind": "reading", "pad": ""} for s in (1, 2, 3)],
    }


def test_a_batch_stays_within_256_kib_and_an_oversized_record_goes_alone() -> None:
    window = BatchWindow("h", watermark=0)
    batch = window.take(records(1, 500, pad=1000), 0.0, STAMP)
    assert len(batch.payload) <= MAX_BATCH_BYTES < len(batch.payload) + 1040
    assert batch.count == len(json.loads(batch.payload)["records"]) < 500
    huge = window.take(records(batch.last + 1, 2, pad=MAX_BATCH_BYTES), 0.0, STAMP)
    assert huge.count == 1


def test_acks_out_of_order_move_the_watermark_over_the_contiguous_front() -> None:
    window = BatchWindow("h", watermark=100, size=3, batch_size=10)
    for first in (101, 111, 121):
        window.take(records(first, 10), 0.0, STAMP)
    assert not window.has_room and window.in_flight == 30
    assert window.acknowledge(121, 130, 1.0) is None
    assert window.advance() == 100  # 101..110 still waits
    assert window.acknowledge(111, 120, 1.0) is None
    assert window.acknowledge(101, 110, 1.0) is None
    assert window.advance() == 130 == window.watermark
    assert window.batches == [] and window.has_room


def test_one_ack_may_cover_several_batches() -> None:
    window = BatchWindow("h", watermark=0, batch_size=10)
    for first in (1, 11, 21):
        window.take(records(first, 10), 0.0, STAMP)
    assert window.acknowledge(1, 20, 1.0) is None
    assert window.advance() == 20


def test_nonsense_acks_change_nothing_and_say_why() -> None:
    window = BatchWindow("h", watermark=10, batch_size=10)
    window.take(records(11, 10), 0.0, STAMP)
    assert window.acknowledge(11, 25, 1.0) == "acknowledges up to 25, beyond the 20 sent"
    assert window.acknowledge(12, 20, 1.0) == "range 12..20 holds no whole batch in flight"
    assert window.acknowledge(3, 10, 1.0) is None  # a late duplicate: quietly nothing
    assert window.advance() == 10 and window.in_flight == 10


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        (b"x" * 2000, "2000 bytes, more than an ack's 1024"),
        (b"\xff\xfe", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b'{"v": 2, "first": 1, "last": 2}', "version 2, not 1"),
        (b'{"v": 1, "first": "1", "last": 2}', "first and last are not integers"),
        (b'{"v": 1, "first": true, "last": 2}', "first and last are not integers"),
        (b'{"v": 1, "first": 1.0, "last": 2}', "first and last are not integers"),
        (b'{"v": 1, "first": 5, "last": 2}', "range 5..2 is empty or below 1"),
        (b'{"v": 1, "first": 0, "last": 2}', "range 0..2 is empty or below 1"),
    ],
)
def test_a_hostile_ack_is_refused_with_a_reason(payload: bytes, problem: str) -> None:
    assert parse_ack(payload) == problem


def test_a_good_ack_parses() -> None:
    assert parse_ack(b'{"v":1,"first":1201,"last":1700}') == (1201, 1700)


def test_an_unacknowledged_batch_is_due_again_after_the_timeout_with_the_same_bytes() -> None:
    window = BatchWindow("h", watermark=0, batch_size=10, ack_timeout=30.0)
    first = window.take(records(1, 10), 0.0, STAMP)
    second = window.take(records(11, 10), 20.0, STAMP)
    assert window.next_due() == 30.0
    assert window.due(29.9) == []
    assert window.due(30.0) == [first]
    assert window.timeout == 60.0 and window.next_due() == 80.0  # backed off: 20 + 60
    assert window.acknowledge(11, 20, 25.0) is None  # 5 s: measured, the back-off ends
    assert window.timeout == 30.0 and second.acked
    assert window.due(59.9) == []
    assert window.due(60.0) == [first]
    assert first.payload == window.batches[0].payload


def test_each_timeout_doubles_the_wait_until_a_batch_sent_once_is_acknowledged() -> None:
    window = BatchWindow("h", watermark=0, batch_size=10, ack_timeout=30.0)
    first = window.take(records(1, 10), 0.0, STAMP)
    resends = [at for at in range(0, 2000) if window.due(float(at))]
    assert resends == [30, 90, 210, 450, 930, 1890]
    window.acknowledge(1, 10, 1900.0)  # the ack of a resent batch measures nothing (Karn)
    assert first.acked and window.timeout == 1920.0
    window.advance()
    window.take(records(11, 10), 1900.0, STAMP)
    window.acknowledge(11, 20, 1902.0)  # a batch sent once: 2 s, the back-off ends
    assert window.timeout == 30.0


def test_the_wait_never_exceeds_an_hour() -> None:
    window = BatchWindow("h", watermark=0, batch_size=10, ack_timeout=1000.0)
    window.take(records(1, 10), 0.0, STAMP)
    for at in (1000.0, 3000.0, 6600.0, 10200.0):
        assert window.due(at - 0.1) == [] and len(window.due(at)) == 1
    assert window.timeout == MAX_ACK_WAIT


def test_a_provider_slower_than_the_timeout_has_its_delay_learnt() -> None:
    """Acks that take 100 s (a provider working through a backlog): the wait grows to the
    delay and its variation, and batches sent from then on wait for their acks."""
    window = BatchWindow("h", watermark=0, size=1, batch_size=10, ack_timeout=30.0)
    sent = resent = 0
    acks: dict[int, float] = {}  # last seq -> when its ack comes
    for now in map(float, range(0, 3600)):
        for last, at in list(acks.items()):
            if at == now:
                window.acknowledge(last - 9, last, now)
                del acks[last]
        window.advance()
        for batch in window.due(now):
            resent += 1
            acks.setdefault(batch.last, now + 100.0)
        if window.has_room:
            batch = window.take(records(sent * 10 + 1, 10), now, STAMP)
            sent += 1
            acks[batch.last] = now + 100.0
    assert 100.0 < window.timeout < 300.0
    assert sent > 30 and resent <= 3  # the first batch's, before a delay was measured


def test_quick_acks_keep_the_timeout_at_its_floor() -> None:
    window = BatchWindow("h", watermark=0, batch_size=10, ack_timeout=30.0)
    for n in range(20):
        window.take(records(n * 10 + 1, 10), n * 10.0, STAMP)
        window.acknowledge(n * 10 + 1, n * 10 + 10, n * 10.0 + 0.5)
        window.advance()
    assert window.timeout == 30.0


def test_a_new_connection_restarts_the_timers() -> None:
    window = BatchWindow("h", watermark=0, batch_size=10, ack_timeout=30.0)
    window.take(records(1, 10), 0.0, STAMP)
    window.restart_timers(1000.0)  # offline for a while: no timeouts counted meanwhile
    assert window.due(1029.0) == [] and window.next_due() == 1030.0
