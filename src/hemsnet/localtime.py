"""Local date-times typed by people: meter and controller time are naive local time.

One reader for every place that takes one: ``--start`` of the meter, controller and
appliances, the bounds of ``hemsnet export`` and of the dashboard's CSV export.
"""

from __future__ import annotations

from datetime import datetime

__all__ = ["parse_local_time"]


def parse_local_time(text: str) -> datetime:
    """An ISO date-time (a bare date is its midnight) with no UTC offset; ``ValueError``
    says which of the two it is not."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO date-time") from None
    if value.tzinfo is not None:
        raise ValueError(f"{text}: the time is local, give no UTC offset")
    return value
