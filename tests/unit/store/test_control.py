"""Demand control's rows in a real SQLite file: decisions, outcomes, powers after, overrides."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from hemsnet.store import Store

T0 = datetime(2026, 8, 1, 14, 3, 10)


def test_a_decision_is_stored_with_its_projection_then_settled_and_measured(
    tmp_path: Path,
) -> None:
    path = tmp_path / "hemsnet.db"
    with Store.open(path) as store:
        row = store.record_action(
            T0,
            "ev",
            "shed",
            2,
            "projected 357 kW over",
            (0xDA, b"\x44"),
            330.0,
            (357.0, 372.5, 361.2),
            6000,
        )
        store.settle_action(row, "retried", "no answer", T0 + timedelta(seconds=5))
        store.settle_action(row, "accepted", "", T0 + timedelta(seconds=6))
        store.measure_action(row, 0, T0 + timedelta(seconds=30))
    with Store.open(path) as store:  # read back from the file
        (action,) = store.actions(T0, T0 + timedelta(seconds=1))
    assert (action.appliance, action.kind, action.step, action.epc, action.edt) == (
        "ev",
        "shed",
        2,
        0xDA,
        b"\x44",
    )
    assert (action.projected_kw, action.high_kw, action.meter_kw) == (357.0, 372.5, 361.2)
    assert (action.power_before_w, action.power_after_w) == (6000, 0)
    assert action.outcome == "accepted" and action.settled_at == T0 + timedelta(seconds=6)
    assert action.measured_at == T0 + timedelta(seconds=30)
    with Store.open(path) as store:
        assert store.actions(T0 + timedelta(seconds=1), T0 + timedelta(hours=1)) == []


def test_overrides_are_kept_per_appliance(tmp_path: Path) -> None:
    with Store.open(tmp_path / "hemsnet.db") as store:
        assert store.overrides() == {}
        store.set_override("ev", True, T0, "cli")
        store.set_override("aircon", True, T0, "api")
        store.set_override("ev", False, T0 + timedelta(minutes=1), "api")
        assert store.overrides() == {"ev": False, "aircon": True}
