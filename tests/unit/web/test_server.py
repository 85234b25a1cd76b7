"""The dashboard app through aiohttp's test client: routes, security, OpenAPI, the SSE stream.

Each test runs its scenario with ``asyncio.run`` (the repository does not use pytest-asyncio).
"""

from __future__ import annotations

import asyncio
import io
import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from hemsnet.errors import ConfigError
from hemsnet.metering.series import Series
from hemsnet.store.export import ExportQuantity, build_table, write_csv
from hemsnet.store.store import Store
from hemsnet.web.app import STATIC, bind, build_app, serve
from hemsnet.web.config import DashboardConfig, Listen, secured
from hemsnet.web.openapi import openapi
from tests.unit.web.stored import KEY, Stored

NOW = datetime(2026, 11, 20, 12, 0)


@pytest.fixture
def stored(tmp_path: Path) -> Iterator[Stored]:
    db = Stored(tmp_path / "hemsnet.db")
    yield db
    db.close()


@asynccontextmanager
async def client_of(
    app: web.Application,
) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    async with TestClient(TestServer(app)) as client:
        yield client


def run(
    db: Path,
    scenario: Callable[[TestClient[web.Request, web.Application]], Awaitable[None]],
    config: DashboardConfig | None = None,
) -> None:
    async def main() -> None:
        async with client_of(build_app(db, config or DashboardConfig(), lambda: NOW)) as client:
            await scenario(client)

    asyncio.run(main())


def test_a_missing_database_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"no such database: .*nope.db; start the controller"):
        build_app(tmp_path / "nope.db", DashboardConfig(), lambda: NOW)
    assert not (tmp_path / "nope.db").exists()


def test_an_empty_store_is_waiting(tmp_path: Path) -> None:
    Store.open(tmp_path / "empty.db").close()

    async def scenario(client: TestClient[web.Request, web.Application]) -> None:
        for path in ("/api/now", "/api/demand", "/api/energy", "/api/health"):
            response = await client.get(path)
            assert response.status == 404, path
            assert await response.json() == {"error": "no meter stored yet", "waiting": True}
        response = await client.get("/api/meters")
        assert await response.json() == {"meters": []}
        stream = await client.get("/api/stream")  # the page waits on the stream
        health = await asyncio.wait_for(next_event(stream.content, "health"), 10)
        assert health is not None
        assert health["state"] == "waiting"
        stream.close()

    run(tmp_path / "empty.db", scenario)


def test_routes_answer_json_with_the_security_headers(stored: Stored) -> None:
    stored.add(Series.POWER, NOW, 1000, scale=Decimal(1), arrived=NOW)

    async def scenario(client: TestClient[web.Request, web.Application]) -> None:
        response = await client.get("/api/now")
        assert response.status == 200
        body = await response.json()
        assert (body["meter"], body["power_w"], body["link"]["state"]) == (KEY, 1000, "up")
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
        meters = await (await client.get("/api/meters")).json()
        assert [m["key"] for m in meters["meters"]] == [KEY]
        demand = await (await client.get("/api/demand?date=2026-11-19")).json()
        assert demand["date"] == "2026-11-19"
        assert (await (await client.get("/api/demand")).json())["date"] == "2026-11-20"
        energy = await (await client.get("/api/energy")).json()
        assert [d["date"] for d in energy["days"]][-1] == "2026-11-20"
        assert len(energy["days"]) == 31
        health = await (await client.get(f"/api/health?meter={KEY}")).json()
        assert health["meter"]["fixed_date"] == 15

    run(stored.path, scenario)


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        ("/api/demand?date=20-11-2026", 400, "date='20-11-2026' is not a date YYYY-MM-DD"),
        ("/api/energy?from=2026-11-20&to=2026-11-20", 400, "is not before to=2026-11-20"),
        ("/api/energy?from=2025-01-01&to=2026-11-20", 400, "more than 400 days"),
        ("/api/now?meter=fe80::9", 404, "no meter 'fe80::9'; the meters are: fe80::1"),
        ("/api/export.csv?from=2026-11-20&to=2026-11-21", 400, "quantity is required"),
        ("/api/export.csv?to=2026-11-21&quantity=energy", 400, "from is required"),
        ("/api/export.csv?from=x&to=2026-11-21&quantity=energy", 400, "from: 'x' is not an ISO"),
        ("/api/export.csv?from=2026-11-22&to=2026-11-21&quantity=energy", 400, "is after to="),
        (
            "/api/export.csv?from=2026-11-20&to=2026-11-21&quantity=watts",
            400,
            "quantity: unknown quantity 'watts'",
        ),
        ("/api/nothing", 404, "/api/nothing: not found"),
    ],
)
def test_bad_requests_get_one_line_json_errors(
    stored: Stored, path: str, status: int, message: str
) -> None:
    async def scenario(client: TestClient[web.Request, web.Application]) -> None:
        response = await client.get(path)
        assert response.status == status
        assert message in (await response.json())["error"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"

    run(stored.path, scenario)


def test_only_get_and_head(stored: Stored) -> None:
    async def scenario(client: TestClient[web.Request, web.Application]) -> None:
        for method in ("POST", "PUT", "DELETE", "PATCH", "OPTIONS"):
            response = await client.request(method, "/api/now")
            assert response.status == 405, method
            assert response.headers["Allow"] == "GET, HEAD"
        head = await client.head("/api/meters")
        assert head.status == 200
        head = await client.head("/api/stream")  # headers only, no endless body
        assert head.status == 200
        assert head.headers["Content-Type"].startswith("text/event-stream")

    run(stored.path, scenario)


def test_the_token_beyond_loopback(stored: Stored) -> None:
    config = secured(DashboardConfig(listen=Listen("0.0.0.0", 8080)))
    token = config.token

    async def scenario(client: TestClient[web.Request, web.Application]) -> None:
        for path in ("/api/meters", "/api/now", "/api/stream", "/openapi.json"):
            response = await client.get(path)
            assert response.status == 401, path
            assert "no token" in (await response.json())["error"]
        # The page and its files hold no data; a browser cannot add the token to <script src>.
        for path in ("/", "/static/app.js", "/static/style.css"):
            assert (await client.get(path)).status == 200, path
        wrong = await client.get("/api/meters?token=nope")
        assert wrong.status == 401
        assert "a wrong token" in (await wrong.json())["error"]
        assert wrong.headers["WWW-Authenticate"] == "Bearer"
        assert (await client.get(f"/api/meters?token={token}")).status == 200
        bearer = {"Authorization": f"Bearer {token}"}
        assert (await client.get("/api/meters", headers=bearer)).status == 200
        assert (await client.post(f"/api/meters?token={token}")).status == 405

    run(stored.path, scenario, config)


def test_the_page_and_static_files(stored: Stored) -> None:
    async def scenario(client: TestClient[web.Request, web.Application]) -> None:
        page = await client.get("/")
        assert page.status == 200
        assert await page.read() == (STATIC / "index.html").read_bytes()
        assert page.headers["Content-Security-Policy"].startswith("default-src 'self'")
        assert "Cache-Control" not in page.headers
        for path in sorted(STATIC.rglob("*")):
            if path.is_file():
                response = await client.get(f"/static/{path.relative_to(STATIC).as_posix()}")
                assert response.status == 200, path
                assert await response.read() == path.read_bytes()
        assert (await client.get("/static/../app.py")).status == 404

    run(stored.path, scenario)


def test_the_export_is_the_cli_csv(stored: Stored) -> None:
    start = datetime(2026, 11, 20)
    for i in range(5):
        at = start + i * timedelta(minutes=30)
        stored.add(Series.ENERGY_NORMAL, at, (999_990 + 5 * i) % 1_000_000)  # wraps
        stored.add(Series.DEMAND_NORMAL, at, 100 + i)
    table = build_table(
        stored.store,
        stored.meter_id,
        [ExportQuantity.ENERGY, ExportQuantity.DEMAND],
        start,
        start + timedelta(hours=3),
    )
    expected = io.StringIO()
    write_csv(table, expected)

    async def scenario(client: TestClient[web.Request, web.Application]) -> None:
        response = await client.get(
            "/api/export.csv?from=2026-11-20&to=2026-11-20T03:00&quantity=energy&quantity=demand"
        )
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/csv")
        assert response.headers["Content-Disposition"] == (
            "attachment; filename=hemsnet-fe80--1-2026-11-20T00-00-00-2026-11-20T03-00-00.csv"
        )
        assert await response.text() == expected.getvalue()
        assert "2026-11-20T01:00:00,0.5," in expected.getvalue()  # across the wrap

    run(stored.path, scenario)


def test_openapi_names_every_route_and_only_those(stored: Stored) -> None:
    document = openapi()
    assert document["openapi"].startswith("3.1")
    app = build_app(stored.path, DashboardConfig(), lambda: NOW)
    routes = set()
    for resource in app.router.resources():
        info = resource.get_info()
        path = info.get("path") or info.get("formatter") or f"{info['prefix']}/{{filename}}"
        routes.add(path)
    assert routes == set(document["paths"])
    for name, path in document["paths"].items():
        assert set(path) == ({"post"} if name == "/api/control/override" else {"get"}), name
    references = json.dumps(document)
    for schema in document["components"]["schemas"]:
        assert f"#/components/schemas/{schema}" in references

    async def scenario(client: TestClient[web.Request, web.Application]) -> None:
        assert await (await client.get("/openapi.json")).json() == json.loads(json.dumps(document))

    run(stored.path, scenario)


async def next_event(stream: aiohttp.StreamReader, name: str) -> dict[str, Any] | None:
    """Read the stream up to the next event called ``name``; its data."""
    event = None
    while True:
        line = (await stream.readline()).decode().rstrip("\n")
        if line.startswith("event: "):
            event = line.removeprefix("event: ")
        elif line.startswith("data: ") and event == name:
            data: dict[str, Any] | None = json.loads(line.removeprefix("data: "))
            return data


def test_the_stream_sends_the_first_events_then_a_new_power_reading(stored: Stored) -> None:
    stored.add(Series.POWER, NOW, 1000, scale=Decimal(1), arrived=NOW)

    async def scenario(client: TestClient[web.Request, web.Application]) -> None:
        response = await client.get("/api/stream")
        assert response.headers["Content-Type"].startswith("text/event-stream")
        assert response.headers["Cache-Control"] == "no-store"
        first = await asyncio.wait_for(next_event(response.content, "now"), 10)
        assert first is not None
        assert (first["power_w"], first["at"]) == (1000, NOW.isoformat())
        later = NOW + timedelta(seconds=10)
        stored.add(Series.POWER, later, 2345, scale=Decimal(1), arrived=later)
        second = await asyncio.wait_for(next_event(response.content, "now"), 10)
        assert second is not None
        assert (second["power_w"], second["at"]) == (2345, later.isoformat())
        response.close()

    run(stored.path, scenario)


def test_the_stream_opens_with_forecast_and_health(stored: Stored) -> None:
    async def scenario(client: TestClient[web.Request, web.Application]) -> None:
        response = await client.get(f"/api/stream?meter={KEY}")
        lines: list[str] = []
        while len(lines) < 6:
            line = await asyncio.wait_for(response.content.readline(), 10)
            if line.strip():
                lines.append(line.decode().strip())
        assert lines[:4] == ["event: now", lines[1], "event: forecast", "data: null"]
        assert lines[4] == "event: health"
        assert json.loads(lines[5].removeprefix("data: "))["state"] == "down"
        response.close()

    run(stored.path, scenario)


def test_serve_binds_and_stops(stored: Stored) -> None:
    sock = bind(Listen("127.0.0.1", 0))
    port = sock.getsockname()[1]
    with pytest.raises(ConfigError, match=rf"cannot listen on 127.0.0.1:{port}: .*in use"):
        bind(Listen("127.0.0.1", port))

    async def main() -> None:
        stop = asyncio.Event()
        server = asyncio.create_task(
            serve(build_app(stored.path, DashboardConfig(), lambda: NOW), sock, stop)
        )
        async with aiohttp.ClientSession() as session:
            stream = await session.get(f"http://127.0.0.1:{port}/api/stream")
            meters = await session.get(f"http://127.0.0.1:{port}/api/meters")
            assert (await meters.json())["meters"][0]["key"] == KEY
            stop.set()  # an open stream does not hold the server
            await asyncio.wait_for(server, 10)
            stream.close()
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", port)) != 0

    asyncio.run(main())
