"""The provider's tables of records, one per record kind of the contract (docs/route-c.md):
the columns a validated record fills, in order, its natural key and the column a table is
partitioned on by month. The writer builds its statements from these; the DDL is in
:mod:`hemsnet.provider.schema`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

__all__ = ["TABLES", "RecordTable"]


@dataclass(frozen=True, slots=True)
class RecordTable:
    """``columns`` start with ``home`` and end with ``seq``; ``key`` is a prefix of them."""

    name: str
    columns: tuple[str, ...]
    key: tuple[str, ...]
    partitioned_on: str | None = None  # a timestamp column: one partition per month


#: By record kind. Every key starts with the home: no record of one home can touch another's.
TABLES: Final[dict[str, RecordTable]] = {
    table.name: table
    for table in (
        RecordTable(
            "reading",
            ("home", "meter", "series", "measured_at", "raw", "value", "void", "source", "seq"),
            ("home", "meter", "series", "measured_at"),
            "measured_at",
        ),
        RecordTable(
            "attribute",
            ("home", "meter", "epc", "valid_from", "edt", "seq"),
            ("home", "meter", "epc", "valid_from"),
        ),
        RecordTable(
            "gap",
            (
                *("home", "meter", "series", "start_at", "end_at", "status", "opened_at"),
                *("closed_at", "seq"),
            ),
            ("home", "meter", "series", "start_at", "end_at"),
        ),
        RecordTable(
            "fault",
            ("home", "meter", "started_at", "ended_at", "seq"),
            ("home", "meter", "started_at"),
        ),
        RecordTable(
            "appliance_reading",
            ("home", "appliance", "eoj", "measured_at", "watts", "operating", "seq"),
            ("home", "appliance", "eoj", "measured_at"),
            "measured_at",
        ),
        RecordTable(
            "control_action",
            (
                *("home", "action_id", "decided_at", "appliance", "action", "step", "outcome"),
                *("target_kw", "projected_kw", "power_before_w", "power_after_w", "seq"),
            ),
            ("home", "action_id"),
        ),
        RecordTable(
            "dropped",
            ("home", "first_seq", "last_seq", "count", "reason", "seq"),
            ("home", "first_seq"),
        ),
    )
}
