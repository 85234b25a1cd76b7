"""The window of Route C batches in flight (docs/route-c.md), sans I/O: time is an input.

A batch is cut from the head of the outbox after what was read last: at most ``batch_size``
records and :data:`MAX_BATCH_BYTES` of JSON. Up to ``size`` batches are in flight at once. An
acknowledgement names a range; every batch inside it is acknowledged, in any order, and the
watermark moves over the acknowledged batches at the front.

A batch not acknowledged in time (counted only while the broker is connected) is due again.
In time is RFC 6298's retransmission timeout with ``ack_timeout`` as its floor: estimated from
the delays of acks of batches sent once (Karn's rule: the ack of a resent batch may answer
either copy), doubled at each timeout and kept doubled until such an ack comes, capped at
:data:`MAX_ACK_WAIT` (docs/route-c.md U7). A provider that is slow because it is behind has
its delay measured, instead of multiplied into copies of the same batches.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from hemsnet.store.outbox import QueuedRecord

__all__ = ["MAX_ACK_BYTES", "MAX_BATCH_BYTES", "BatchWindow", "SentBatch", "parse_ack"]

MAX_BATCH_BYTES: Final = 256 * 1024
MAX_ACK_BYTES: Final = 1024  # an ack is ~40 bytes: anything longer is not one
MAX_ACK_WAIT: Final = 3600.0  # s: the longest a batch waits for its ack, back-off included
_GAIN: Final = 1 / 8  # RFC 6298 2.3: alpha
_VARIANCE_GAIN: Final = 1 / 4  # beta
_VARIANCE_WEIGHT: Final = 4  # K


@dataclass(slots=True)
class SentBatch:
    """Records ``first``..``last`` as sent, the payload kept to send again unchanged."""

    first: int
    last: int
    count: int
    payload: bytes
    sent_at: float
    acked: bool = False
    resent: bool = False  # its ack may answer either copy: it measures nothing


def parse_ack(payload: bytes) -> tuple[int, int] | str:
    """``(first, last)`` of a ``down/ack`` payload, or what is wrong with it."""
    if len(payload) > MAX_ACK_BYTES:
        return f"{len(payload)} bytes, more than an ack's {MAX_ACK_BYTES}"
    try:
        ack = json.loads(payload)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return "not JSON"
    if not isinstance(ack, dict):
        return "not a JSON object"
    if ack.get("v") != 1:
        return f"version {ack.get('v')!r}, not 1"
    first, last = ack.get("first"), ack.get("last")
    if type(first) is not int or type(last) is not int:  # bool is an int: refused too
        return "first and last are not integers"
    if not 1 <= first <= last:
        return f"range {first}..{last} is empty or below 1"
    return first, last


class BatchWindow:
    """The batches of one home in flight, oldest first."""

    def __init__(
        self,
        home: str,
        *,
        watermark: int,
        size: int = 4,
        batch_size: int = 500,
        ack_timeout: float = 30.0,
    ) -> None:
        self.home = home
        self.watermark = watermark
        self.read_up_to = watermark  # the last sequence number put in a batch
        self.size = size
        self.batch_size = batch_size
        self.ack_timeout = ack_timeout
        self.batches: list[SentBatch] = []
        self._smoothed: float | None = None  # RFC 6298's SRTT, of the ack delay
        self._variation = 0.0  # RTTVAR
        self._backoff = 0  # timeouts since the last ack of a batch sent once

    @property
    def timeout(self) -> float:
        """How long a batch waits for its ack: the estimate (RFC 6298 2.2-2.3), at least
        ``ack_timeout`` (2.4's minimum), doubled by each timeout since the last good ack
        (5.5), at most :data:`MAX_ACK_WAIT`."""
        wait = self.ack_timeout
        if self._smoothed is not None:
            wait = max(wait, self._smoothed + _VARIANCE_WEIGHT * self._variation)
        return min(wait * (1 << min(self._backoff, 16)), MAX_ACK_WAIT)

    @property
    def has_room(self) -> bool:
        return len(self.batches) < self.size

    @property
    def in_flight(self) -> int:
        """Records sent and not yet acknowledged."""
        return sum(batch.count for batch in self.batches if not batch.acked)

    def take(self, records: Sequence[QueuedRecord], now: float, stamp: str) -> SentBatch:
        """A new batch of the head of ``records`` (after :attr:`read_up_to`, in order, at
        least one), put in flight at ``now``; ``stamp`` is its ``sent_at``."""
        head = f'{{"v":1,"home":"{self.home}","first":{records[0].seq},"last":'
        size = len(head) + len(stamp) + 64  # the rest of the envelope, numbers included
        taken: list[str] = []
        for record in records[: self.batch_size]:
            size += len(record.text) + 1
            if taken and size > MAX_BATCH_BYTES:
                break  # a record larger than a batch still goes, alone
            taken.append(record.text)
        last = records[len(taken) - 1].seq
        payload = f'{head}{last},"sent_at":"{stamp}","records":[{",".join(taken)}]}}'
        batch = SentBatch(records[0].seq, last, len(taken), payload.encode(), now)
        self.batches.append(batch)
        self.read_up_to = last
        return batch

    def acknowledge(self, first: int, last: int, now: float) -> str | None:
        """Acknowledge every batch inside ``first``..``last``, the ack taken at ``now``; what
        is wrong with the ack when it acknowledges nothing it could (``None``: fine, or a late
        duplicate)."""
        if last > self.read_up_to:
            return f"acknowledges up to {last}, beyond the {self.read_up_to} sent"
        if last <= self.watermark:
            return None  # a duplicate of an ack already taken
        matched = False
        for batch in self.batches:
            if first <= batch.first and batch.last <= last:
                if not batch.acked and not batch.resent:
                    self._measure(now - batch.sent_at)
                batch.acked = matched = True
        return None if matched else f"range {first}..{last} holds no whole batch in flight"

    def _measure(self, delay: float) -> None:
        """One ack delay into the estimate (RFC 6298 2.2, 2.3); the back-off ends (5.7)."""
        delay, self._backoff = max(delay, 0.0), 0
        if self._smoothed is None:
            self._smoothed, self._variation = delay, delay / 2
            return
        error = abs(self._smoothed - delay)
        self._variation += _VARIANCE_GAIN * (error - self._variation)
        self._smoothed += _GAIN * (delay - self._smoothed)

    def advance(self) -> int:
        """Drop the acknowledged batches at the front; the watermark after them."""
        while self.batches and self.batches[0].acked:
            self.watermark = self.batches.pop(0).last
        return self.watermark

    def due(self, now: float) -> list[SentBatch]:
        """The batches whose ack is overdue, their timers started again at ``now``; if any,
        the timeout doubles."""
        wait = self.timeout
        overdue = [b for b in self.batches if not b.acked and now - b.sent_at >= wait]
        for batch in overdue:
            batch.sent_at, batch.resent = now, True
        if overdue:
            self._backoff += 1
        return overdue

    def restart_timers(self, now: float) -> None:
        """A new connection: what is in flight is (re)sent from now on, its timers too."""
        for batch in self.batches:
            batch.sent_at = now

    def next_due(self) -> float | None:
        """When the next ack falls due (``None``: nothing waits for one)."""
        waiting = [b.sent_at for b in self.batches if not b.acked]
        return min(waiting) + self.timeout if waiting else None
