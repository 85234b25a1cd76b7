"""A test-side home: builds Route C batches exactly as docs/route-c.md says a home's uplink
publishes them, so that the provider's tests do not depend on the controller's side."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any, Final

T0: Final = datetime(2026, 11, 30, 23, 0)  # readings that cross into December
NOW: Final = datetime(2026, 12, 4, 10, 0)  # the provider's clock in the unit tests
METER: Final = "fe80::1:1"


def reading(seq: int, at: datetime, value: str = "100.5", /, **extra: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "seq": seq,
        "kind": "reading",
        "meter": METER,
        "series": "energy_normal",
        "at": at.isoformat(),
        "raw": int(value.replace(".", "")),
        "value": value,
        "void": False,
        "source": "notification",
    }
    record.update(extra)
    return record


def half_hours(first_seq: int, count: int, start: datetime = T0) -> list[dict[str, Any]]:
    """``count`` cumulative energy readings every half-hour from ``start``, rising 0.5 kWh."""
    return [
        reading(first_seq + i, start + timedelta(minutes=30 * i), f"{100 + i * 0.5:.1f}")
        for i in range(count)
    ]


def batch(home: str, records: list[dict[str, Any]], /, **override: Any) -> bytes:
    body: dict[str, Any] = {
        "v": 1,
        "home": home,
        "first": records[0]["seq"],
        "last": records[-1]["seq"],
        "sent_at": NOW.isoformat(),
        "records": records,
    }
    body.update(override)
    return json.dumps(body).encode()


def batches(home: str, total: int, size: int, start: datetime = T0) -> Iterator[bytes]:
    """``total`` half-hourly readings of ``home`` in batches of ``size``, seq from 1."""
    records = half_hours(1, total, start)
    for i in range(0, total, size):
        yield batch(home, records[i : i + size])
