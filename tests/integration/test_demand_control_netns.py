"""The closed loop over real links [G.9958 6.4.2]: a site namespace serves the meter on the
Route B link and its appliances on a HEMS network, their draw part of the meter's load
(``hemsnet meter --site``, docs/energy-management.md E10); the controller in its own namespace
reads both and runs demand control from its ``[demand]`` plan. The load surges through a whole
half-hour; the demand the meter itself reports for it (C3, stored) stays under the target,
though the meter's power went over it."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from hemsnet.cli.demo_site import DemoSite
from hemsnet.metering.series import Series
from hemsnet.physics.load import LoadModel, LoadSettings
from hemsnet.physics.timeline import minute_index
from hemsnet.store import Store
from hemsnet.testbed.netns import Namespaces
from tests.integration.test_appliance_monitor_netns import until
from tests.integration.test_controller_netns import hemsnet, now

pytestmark = pytest.mark.netns

HALF = timedelta(minutes=30)
SPEED = 120.0  # a half-hour in 15 s: the test waits for one whole surged half-hour and its C3
LEAD = timedelta(minutes=4)  # the history backfilled and the appliances found before it
SEED = 0
OVER_KW = 30.0  # how far the surge takes the site over the target: control can take it off

PLAN = """
[demand]
target_kw = {target:.1f}

[[demand.appliance]]
name = "lighting"
eoj = "029001"
action = "level"
shed_value = 30
normal_value = 80
shed_kw = 0.02
units = 1000
priority = 1

[[demand.appliance]]
name = "aircon"
eoj = "013001"
action = "power-saving"
shed_kw = 0.6
units = 40
priority = 2

[[demand.appliance]]
name = "battery"
eoj = "027D01"
action = "discharge"
shed_kw = 2.0
units = 10
priority = 3
reserve_percent = 20

[[demand.appliance]]
name = "ev"
eoj = "027E01"
action = "stop"
shed_kw = 6.0
units = 4
priority = 4
"""


def _surge(start: datetime) -> tuple[datetime, float, float]:
    """The half-hour to surge through, the load factor and the target: the site's own load
    stays 15 kW under the target, the surge takes it ``OVER_KW`` over."""
    period = start.replace(minute=0, second=0) + HALF
    while period < start + LEAD:
        period += HALF
    model = LoadModel(LoadSettings(), SEED)
    first = minute_index(period)
    base = sum(model.minute(first + m).net_w for m in range(30)) / 30 / 1000
    site = DemoSite(start, SEED, 0.0).load() / 1000
    target = base + site + 15.0
    factor = (target + OVER_KW - site) / max(base, 1.0)
    return period, factor, target


def test_a_surge_is_held_under_the_target_in_the_stored_demand(
    topology: Namespaces, tmp_path: Path
) -> None:
    site_ns, ctl_ns = topology.namespace("site"), topology.namespace("ctl")
    meter_end, ctl_route_b = topology.link(site_ns, ctl_ns)
    site_end, ctl_hems = topology.link(site_ns, ctl_ns)
    db = tmp_path / "hemsnet.db"
    start = now()
    period, factor, target = _surge(start)
    meter_toml = tmp_path / "meter.toml"
    meter_toml.write_text(
        "[load]\n[[load.surge]]\n"
        f"start = {(period + timedelta(minutes=2)).isoformat()}\nminutes = 26\n"
        f"factor = {min(factor, 10.0):.3f}\n"
    )
    ctl_toml = tmp_path / "hemsnet.toml"
    ctl_toml.write_text(PLAN.format(target=target))

    def stored_demand() -> float | None:
        with Store.open(db) as store:
            meters = store.meters()
            if not meters:
                return None
            found = store.readings(
                meters[0].id, Series.DEMAND_NORMAL, period + HALF, period + HALF + timedelta(1)
            )
            return float(found[0].value) if found and found[0].value is not None else None

    async def scenario() -> None:
        async with (
            hemsnet(
                meter_end, "meter",
                "--speed", str(SPEED), "--start", (start - timedelta(hours=2)).isoformat(),
                "--config", str(meter_toml),
                "--site", site_end.iface, "--seed", str(SEED),
            ) as meter,
            hemsnet(
                ctl_route_b, "controller",
                "--speed", str(SPEED), "--db", str(db), "--status-every", "1",
                "--hems-iface", ctl_hems.iface, "--config", str(ctl_toml),
            ) as controller,
        ):  # fmt: skip
            line = await meter.wait_for_line(lambda text: "site appliances" in text)
            assert "029001 013001 027D01 027E01 026B01" in line
            line = await controller.wait_for_line(lambda text: "demand control to" in text)
            assert "of 4 appliances" in line
            await controller.wait_for_line(lambda text: "appliances 5 (5 reachable)" in text)
            await controller.wait_for_line(lambda text: "demand control: " in text, 120)
            seconds = (period + HALF - now()).total_seconds() / SPEED + 30
            await until(lambda: stored_demand() is not None, seconds)
            assert await controller.stop() == 0

    asyncio.run(scenario())
    demand = stored_demand()
    assert demand is not None and demand <= target, (demand, target)
    with Store.open(db) as store:
        (meter,) = store.meters()
        powers = store.readings(meter.id, Series.POWER, period, period + HALF)
        assert max(float(p.value or 0) for p in powers) / 1000 > target  # the surge was real
        actions = store.actions(start - timedelta(hours=1), period + HALF)
    sheds = [a for a in actions if a.kind == "shed" and a.decided_at >= period]
    assert sheds and all(a.outcome in ("accepted", "retried") for a in sheds)
    assert any(a.power_after_w is not None for a in sheds)
