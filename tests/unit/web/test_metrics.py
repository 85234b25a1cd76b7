"""``GET /metrics``: what the server serves, parsed by prometheus-client's own parser, against
what the store holds; the token rule of the rest of the API."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families

from hemsnet.metering.series import Series
from hemsnet.store.model import ApplianceReading
from hemsnet.web.app import build_app
from hemsnet.web.config import DashboardConfig
from tests.unit.web.stored import KEY, Stored

NOW = datetime(2026, 11, 20, 12, 0, 30)
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@pytest.fixture
def stored(tmp_path: Path) -> Iterator[Stored]:
    db = Stored(tmp_path / "hemsnet.db")
    yield db
    db.close()


def scrape(db: Path, config: DashboardConfig, headers: dict[str, str]) -> tuple[int, str, str]:
    async def main() -> tuple[int, str, str]:
        app = build_app(db, config, lambda: NOW)
        async with TestClient(TestServer(app)) as client:
            response = await client.get("/metrics", headers=headers)
            return response.status, response.headers["Content-Type"], await response.text()

    return asyncio.run(main())


def samples(text: str) -> Samples:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_the_metrics_are_what_the_store_holds(stored: Stored) -> None:
    stored.add(Series.POWER, datetime(2026, 11, 20, 12, 0, 10), 4321, scale=Decimal(1))
    stored.add(Series.CURRENT_R, datetime(2026, 11, 20, 12, 0, 10), 215)
    stored.add(Series.ENERGY_NORMAL, datetime(2026, 11, 20, 11, 30), 123440)
    stored.add(Series.MINUTE_ENERGY_NORMAL, datetime(2026, 11, 20, 12, 0), 123451)  # newer wins
    stored.add(Series.DEMAND_NORMAL, datetime(2026, 11, 20, 12, 0), 123)
    stored.store.count(stored.meter_id, sent=5, answered=4, timed_out=1)
    battery = stored.store.appliance(
        "fe80::5", "fe80::5%eth1", "027D01", NOW, class_name="Storage battery"
    )
    stored.store.record_appliance_power([ApplianceReading(battery, NOW, -1500, True, NOW)])

    status, content_type, text = scrape(stored.path, DashboardConfig(), {})
    assert status == 200
    assert content_type.startswith("text/plain; version=0.0.4")
    got = samples(text)
    meter = ("meter", KEY)
    assert got["hemsnet_meter_power_watts", (meter,)] == 4321
    assert got["hemsnet_meter_current_amperes", (meter, ("phase", "r"))] == 21.5
    assert got["hemsnet_meter_energy_kwh_total", (("direction", "imported"), meter)] == 12345.1
    assert got["hemsnet_meter_demand_kw", (("direction", "imported"), meter)] == pytest.approx(12.3)
    assert got["hemsnet_meter_requests_total", (meter, ("outcome", "timed_out"))] == 1
    assert got["hemsnet_meter_requests_total", (meter, ("outcome", "sent"))] == 5
    assert got["hemsnet_meter_link_state", (meter, ("state", "up"))] == 1
    assert got["hemsnet_meter_link_state", (meter, ("state", "down"))] == 0
    assert got["hemsnet_meter_gaps", (meter, ("status", "open"))] == 0
    labels = (("class", "Storage battery"), ("eoj", "027D01"), ("key", "fe80::5"))
    assert got["hemsnet_appliance_power_watts", labels] == -1500
    assert got["hemsnet_appliance_reachable", labels] == 1


def test_the_metrics_need_the_token_like_the_api(stored: Stored) -> None:
    config = DashboardConfig(token="s3cret")
    assert scrape(stored.path, config, {})[0] == 401
    status, _, text = scrape(stored.path, config, {"Authorization": "Bearer s3cret"})
    assert status == 200 and "hemsnet_meter_power_watts" in text
