"""/api/control: demand control as the page shows it, and the override a person sets
(docs/energy-management.md).

The plan comes from the configuration the dashboard was given (``[demand]``); what happened
comes from the store: each appliance's latest power, its last accepted decision (shed or
restored), the overrides, today's decisions for the timeline on the demand chart, and the
demand-response event from the provider in force or coming.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Final

from hemsnet.control.plan import DemandPlan
from hemsnet.store.model import ControlAction
from hemsnet.store.store import Store
from hemsnet.web.common import ApiError, iso

__all__ = ["control_state", "set_override"]

_DAY: Final = timedelta(days=1)


def _action(action: ControlAction) -> dict[str, Any]:
    return {
        "at": iso(action.decided_at),
        "appliance": action.appliance,
        "kind": action.kind,
        "step": action.step,
        "reason": action.reason,
        "epc": f"0x{action.epc:02X}",
        "edt": action.edt.hex().upper(),
        "target_kw": action.target_kw,
        "projected_kw": action.projected_kw,
        "high_kw": action.high_kw,
        "meter_kw": action.meter_kw,
        "power_before_w": action.power_before_w,
        "power_after_w": action.power_after_w,
        "outcome": action.outcome,
        "outcome_reason": action.outcome_reason,
    }


def control_state(store: Store, plan: DemandPlan, now: datetime) -> dict[str, Any]:
    """/api/control: the plan's appliances with state, power and why; today's decisions."""
    start = datetime.combine(now.date(), datetime.min.time())
    actions = store.actions(start - _DAY, now + _DAY)
    overrides = store.overrides()
    found = {a.eoj: a for a in store.appliances()}
    appliances = []
    for rule in plan.appliances:
        mine = [a for a in actions if a.appliance == rule.name]
        accepted = [a for a in mine if a.outcome == "accepted"]
        last = mine[-1] if mine else None
        stored = found.get(str(rule.eoj))
        latest = None if stored is None else store.latest_appliance_power(stored.id)
        appliances.append(
            {
                "name": rule.name,
                "eoj": str(rule.eoj),
                "action": rule.action.name,
                "priority": rule.priority,
                "reachable": stored is not None and stored.reachable,
                "power_w": None if latest is None else latest.watts,
                "shed": bool(accepted) and accepted[-1].kind == "shed",
                "paused": overrides.get(rule.name, False),
                "last": None if last is None else _action(last),
            }
        )
    today = [a for a in actions if a.decided_at >= start]
    return {
        "enabled": plan.enabled,
        "target_kw": plan.target_kw or None,
        "step": sum(1 for a in appliances if a["shed"]),
        "appliances": appliances,
        "actions": [_action(a) for a in today],
        "dr_event": _dr_event(store),
    }


def _dr_event(store: Store) -> dict[str, Any] | None:
    """The provider's demand-response event in force now, else the next one (wall-clock time,
    as the VEN stores its windows, E12)."""
    now = datetime.now()
    events = store.dr_events(now)
    if not events:
        return None
    event = events[0]
    return {
        "event_id": event["event_id"],
        "signal": event["signal"],
        "payload": event["payload"],
        "target_kw": event["target_kw"],
        "start": iso(event["start"]),
        "end": iso(event["end"]),
        "opt": event["opt"],
        "active": event["start"] <= now < event["end"],
    }


def set_override(
    store: Store, plan: DemandPlan, body: object, now: datetime, by: str
) -> dict[str, Any]:
    """POST /api/control/override ``{"appliance": NAME, "paused": true|false}``."""
    if not isinstance(body, dict) or set(body) != {"appliance", "paused"}:
        raise ApiError(400, 'send {"appliance": NAME, "paused": true or false}')
    name, paused = body["appliance"], body["paused"]
    if not isinstance(paused, bool):
        raise ApiError(400, "paused is true or false")
    if not isinstance(name, str) or plan.named(name) is None:
        known = ", ".join(a.name for a in plan.appliances) or "none"
        raise ApiError(404, f"{name!r} is not an appliance of the demand plan (known: {known})")
    store.set_override(name, paused, now, by)
    return {"appliance": name, "paused": paused}
