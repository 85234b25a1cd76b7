"""/api/control and the override over real HTTP (aiohttp's test server) on a real store."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path

from hemsnet.control.actions import Action
from hemsnet.control.plan import DemandPlan, PlanAppliance
from hemsnet.echonet.eoj import Eoj
from hemsnet.store.model import ApplianceReading
from hemsnet.store.store import Store
from hemsnet.web.app import build_app
from hemsnet.web.config import DashboardConfig
from tests.unit.web.test_server import client_of

NOW = datetime(2026, 8, 1, 14, 10)
PLAN = DemandPlan(
    target_kw=330.0,
    appliances=(
        PlanAppliance("lighting", Eoj.of(0x0290, 1), Action.of("level", 30, 80), 1),
        PlanAppliance("ev", Eoj.of(0x027E, 1), Action.of("stop"), 2, shed_kw=6.0, units=4),
    ),
)


def _store(db: Path) -> None:
    with Store.open(db) as store:
        ev = store.appliance("fe80::2", "fe80::2", "027E01", NOW, class_name="EV charger")
        store.record_appliance_power([ApplianceReading(ev, NOW, 0, True, NOW)])
        row = store.record_action(
            NOW - timedelta(minutes=5),
            "ev",
            "shed",
            1,
            "projected 357 kW over",
            (0xDA, b"\x44"),
            330.0,
            (357.0, 370.0, 360.0),
            6000,
        )
        store.settle_action(row, "accepted", "", NOW - timedelta(minutes=5))
        store.measure_action(row, 0, NOW - timedelta(minutes=4))


def test_the_panel_state_and_an_override(tmp_path: Path) -> None:
    db = tmp_path / "hemsnet.db"
    _store(db)

    async def main() -> None:
        app = build_app(db, DashboardConfig(target_kw=330), lambda: NOW, None, plan=PLAN)
        async with client_of(app) as client:
            state = await (await client.get("/api/control")).json()
            assert state["enabled"] and state["target_kw"] == 330 and state["step"] == 1
            lighting, ev = state["appliances"]
            assert (lighting["name"], lighting["shed"], lighting["last"]) == (
                "lighting",
                False,
                None,
            )
            assert ev["shed"] and ev["power_w"] == 0 and ev["reachable"]
            assert ev["last"]["reason"] == "projected 357 kW over"
            assert (ev["last"]["power_before_w"], ev["last"]["power_after_w"]) == (6000, 0)
            assert [a["appliance"] for a in state["actions"]] == ["ev"]
            assert state["dr_event"] is None

            answer = await client.post(
                "/api/control/override", json={"appliance": "ev", "paused": True}
            )
            assert answer.status == 200
            state = await (await client.get("/api/control")).json()
            assert state["appliances"][1]["paused"] is True

            unknown = await client.post(
                "/api/control/override", json={"appliance": "heater", "paused": True}
            )
            assert unknown.status == 404
            assert "not an appliance of the demand plan" in (await unknown.json())["error"]
            bad = await client.post("/api/control/override", json={"appliance": "ev"})
            assert bad.status == 400
            form = await client.post("/api/control/override", data={"appliance": "ev"})
            assert form.status == 415  # a form from another site cannot send JSON
            assert (await client.post("/api/control", json={})).status == 405

    asyncio.run(main())
    with Store.open(db) as store:
        assert store.overrides() == {"ev": True}
