"""Every rule of demand control, in a closed loop in virtual time (docs/energy-management.md)."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import datetime, timedelta

from hemsnet.control.demand import ActionSettled, ActionTaken, DemandController, OverrideSet
from tests.unit.control.loop import Loop
from tests.unit.control.site import AIRCON, LIGHTING, OTHER_LIGHTING, RULES, Steps, members, plan

START = datetime(2026, 8, 1, 13, 30)  # a Saturday: the cars are home and charging
PERIOD = datetime(2026, 8, 1, 14, 0)


def _loop(
    base_kw: float, surge_kw: float, controller: DemandController | None, **kw: object
) -> Loop:
    surge = [(PERIOD + timedelta(minutes=3), PERIOD + timedelta(minutes=60), surge_kw)]
    return Loop(Steps(base_kw, surge), members(START), controller, START, **kw)  # type: ignore[arg-type]


def _taken(loop: Loop) -> list[ActionTaken]:
    return [e for e in loop.events if isinstance(e, ActionTaken)]


def test_a_surge_is_held_under_the_target_only_with_control() -> None:
    free = _loop(250.0, 70.0, None)
    free.run(PERIOD + timedelta(minutes=30))
    assert free.demands[PERIOD] > 330
    controlled = _loop(250.0, 70.0, DemandController(plan()))
    controlled.run(PERIOD + timedelta(minutes=30))
    assert controlled.demands[PERIOD] <= 330
    assert _taken(controlled)
    # Only the plan's appliances are ever commanded.
    assert {command.eoj for _, command in controlled.commands} <= {r.eoj for r in RULES}
    assert OTHER_LIGHTING not in {command.eoj for _, command in controlled.commands}


def test_the_further_over_the_more_steps_at_once() -> None:
    first_steps = []
    for surge in (45.0, 80.0):
        loop = _loop(250.0, surge, DemandController(plan()))
        loop.run(PERIOD + timedelta(minutes=8))
        taken = [t for t in _taken(loop) if t.at >= PERIOD + timedelta(minutes=3)]
        first = taken[0].at
        first_steps.append(sum(1 for t in taken if t.at == first and t.kind == "shed"))
    assert first_steps[0] < first_steps[1]


def test_the_same_excess_is_not_shed_twice_while_its_effect_is_coming() -> None:
    loop = _loop(250.0, 45.0, DemandController(plan()))
    loop.run(PERIOD + timedelta(minutes=6))
    sheds = [t for t in _taken(loop) if t.kind == "shed" and t.at >= PERIOD]
    assert sheds
    # Until the meter's power can show a shed (the next minute), nothing more is shed.
    shows = sheds[0].at.replace(second=0) + timedelta(minutes=1, seconds=plan().settle_s)
    assert all(t.at == sheds[0].at or t.at >= shows for t in sheds)


def test_restore_in_reverse_order_with_hysteresis_after_the_surge() -> None:
    surge = [(PERIOD + timedelta(minutes=3), PERIOD + timedelta(minutes=25), 80.0)]
    loop = Loop(Steps(250.0, surge), members(START), DemandController(plan()), START)
    loop.run(PERIOD + timedelta(minutes=90))
    priority = {rule.name: rule.priority for rule in RULES}
    accepted = {
        e.action_id for e in loop.events if isinstance(e, ActionSettled) and e.outcome == "accepted"
    }
    shed: set[str] = set()
    restores = 0
    limit = (1 - plan().hysteresis) * 330
    for t in _taken(loop):
        if t.kind == "restore" and not t.reason.startswith("comfort"):
            restores += 1
            # Nothing shed after it in priority order is still shed.
            assert all(priority[other] <= priority[t.name] for other in shed)
            # With its load back, the half-hour stays under the target less the hysteresis.
            assert t.reason.endswith(f"stays under {limit:.0f} kW")
            assert t.projected_kw is not None and t.projected_kw < 330
        if t.action_id in accepted:
            (shed.discard if t.kind == "restore" else shed.add)(t.name)
    assert restores >= 2
    assert not shed  # all back once the surge is over


def test_minimum_off_and_on_times() -> None:
    # A load that flips over and under the target every two minutes.
    flips = [
        (PERIOD + timedelta(minutes=m), PERIOD + timedelta(minutes=m + 2), 80.0)
        for m in range(0, 120, 4)
    ]
    rules = plan()
    held = replace(
        rules,
        appliances=tuple(
            replace(r, min_off_s=600, min_on_s=600, max_off_s=7200, room_max_c=None)
            for r in rules.appliances
        ),
    )
    loop = Loop(Steps(250.0, flips), members(START), DemandController(held), START)
    loop.run(PERIOD + timedelta(minutes=120))
    accepted = {
        e.action_id: e.at
        for e in loop.events
        if isinstance(e, ActionSettled) and e.outcome == "accepted"
    }
    by_name: dict[str, list[tuple[datetime, str]]] = {}
    for t in _taken(loop):
        if t.action_id in accepted:
            by_name.setdefault(t.name, []).append((accepted[t.action_id], t.kind))
    changes = sum(len(c) for c in by_name.values())
    assert changes >= 4
    for history in by_name.values():
        for (at, kind), (next_at, next_kind) in itertools.pairwise(history):
            assert kind != next_kind
            assert next_at - at >= timedelta(seconds=600), (kind, at, next_at)


def test_comfort_restores_whatever_the_demand() -> None:
    rules = plan()
    warm = replace(
        rules,
        appliances=tuple(
            replace(r, room_max_c=28.0, max_off_s=7200) if r.eoj == AIRCON else r
            for r in rules.appliances
        ),
    )
    surge = [(PERIOD + timedelta(minutes=3), PERIOD + timedelta(hours=4), 110.0)]
    loop = Loop(Steps(250.0, surge), members(START), DemandController(warm), START)
    loop.run(PERIOD + timedelta(minutes=150))
    restores = [t for t in _taken(loop) if t.kind == "restore" and t.name == "aircon"]
    assert restores and restores[0].reason.startswith("comfort: room")
    assert "above 28 °C" in restores[0].reason


def test_max_off_time_ends_a_shed() -> None:
    rules = plan()
    short = replace(
        rules,
        appliances=tuple(replace(r, min_off_s=60, max_off_s=240) for r in rules.appliances),
    )
    loop = _loop(250.0, 110.0, DemandController(short))
    loop.run(PERIOD + timedelta(minutes=15))
    assert any(t.reason.startswith("comfort: shed for 4 min") for t in _taken(loop))


def test_nothing_is_sent_in_the_last_seconds_of_a_period() -> None:
    surge = [(PERIOD + timedelta(minutes=29), PERIOD + timedelta(minutes=40), 300.0)]
    loop = Loop(Steps(250.0, surge), members(START), DemandController(plan()), START)
    loop.run(PERIOD + timedelta(minutes=31))
    for t in _taken(loop):
        left = (t.at - PERIOD).total_seconds() % 1800
        assert 1800 - left > plan().guard_s or left == 0


def test_a_refused_command_is_retried_then_reported_and_not_assumed() -> None:
    controller = DemandController(plan())
    loop = _loop(250.0, 45.0, controller, refuse={LIGHTING})
    loop.run(PERIOD + timedelta(minutes=10))
    settled = [e for e in loop.events if isinstance(e, ActionSettled)]
    light = {t.action_id for t in _taken(loop) if t.name == "lighting"}
    outcomes = [e.outcome for e in settled if e.action_id in light]
    assert outcomes[: plan().retries + 1] == ["retried"] * plan().retries + ["refused"]
    view = next(v for v in controller.views() if v.name == "lighting")
    assert not view.shed
    # The next appliance in priority order took the load off instead.
    assert any(t.name == "aircon" and t.kind == "shed" for t in _taken(loop))


def test_an_unanswered_command_is_reported_unanswered() -> None:
    loop = _loop(250.0, 45.0, DemandController(plan()), silent={LIGHTING})
    loop.run(PERIOD + timedelta(minutes=10))
    outcomes = [e.outcome for e in loop.events if isinstance(e, ActionSettled)]
    assert "unanswered" in outcomes


def test_an_overridden_appliance_is_never_commanded() -> None:
    controller = DemandController(plan())
    controller.override("lighting", paused=True, now=START)
    loop = _loop(250.0, 110.0, controller)
    loop.run(PERIOD + timedelta(minutes=30))
    assert all(command.eoj != LIGHTING for _, command in loop.commands)
    assert any(isinstance(e, OverrideSet) and e.paused for e in loop.events)
    assert _taken(loop)


def test_every_command_records_its_projection_and_the_power_before_and_after() -> None:
    from hemsnet.control.demand import ActionMeasured

    loop = _loop(250.0, 110.0, DemandController(plan()))
    loop.run(PERIOD + timedelta(minutes=10))
    taken = _taken(loop)
    measured = {e.action_id: e.power_after_w for e in loop.events if isinstance(e, ActionMeasured)}
    aircon = next(t for t in taken if t.name == "aircon")
    assert aircon.projected_kw is not None and aircon.high_kw is not None
    assert aircon.power_before_w is not None and aircon.power_before_w > 100
    assert measured[aircon.action_id] is not None
    assert measured[aircon.action_id] < aircon.power_before_w
