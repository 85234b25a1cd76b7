"""The head-end's sharing API over real HTTP on loopback: tokens, cursors, consent, audit."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from hemsnet.devices.lv_meter import LV_METER_CLASS
from hemsnet.routea.headend.api import build_app
from hemsnet.routea.headend.config import ProviderToken
from hemsnet.routea.headend.store import MdmsStore, StoredReading

TOKEN = "acme-" + "t" * 40
OTHER = "other-" + "o" * 40
GOOD = {"Authorization": f"Bearer {TOKEN}"}
T0 = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)

Scenario = Callable[[TestClient, MdmsStore], Awaitable[None]]


def run(tmp_path: Path, scenario: Scenario) -> MdmsStore:
    store = MdmsStore(tmp_path / "headend.db")
    store.register_meters([("UM-1", LV_METER_CLASS), ("UM-2", LV_METER_CLASS)])
    start = datetime(2026, 12, 3)
    store.add_readings(
        "UM-1",
        [StoredReading(series, start + timedelta(minutes=30 * i), i, Decimal(i) / 10)
         for i in range(4) for series in ("energy_normal", "energy_reverse")],
        T0,
    )  # fmt: skip
    providers = [ProviderToken("acme", TOKEN), ProviderToken("other", OTHER)]

    async def main() -> None:
        async with TestClient(TestServer(build_app(store, providers))) as client:
            await scenario(client, store)

    asyncio.run(main())
    return store


def test_consent_on_shares_page_by_page_and_revocation_stops_the_next_page(
    tmp_path: Path,
) -> None:
    async def scenario(http: TestClient, store: MdmsStore) -> None:
        store.grant("UM-1", "h1", "acme", "customer h1", T0)
        listing = await http.get("/v1/meters", headers=GOOD)
        assert (await listing.json())["meters"] == [
            {"meter": "UM-1", "home": "h1", "granted_at": "2026-12-04T09:00:00+00:00"}
        ]
        page = await http.get("/v1/meters/UM-1/readings?after=0&limit=5", headers=GOOD)
        body = await page.json()
        assert (page.status, body["home"], body["more"], len(body["readings"])) == (
            200, "h1", True, 5
        )  # fmt: skip
        assert body["readings"][0] == {
            "seq": 1, "series": "energy_normal", "measured_at": "2026-12-03T00:00:00",
            "raw": 0, "value": "0",
        }  # fmt: skip
        with MdmsStore(store.path) as cli:  # as `hemsnet headend consent revoke` does
            cli.revoke("UM-1", "acme", "customer h1", datetime.now(UTC))
        after = await http.get(f"/v1/meters/UM-1/readings?after={body['next']}", headers=GOOD)
        assert after.status == 403
        assert (await after.json())["error"].startswith("consent revoked at ")
        assert (await (await http.get("/v1/meters", headers=GOOD)).json())["meters"] == []

    store = run(tmp_path, scenario)
    audit = store.audit()
    assert [(a.request, a.allowed) for a in audit] == [
        ("meters", True), ("readings", True), ("readings", False), ("meters", True)
    ]  # fmt: skip
    assert (audit[1].provider, audit[1].through_seq, audit[1].rows) == ("acme", 5, 5)


def test_hostile_requests_get_a_clear_4xx_and_are_audited(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)

    async def scenario(http: TestClient, store: MdmsStore) -> None:
        store.grant("UM-1", "h1", "acme", "customer h1", T0)
        cases = [
            ("/v1/meters", {}, 401, "missing or bad token"),
            ("/v1/meters", {"Authorization": "Bearer " + TOKEN[:-1]}, 401, "missing or bad"),
            ("/v1/meters/UM-1/readings", {"Authorization": TOKEN}, 401, "missing or bad"),
            ("/v1/meters/UM-1/readings?after=-1", GOOD, 400, "bad cursor"),
            ("/v1/meters/UM-1/readings?after=1e3", GOOD, 400, "bad cursor"),
            ("/v1/meters/UM-1/readings?after=99999999999999999999", GOOD, 400, "bad cursor"),
            ("/v1/meters/UM-1/readings?after=%D9%A3", GOOD, 400, "bad cursor"),
            ("/v1/meters/UM-1/readings?limit=0", GOOD, 400, "bad limit"),
            ("/v1/meters/UM-1/readings?limit=5001", GOOD, 400, "bad limit"),
            ("/v1/meters/UM-9/readings", GOOD, 404, "unknown meter"),
            ("/v1/meters/%27%3B%20DROP%20TABLE%20reading/readings", GOOD, 404, "unknown meter"),
            ("/v1/meters/UM-2/readings", GOOD, 403, "no consent on record"),
            ("/v1/meters/UM-1/readings", {"Authorization": f"Bearer {OTHER}"}, 403, "no consent"),
        ]
        for path, headers, status, error in cases:
            answer = await http.get(path, headers=headers)
            assert answer.status == status, path
            assert (await answer.json())["error"].startswith(error), path
        assert (await http.get("/v1/meters/UM-1/readings", headers=GOOD)).status == 200

    store = run(tmp_path, scenario)
    audit = store.audit()
    assert [a.allowed for a in audit] == [False] * 13 + [True]
    assert [(a.provider, a.meter_id) for a in audit[:3]] == [(None, None), (None, None),
                                                             (None, "UM-1")]  # fmt: skip
    assert (audit[3].provider, audit[3].meter_id) == ("acme", "UM-1")
    assert audit[10].meter_id == "'; DROP TABLE reading"
    assert all(TOKEN not in r.getMessage() for r in caplog.records)
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"
