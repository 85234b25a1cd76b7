"""The meter's latest instantaneous readings (/api/now): power (0xEA) and currents (0xEB)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hemsnet.controller.config import ControllerConfig
from hemsnet.metering.series import Series
from hemsnet.store.model import Meter
from hemsnet.store.store import Store
from hemsnet.web.common import iso, number
from hemsnet.web.link import link

__all__ = ["now_reading"]


def now_reading(
    store: Store, meter: Meter, now: datetime, controller: ControllerConfig
) -> dict[str, Any]:
    """/api/now: ``at`` is the meter time the power was read at (EA carries no time)."""
    power = store.latest(meter.id, Series.POWER)
    current_r = store.latest(meter.id, Series.CURRENT_R)
    current_t = store.latest(meter.id, Series.CURRENT_T)
    return {
        "meter": meter.key,
        "at": iso(power.measured_at) if power else None,
        "power_w": int(power.value) if power and power.value is not None else None,
        "current_r_a": number(current_r.value) if current_r else None,
        "current_t_a": number(current_t.value) if current_t else None,
        "link": link(store, meter, now, controller),
    }
