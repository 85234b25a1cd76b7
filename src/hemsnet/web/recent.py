"""The readings a page needs at once on load: the last minutes of power (/api/power) and the
appliances the controller reads (/api/appliances)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Final

from hemsnet.metering.series import Series
from hemsnet.store.model import Meter
from hemsnet.store.store import Store
from hemsnet.web.common import iso

__all__ = ["MAX_MINUTES", "appliances", "recent_power"]

MAX_MINUTES: Final = 60


def recent_power(store: Store, meter: Meter, minutes: int) -> dict[str, Any]:
    """/api/power: EA readings of the ``minutes`` before the newest one (meter time), so that
    the page's live chart starts full."""
    latest = store.latest(meter.id, Series.POWER)
    points: list[dict[str, Any]] = []
    if latest is not None:
        start = latest.measured_at - timedelta(minutes=minutes)
        end = latest.measured_at + timedelta(seconds=1)
        points = [
            {"at": iso(r.measured_at), "power_w": int(r.value)}
            for r in store.readings(meter.id, Series.POWER, start, end)
            if r.value is not None
        ]
    return {"meter": meter.key, "minutes": minutes, "points": points}


def appliances(store: Store) -> dict[str, Any]:
    """/api/appliances: every appliance object found on the HEMS networks, with its latest
    power and operation status (controller time of the answer)."""
    found = []
    for appliance in store.appliances():
        latest = store.latest_appliance_power(appliance.id)
        found.append(
            {
                "key": appliance.key,
                "address": appliance.address,
                "eoj": appliance.eoj,
                "class": appliance.class_name,
                "reachable": appliance.reachable,
                "last_seen": iso(appliance.last_seen),
                "power_w": None if latest is None else latest.watts,
                "operating": None if latest is None else latest.operating,
                "at": None if latest is None else iso(latest.measured_at),
            }
        )
    return {"appliances": found}
