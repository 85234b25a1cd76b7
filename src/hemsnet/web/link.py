"""Is the meter link healthy? LINK of the dashboard contract, from the store alone.

The controller writes every answer it gets as readings, so the arrival of the newest readings
is the last time the meter answered. The link is

- ``fault`` while the meter reports a fault (INF 0x88 = 0x41 [AIF 3.4.1]) that has not ended;
- ``up`` when a reading arrived within 3 instant poll intervals (EA, EB every 10 s by
  default), or 90 s if that is longer;
- ``stale`` when the last one arrived within 15 minutes;
- ``down`` when it is older, or nothing ever arrived;
- ``waiting`` before any meter is stored (see :func:`waiting`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from hemsnet.controller.config import ControllerConfig, link_state
from hemsnet.metering.series import Series, Source
from hemsnet.store.model import Meter
from hemsnet.store.store import Store
from hemsnet.web.common import iso

__all__ = ["link", "waiting"]

#: The series a scheduled notification carries (E3, C3, CB [AIF 3.2.1]).
_NOTIFIED: Final = (Series.ENERGY_NORMAL, Series.DEMAND_NORMAL, Series.REACTIVE_NORMAL)


def waiting() -> dict[str, Any]:
    """LINK before the controller has stored any meter."""
    return {
        "state": "waiting",
        "last_answer_at": None,
        "last_notification_at": None,
        "in_fault": False,
        "since": None,
    }


def _newest(times: list[datetime | None]) -> datetime | None:
    known = [at for at in times if at is not None]
    return max(known) if known else None


def link(store: Store, meter: Meter, now: datetime, controller: ControllerConfig) -> dict[str, Any]:
    """LINK of ``meter`` at ``now`` (controller time).

    ``since`` is when the state began as far as the store tells: the start of an open fault,
    the last answer for ``stale`` and ``down``; ``None`` for ``up``.
    """
    answered = _newest([store.latest_arrival(meter.id, series) for series in Series])
    notified = _newest([store.latest_arrival(meter.id, s, Source.NOTIFICATION) for s in _NOTIFIED])
    faults = store.faults(meter.id)
    open_fault = faults[-1] if faults and faults[-1].open else None
    since: datetime | None
    if open_fault is not None:
        state, since = "fault", open_fault.start
    else:
        state = link_state(controller, answered, now)
        since = None if state == "up" else answered
    return {
        "state": state,
        "last_answer_at": iso(answered),
        "last_notification_at": iso(notified),
        "in_fault": open_fault is not None,
        "since": iso(since),
    }
