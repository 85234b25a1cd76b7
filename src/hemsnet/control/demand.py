"""Demand control, sans I/O: shed and restore the plan's appliances to keep the half-hour under
its target (docs/energy-management.md E3-E9).

Inputs: the plan (:mod:`hemsnet.control.plan`), each appliance's polls (:meth:`observe`), the
outcome of each command (:meth:`commanded`), the projection of the half-hour at each new power
reading (:meth:`decide`), overrides and a demand-response target. Outputs: :class:`Command`
(a SetC for the appliance monitor to send) and events (:data:`ControlEvent`) for the store.

* **Steps** (E3). With ``r`` seconds left, the half-hour lands at ``guard`` = the projection
  plus ``band_share`` of its upper band. Over the target, the load must fall by
  ``(guard - target)·T/r`` kW for the rest of the period: appliances are shed in priority
  order until their expected reductions cover it, so the further over and the later, the more
  steps at once.
* **Effect still to come** (E4). A command's effect reaches the meter's power readings only
  from the next minute on: until a reading ``settle_s`` into that minute, its expected
  reduction is taken off the projection, so the same excess does not shed twice. An appliance
  that draws less than a tenth of its expected cut is not shed (nothing to gain).
* **Guard** (E5). Nothing is sent in the last ``guard_s`` of a period, where it cannot matter.
* **Restore** (E6). Under the target, the most recently shed appliance (reverse priority) is
  restored, one per decision, only when the projection with its load back stays under
  ``(1 - hysteresis)·target`` and it has been shed ``min_off_s``.
* **Minimum times, comfort** (E7). A restored appliance is not shed again before ``min_on_s``;
  a shed one is restored whatever the demand when it has been shed ``max_off_s``, the room is
  warmer than ``room_max_c`` (0x0130 0xBB), or the charge is at ``reserve_percent``
  (0x027D/0x027E 0xE4); none is shed while its comfort limit is near.
* **Only the plan's appliances**, and a command is believed only when its Set_Res comes
  (E8): a SetC_SNA or no answer is sent again up to ``retries`` times, then reported failed;
  the appliance's state is left as it was and it is not tried again for ``_BACK_OFF``.
* **Override** (E9): a paused appliance is never commanded until resumed.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final

from hemsnet.control.forecast import PERIOD, Projection
from hemsnet.control.plan import DemandPlan, PlanAppliance
from hemsnet.echonet.eoj import Eoj

__all__ = [
    "ActionMeasured",
    "ActionSettled",
    "ActionTaken",
    "ApplianceView",
    "Command",
    "ControlEvent",
    "DemandController",
    "OverrideSet",
]

_T: Final = PERIOD.total_seconds()
_BACK_OFF: Final = timedelta(minutes=5)
_ROOM_MARGIN: Final = 0.5  # °C under room_max_c before a shed is allowed
_RESERVE_MARGIN: Final = 5.0  # % above reserve_percent before a shed is allowed
_NEGLIGIBLE_KW: Final = 0.01
_WORTH_SHARE: Final = 0.1  # an appliance drawing less than this share of its cut is left be
_ROOM_EPC: Final = 0xBB  # 0x0130 measured room temperature, signed 1 byte °C
_CHARGE_EPC: Final = 0xE4  # 0x027D/0x027E remaining stored electricity 3, %
_CHARGERS: Final = frozenset({0x027D, 0x027E})
_AIRCON: Final = 0x0130


@dataclass(frozen=True, slots=True)
class Command:
    """A SetC to send: ``epc`` = ``edt`` on ``eoj`` at ``address``."""

    action_id: int
    name: str
    address: Hashable
    eoj: Eoj
    epc: int
    edt: bytes


@dataclass(frozen=True, slots=True)
class ActionTaken:
    """A decision to shed or restore one appliance, with what caused it."""

    action_id: int
    at: datetime
    name: str
    kind: str  # "shed" or "restore"
    step: int  # appliances shed once this one is
    reason: str
    epc: int
    edt: bytes
    target_kw: float
    projected_kw: float | None
    high_kw: float | None
    meter_kw: float | None
    power_before_w: int | None


@dataclass(frozen=True, slots=True)
class ActionSettled:
    """How a command ended: ``accepted``, ``retried``, ``refused`` or ``unanswered``."""

    action_id: int
    at: datetime
    outcome: str
    reason: str = ""


@dataclass(frozen=True, slots=True)
class ActionMeasured:
    """The appliance's power at its first poll after the command was accepted."""

    action_id: int
    at: datetime
    power_after_w: int | None


@dataclass(frozen=True, slots=True)
class OverrideSet:
    """A person paused control of an appliance, or handed it back."""

    at: datetime
    name: str
    paused: bool


ControlEvent = ActionTaken | ActionSettled | ActionMeasured | OverrideSet


@dataclass(slots=True)
class _Pending:
    action_id: int
    restore: bool
    epc: int
    edt: bytes
    attempts: int = 0


@dataclass(slots=True)
class _State:
    rule: PlanAppliance
    address: Hashable | None = None
    watts: int | None = None
    operating: bool | None = None
    room_c: float | None = None
    charge_percent: float | None = None
    shed: bool = False
    changed_at: datetime | None = None
    pending: _Pending | None = None
    paused: bool = False
    failed_until: datetime | None = None
    measure: int | None = None  # action id waiting for its power after
    why: str = ""  # the last decision's reason


@dataclass(frozen=True, slots=True)
class ApplianceView:
    """What the dashboard shows of one controllable appliance."""

    name: str
    eoj: Eoj
    action: str
    priority: int
    reachable: bool
    watts: int | None
    shed: bool
    pending: str | None
    paused: bool
    why: str


@dataclass(slots=True)
class DemandController:
    """The plan's appliances, shed and restored against the projection (module doc)."""

    plan: DemandPlan
    dr_target_kw: float | None = None
    _states: dict[str, _State] = field(default_factory=dict)
    _events: list[ControlEvent] = field(default_factory=list)
    _next_id: int = 1
    last_projection: Projection | None = None

    def __post_init__(self) -> None:
        self._states = {rule.name: _State(rule) for rule in self.plan.appliances}

    # --- inputs ----------------------------------------------------------------------------

    @property
    def target_kw(self) -> float:
        """The plan's target, lowered by a demand-response event while one is active."""
        target = self.plan.target_kw
        if self.dr_target_kw is not None and self.dr_target_kw > 0:
            return min(target, self.dr_target_kw) if target else self.dr_target_kw
        return target

    def observe(
        self,
        key: str,
        address: Hashable,
        eoj: Eoj,
        at: datetime,
        watts: int | None,
        operating: bool | None,
        extra: Mapping[int, bytes] | None = None,
    ) -> None:
        """A poll of an appliance object; ``key`` is its node's address as the plan writes it."""
        for state in self._matching(key, eoj):
            state.address = address
            state.watts, state.operating = watts, operating
            _take_comfort(state, extra or {})
            if state.measure is not None and state.pending is None:
                self._events.append(ActionMeasured(state.measure, at, watts))
                state.measure = None

    def readings(self, key: str, eoj: Eoj, values: Mapping[int, bytes]) -> None:
        """Values read for the comfort limits (0xBB room temperature, 0xE4 charge)."""
        for state in self._matching(key, eoj):
            _take_comfort(state, values)

    def comfort_epcs(self, eoj: Eoj) -> tuple[int, ...]:
        """What to read of ``eoj`` for its comfort limits (none when the plan sets none)."""
        found: list[int] = []
        for state in self._states.values():
            rule = state.rule
            if rule.eoj != eoj:
                continue
            if rule.room_max_c is not None and eoj.class_id == _AIRCON:
                found.append(_ROOM_EPC)
            if rule.reserve_percent is not None and eoj.class_id in _CHARGERS:
                found.append(_CHARGE_EPC)
        return tuple(dict.fromkeys(found))

    def commanded(
        self, key: str, eoj: Eoj, epc: int, accepted: bool, reason: str, now: datetime
    ) -> list[Command]:
        """The outcome of a command; a failed one is sent again while retries are left."""
        for state in self._matching(key, eoj):
            pending = state.pending
            if pending is None or pending.epc != epc:
                continue
            if accepted:
                state.pending = None
                state.shed = not pending.restore
                state.changed_at = now
                state.measure = pending.action_id
                self._events.append(ActionSettled(pending.action_id, now, "accepted"))
                return []
            pending.attempts += 1
            if pending.attempts <= self.plan.retries and state.address is not None:
                self._events.append(ActionSettled(pending.action_id, now, "retried", reason))
                return [self._command(state, pending)]
            state.pending = None
            state.failed_until = now + _BACK_OFF
            outcome = "refused" if "SNA" in reason else "unanswered"
            self._events.append(ActionSettled(pending.action_id, now, outcome, reason))
        return []

    def override(self, name: str, paused: bool, now: datetime) -> None:
        """Pause control of ``name`` (never commanded) or hand it back; ``KeyError`` for a
        name the plan does not list."""
        state = self._states[name]
        if state.paused != paused:
            state.paused = paused
            self._events.append(OverrideSet(now, name, paused))

    # --- the decision ------------------------------------------------------------------------

    def decide(self, now: datetime, projection: Projection) -> list[Command]:
        """Shed, restore or wait, given the projection of the running half-hour."""
        self.last_projection = projection
        target = self.target_kw
        remaining = projection.remaining_s
        if target <= 0 or remaining <= self.plan.guard_s:
            return []  # E5: too late in the period to matter
        commands = self._comfort(now, projection)
        guard = projection.projected_kw + self.plan.band_share * (
            projection.high_kw - projection.projected_kw
        )
        effective = guard - self._coming(now) * remaining / _T  # controller time, as changed_at
        if effective > target:
            need = (effective - target) * _T / remaining
            for state in self._states.values():  # priority order
                if need <= _NEGLIGIBLE_KW:
                    break
                cut = self._reduction(state)
                worth = max(_NEGLIGIBLE_KW, _WORTH_SHARE * state.rule.expected_kw)
                if cut >= worth and self._may_shed(state, now):
                    reason = (
                        f"projected {guard:.0f} kW over the {target:.0f} kW target with "
                        f"{_left(remaining)} left: {need:.1f} kW to take off"
                    )
                    commands.append(self._take(state, now, projection, "shed", reason))
                    need -= cut
        elif not commands:
            for state in reversed(list(self._states.values())):  # reverse priority
                if not state.shed or state.paused:
                    continue
                if not self._may_restore(state, now):
                    break  # E6: the last shed comes back first; the others wait for it
                back = self._reduction(state, restoring=True)
                limit = (1 - self.plan.hysteresis) * target
                if effective + back * remaining / _T <= limit:
                    reason = (
                        f"projected {effective:.0f} kW + {back:.1f} kW back stays under "
                        f"{limit:.0f} kW"
                    )
                    commands.append(self._take(state, now, projection, "restore", reason))
                break  # E6: the last shed first, one at a time
        return commands

    def take_events(self) -> list[ControlEvent]:
        events, self._events = self._events, []
        return events

    def views(self) -> list[ApplianceView]:
        """Each controllable appliance as the dashboard shows it, in priority order."""
        return [
            ApplianceView(
                s.rule.name,
                s.rule.eoj,
                s.rule.action.name,
                s.rule.priority,
                s.address is not None,
                s.watts,
                s.shed,
                None if s.pending is None else ("restore" if s.pending.restore else "shed"),
                s.paused,
                s.why,
            )
            for s in self._states.values()
        ]

    def trend_since(self) -> datetime | None:
        """The first reading free of the steps this controller caused: a projection fits its
        trend on readings from then on, so that its own shed or restore is not taken for the
        load rising or falling (E4)."""
        shows = [_shows_at(s.changed_at, self.plan) for s in self._states.values() if s.changed_at]
        return max(shows, default=None)

    @property
    def step(self) -> int:
        """How many appliances are shed (or being shed) now."""
        return sum(
            1
            for s in self._states.values()
            if (s.shed and not (s.pending and s.pending.restore))
            or (s.pending and not s.pending.restore)
        )

    # --- inside ------------------------------------------------------------------------------

    def _matching(self, key: str, eoj: Eoj) -> list[_State]:
        return [
            s
            for s in self._states.values()
            if s.rule.eoj == eoj and (s.rule.node is None or s.rule.node == key)
        ]

    def _reduction(self, state: _State, *, restoring: bool = False) -> float:
        """kW the meter's load is expected to fall by when ``state`` is shed (or rise by when
        restored): the plan's figure, no more than what the appliance draws now (E3)."""
        rule = state.rule
        expected = rule.expected_kw
        if restoring or state.watts is None:
            return expected
        drawn = state.watts * rule.units / 1000
        if rule.action.name == "discharge":
            return expected + max(drawn, 0.0)
        return min(expected, max(drawn, 0.0))

    def _coming(self, at: datetime) -> float:
        """kW of commands whose effect a power reading taken at ``at`` cannot show yet (E4): +
        shed, - restored. A pending command's effect is all to come; an accepted one shows
        from the first minute that starts after it (the meter's instantaneous power is the
        running minute's, docs/meter.md), read ``settle_s`` later."""
        total = 0.0
        for state in self._states.values():
            if state.pending is not None:
                sign = -1.0 if state.pending.restore else 1.0
                total += sign * state.rule.expected_kw
            elif state.changed_at is not None and at < _shows_at(state.changed_at, self.plan):
                total += state.rule.expected_kw if state.shed else -state.rule.expected_kw
        return total

    def _comfort(self, now: datetime, projection: Projection) -> list[Command]:
        commands = []
        for state in reversed(list(self._states.values())):
            if not state.shed or state.pending is not None or state.paused:
                continue
            why = _breach(state, now)
            if why:
                commands.append(self._take(state, now, projection, "restore", why))
        return commands

    def _usable(self, state: _State, now: datetime) -> bool:
        return (
            state.address is not None
            and state.pending is None
            and not state.paused
            and (state.failed_until is None or now >= state.failed_until)
        )

    def _may_shed(self, state: _State, now: datetime) -> bool:
        rule = state.rule
        if state.shed or not self._usable(state, now) or state.operating is False:
            return False
        if state.changed_at is not None and now - state.changed_at < _s(rule.min_on_s):
            return False
        if (
            rule.room_max_c is not None
            and state.room_c is not None
            and state.room_c >= rule.room_max_c - _ROOM_MARGIN
        ):
            return False
        return not (
            rule.reserve_percent is not None
            and state.charge_percent is not None
            and state.charge_percent <= rule.reserve_percent + _RESERVE_MARGIN
        )

    def _may_restore(self, state: _State, now: datetime) -> bool:
        if not state.shed or not self._usable(state, now):
            return False
        return state.changed_at is None or now - state.changed_at >= _s(state.rule.min_off_s)

    def _take(
        self, state: _State, now: datetime, projection: Projection, kind: str, reason: str
    ) -> Command:
        restore = kind == "restore"
        action = state.rule.action
        edt = action.restore if restore else action.shed
        pending = _Pending(self._next_id, restore, action.epc, edt)
        self._next_id += 1
        state.pending = pending
        state.why = reason
        self._events.append(
            ActionTaken(
                pending.action_id,
                now,
                state.rule.name,
                kind,
                self.step,
                reason,
                action.epc,
                edt,
                self.target_kw,
                projection.projected_kw,
                projection.high_kw,
                projection.power_kw,
                state.watts,
            )
        )
        return self._command(state, pending)

    def _command(self, state: _State, pending: _Pending) -> Command:
        assert state.address is not None
        return Command(
            pending.action_id,
            state.rule.name,
            state.address,
            state.rule.eoj,
            pending.epc,
            pending.edt,
        )


def _take_comfort(state: _State, values: Mapping[int, bytes]) -> None:
    """0xBB (signed °C, 0x7E: unmeasurable) and 0xE4 (%); anything else from the wire is
    ignored, never raised."""
    room = values.get(_ROOM_EPC)
    if room is not None and len(room) == 1 and room != b"\x7e":
        state.room_c = float(int.from_bytes(room, "big", signed=True))
    charge = values.get(_CHARGE_EPC)
    if charge is not None and len(charge) == 1 and charge[0] <= 100:
        state.charge_percent = float(charge[0])


def _breach(state: _State, now: datetime) -> str:
    """Why a shed appliance must come back now whatever the demand (E7), else ``""``."""
    rule = state.rule
    if state.changed_at is not None and now - state.changed_at >= _s(rule.max_off_s):
        return f"comfort: shed for {rule.max_off_s / 60:g} min, the most allowed"
    if rule.room_max_c is not None and state.room_c is not None and state.room_c > rule.room_max_c:
        return f"comfort: room {state.room_c:g} °C above {rule.room_max_c:g} °C"
    if (
        rule.reserve_percent is not None
        and state.charge_percent is not None
        and state.charge_percent <= rule.reserve_percent
        and rule.eoj.class_id in _CHARGERS
    ):
        return (
            f"comfort: charge {state.charge_percent:g} % at the {rule.reserve_percent:g} % reserve"
        )
    return ""


def _shows_at(changed_at: datetime, plan: DemandPlan) -> datetime:
    minute = changed_at.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return minute + timedelta(seconds=plan.settle_s)


def _s(seconds: float) -> timedelta:
    return timedelta(seconds=seconds)


def _left(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 60} min {whole % 60:02d} s"
