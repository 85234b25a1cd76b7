"""A batch from a home (docs/route-c.md, "A batch"), checked and turned into table rows.

The batch arrived from the internet: its home must be the topic's (the broker's ACL made the
topic the sender's own), its envelope must hold, and each record is checked on its own. A bad
envelope refuses the whole batch (:class:`BatchError`; it is not acknowledged); a bad record
inside a good envelope is refused alone and named in :attr:`Batch.refused`, and the rest is
stored and acknowledged (docs/provider.md P4).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

from hemsnet.provider.fields import (
    BIGINT_MAX,
    DEFAULT_WINDOW,
    Refused,
    TimeWindow,
    boolean,
    choice,
    decimal,
    hex_bytes,
    integer,
    number,
    text,
    timestamp,
)

__all__ = ["MAX_BATCH_BYTES", "MAX_RECORDS", "Batch", "BatchError", "parse_batch"]

MAX_BATCH_BYTES: Final = 256 * 1024  # the contract's limit
MAX_RECORDS: Final = 500  # the contract's batch_size
_SOURCES: Final = frozenset({"notification", "poll", "history"})
_GAP_STATUS: Final = frozenset({"open", "filled", "unrecoverable"})
_ACTIONS: Final = frozenset({"shed", "restore"})
_OUTCOMES: Final = frozenset({"sent", "accepted", "retried", "refused", "unanswered"})
_INT32: Final = 2**31 - 1
_KW_LIMIT: Final = 1e6
_REASON_CHARS: Final = 200

Row = tuple[object, ...]


class BatchError(ValueError):
    """The whole batch is refused: the message says what was wrong."""


@dataclass(slots=True)
class Batch:
    """A checked batch: rows by table name (columns as :data:`hemsnet.provider.tables.TABLES`
    orders them), the records refused, the newest measured time among its readings."""

    home: str
    first: int
    last: int
    rows: dict[str, list[Row]] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)
    last_data: datetime | None = None
    target_kw: float | None = None  # of the newest control action: the home's demand target

    @property
    def records(self) -> int:
        return sum(map(len, self.rows.values())) + len(self.refused)


def parse_batch(
    home: str, payload: bytes, now: datetime, window: TimeWindow = DEFAULT_WINDOW
) -> Batch:
    """The batch of ``payload`` published on home ``home``'s topic, at provider time ``now``;
    :class:`BatchError` when the envelope is not the contract's."""
    if len(payload) > MAX_BATCH_BYTES:
        raise BatchError(f"{len(payload)} bytes, over the {MAX_BATCH_BYTES} the contract allows")
    try:
        data = json.loads(payload)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        raise BatchError("not JSON") from None
    if not isinstance(data, dict):
        raise BatchError("not a JSON object")
    if data.get("v") != 1 or type(data.get("v")) is not int:
        raise BatchError(f"version {data.get('v')!r} is not 1")
    if data.get("home") != home:
        raise BatchError("its home is not the topic's home: refused, nothing stored")
    try:
        first = integer(data, "first", 1, BIGINT_MAX)
        last = integer(data, "last", first, BIGINT_MAX)
    except Refused as exc:
        raise BatchError(str(exc)) from None
    records = data.get("records")
    if not isinstance(records, list) or not 1 <= len(records) <= MAX_RECORDS:
        raise BatchError(f"records is not a list of 1..{MAX_RECORDS} records")
    batch = Batch(home, first, last)
    low, high = window.bounds(now)
    previous = first - 1
    for record in records:
        if not isinstance(record, dict) or type(record.get("seq")) is not int:
            raise BatchError(f"a record after seq {previous} has no integer seq")
        seq: int = record["seq"]
        if not previous < seq <= last:
            raise BatchError(f"seq {seq} after {previous} is not in order within {first}..{last}")
        previous = seq
        _add(batch, record, seq, low, high)
    if previous != last:
        raise BatchError(f"the last record's seq {previous} is not last {last}")
    return batch


def _add(
    batch: Batch, record: Mapping[str, object], seq: int, low: datetime, high: datetime
) -> None:
    kind = record.get("kind")
    convert = _KINDS.get(kind) if isinstance(kind, str) else None
    if convert is None:
        batch.refused.append(f"seq {seq}: unknown kind {str(kind)[:40]!r}")
        return
    try:
        row = convert(batch, record, low, high)
    except Refused as exc:
        batch.refused.append(f"seq {seq} ({kind}): {exc}")
        return
    batch.rows.setdefault(str(kind), []).append((batch.home, *row, seq))


def _reading(batch: Batch, r: Mapping[str, object], low: datetime, high: datetime) -> Row:
    at = timestamp(r, "at", low, high)
    void = boolean(r, "void")
    raw = None if void else integer(r, "raw", -BIGINT_MAX, BIGINT_MAX)
    value = None if void else decimal(r, "value")
    if void and (r.get("raw") is not None or r.get("value") is not None):
        raise Refused("a void reading has a raw count or a value")
    row = (text(r, "meter"), text(r, "series"), at, raw, value, void, choice(r, "source", _SOURCES))
    if batch.last_data is None or at > batch.last_data:
        batch.last_data = at
    return row


def _attribute(batch: Batch, r: Mapping[str, object], low: datetime, high: datetime) -> Row:
    edt = None if r.get("edt") is None else hex_bytes(r, "edt")
    return (text(r, "meter"), integer(r, "epc", 0x80, 0xFF), timestamp(r, "at", low, high), edt)


def _gap(batch: Batch, r: Mapping[str, object], low: datetime, high: datetime) -> Row:
    start, end = timestamp(r, "start", low, high), timestamp(r, "end", low, high)
    if not start < end:
        raise Refused(f"start {start} is not before end {end}")
    status = choice(r, "status", _GAP_STATUS)
    closed = None if r.get("closed") is None else timestamp(r, "closed", low, high)
    if (status == "open") != (closed is None):
        raise Refused(f"a gap {status} has closed {r.get('closed')!r}")
    opened = timestamp(r, "opened", low, high)
    return (text(r, "meter"), text(r, "series"), start, end, status, opened, closed)


def _fault(batch: Batch, r: Mapping[str, object], low: datetime, high: datetime) -> Row:
    start = timestamp(r, "start", low, high)
    end = None if r.get("end") is None else timestamp(r, "end", low, high)
    if end is not None and end < start:
        raise Refused(f"end {end} is before start {start}")
    return (text(r, "meter"), start, end)


def _appliance_reading(batch: Batch, r: Mapping[str, object], low: datetime, high: datetime) -> Row:
    eoj = text(r, "eoj")
    if len(eoj) != 6 or not all(c in "0123456789abcdefABCDEF" for c in eoj):
        raise Refused(f"eoj {eoj[:40]!r} is not 6 hex digits")
    watts = None if r.get("watts") is None else integer(r, "watts", -_INT32, _INT32)
    operating = None if r.get("operating") is None else boolean(r, "operating")
    return (text(r, "appliance"), eoj.lower(), timestamp(r, "at", low, high), watts, operating)


def _control_action(batch: Batch, r: Mapping[str, object], low: datetime, high: datetime) -> Row:
    target = number(r, "target_kw", _KW_LIMIT)
    projected = None if r.get("projected_kw") is None else number(r, "projected_kw", _KW_LIMIT)
    before = (
        None if r.get("power_before_w") is None else integer(r, "power_before_w", -_INT32, _INT32)
    )
    after = None if r.get("power_after_w") is None else integer(r, "power_after_w", -_INT32, _INT32)
    row = (
        integer(r, "id", 1, BIGINT_MAX),
        timestamp(r, "at", low, high),
        text(r, "appliance"),
        choice(r, "action", _ACTIONS),
        integer(r, "step", 0, _INT32),
        choice(r, "outcome", _OUTCOMES),
        target,
        projected,
        before,
        after,
    )
    batch.target_kw = target  # records come in seq order: the last one is the newest
    return row


def _dropped(batch: Batch, r: Mapping[str, object], low: datetime, high: datetime) -> Row:
    first = integer(r, "first", 1, BIGINT_MAX)
    last = integer(r, "last", first, BIGINT_MAX)
    reason = r.get("reason", "")
    if not isinstance(reason, str) or len(reason) > _REASON_CHARS or not reason.isprintable():
        raise Refused(f"reason is not printable text of at most {_REASON_CHARS} characters")
    return (first, last, integer(r, "count", 0, BIGINT_MAX), reason)


_KINDS: Final[dict[str, Callable[[Batch, Mapping[str, object], datetime, datetime], Row]]] = {
    "reading": _reading,
    "attribute": _attribute,
    "gap": _gap,
    "fault": _fault,
    "appliance_reading": _appliance_reading,
    "control_action": _control_action,
    "dropped": _dropped,
}
