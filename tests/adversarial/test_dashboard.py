"""The dashboard under odd input and many clients (issue 17, section 4), on a real server and a
real SQLite store.

- Every date and time parameter of the API at its boundaries, and a store whose readings sit
  at ``datetime``'s limits: a bad parameter is a 400 with one line naming it, never a 500.
  The window is :mod:`hemsnet.localtime`'s, 2000-01-01 .. 2099-12-31: outside it nothing is
  stored by a sane meter, and inside it no day or range the routes build overflows.
- Hundreds of event streams at once, some never reading, some torn down without a goodbye,
  more than the cap allows, beside ordinary requests: every reading reaches every reader, the
  refused get one line, the page's requests still answer.

Each asserts: nothing wrong stored (the dashboard writes nothing), nothing lost, one clear line,
no traceback in the server's log.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import socket
import sqlite3
import struct
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Final

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from hemsnet.metering.series import Series
from hemsnet.web.app import build_app
from hemsnet.web.config import DashboardConfig
from hemsnet.web.openapi import openapi
from hemsnet.web.stream import RETRY_AFTER
from tests.unit.web.stored import Stored

NOW: Final = datetime(2026, 11, 20, 12, 0)
OUTSIDE: Final = "is outside 2000-01-01 .. 2099-12-31"
EXPORT: Final = "/api/export.csv?quantity=energy&quantity=minute&"

#: (path and query, status, a part of the error); None: a 200.
CASES: Final[list[tuple[str, int, str | None]]] = [
    # /api/demand?date=
    ("/api/demand?date=2000-01-01", 200, None),
    ("/api/demand?date=2099-12-31", 200, None),
    ("/api/demand?date=1999-12-31", 400, f"date: 1999-12-31 {OUTSIDE}"),
    ("/api/demand?date=2100-01-01", 400, f"date: 2100-01-01 {OUTSIDE}"),
    ("/api/demand?date=0001-01-01", 400, f"date: 0001-01-01 {OUTSIDE}"),
    ("/api/demand?date=9999-12-31", 400, f"date: 9999-12-31 {OUTSIDE}"),
    ("/api/demand?date=", 400, "date='' is not a date YYYY-MM-DD"),
    ("/api/demand?date=2026-02-30", 400, "date='2026-02-30' is not a date"),
    ("/api/demand?date=10000-01-01", 400, "is not a date"),
    ("/api/demand?date=-2026-01-01", 400, "is not a date"),
    ("/api/demand?date=%00%ff", 400, "is not a date"),
    ("/api/demand?date=2026-11-20T10:00", 400, "is not a date"),
    # /api/energy?from=&to=
    ("/api/energy?to=2000-01-01", 200, None),  # from defaults to 31 days before: no overflow
    ("/api/energy?from=2000-01-01&to=2000-01-02", 200, None),
    ("/api/energy?from=2099-12-01&to=2099-12-31", 200, None),
    ("/api/energy?to=0001-01-01", 400, f"to: 0001-01-01 {OUTSIDE}"),
    ("/api/energy?to=9999-12-31", 400, f"to: 9999-12-31 {OUTSIDE}"),
    ("/api/energy?from=0001-01-01", 400, f"from: 0001-01-01 {OUTSIDE}"),
    ("/api/energy?from=9999-12-31", 400, f"from: 9999-12-31 {OUTSIDE}"),
    ("/api/energy?from=1999-12-31&to=2000-01-02", 400, f"from: 1999-12-31 {OUTSIDE}"),
    ("/api/energy?from=2099-12-31&to=2100-01-01", 400, f"to: 2100-01-01 {OUTSIDE}"),
    ("/api/energy?from=2099-12-31", 400, "is not before to=2026-11-21"),
    ("/api/energy?from=2000-01-01&to=2099-12-31", 400, "more than 400 days"),
    ("/api/energy?from=&to=", 400, "to='' is not a date"),
    ("/api/energy?from=x", 400, "from='x' is not a date"),
    # /api/export.csv?from=&to=
    (f"{EXPORT}from=2000-01-01&to=2000-01-01T01:00", 200, None),
    (f"{EXPORT}from=2099-12-31T23:00&to=2099-12-31T23:59:59.999999", 200, None),
    (f"{EXPORT}from=2026-11-20&to=2026-11-20", 200, None),  # empty: the header only
    (f"{EXPORT}from=0001-01-01&to=0001-01-02", 400, f"from: 0001-01-01T00:00:00 {OUTSIDE}"),
    (f"{EXPORT}from=9999-12-31&to=9999-12-31T23:59", 400, f"from: 9999-12-31T00:00:00 {OUTSIDE}"),
    (f"{EXPORT}from=9999-12-31T23:59:59.999999&to=9999-12-31T23:59:59.999999", 400, OUTSIDE),
    (f"{EXPORT}from=2026-11-20&to=9999-12-31", 400, f"to: 9999-12-31T00:00:00 {OUTSIDE}"),
    (f"{EXPORT}from=1999-12-31T23:30&to=2000-01-01", 400, f"from: 1999-12-31T23:30:00 {OUTSIDE}"),
    (f"{EXPORT}from=2099-12-31&to=2100-01-01", 400, f"to: 2100-01-01T00:00:00 {OUTSIDE}"),
    (f"{EXPORT}from=2000-01-01&to=2099-12-31", 400, "the range is more than 400 days"),
    (f"{EXPORT}from=2026-11-20T00:00%2B09:00&to=2026-11-21", 400, "give no UTC offset"),
    (f"{EXPORT}from=&to=2026-11-21", 400, "from: '' is not an ISO date-time"),
    (f"{EXPORT}from=2026-11-20&to=tomorrow", 400, "to: 'tomorrow' is not an ISO date-time"),
    (f"{EXPORT}from=2026-11-20T24:00&to=2026-11-21", 400, "is not an ISO date-time"),
]

#: The routes that take no time, with the meter parameter at its odd values.
PLAIN: Final = ["/api/meters", "/api/now", "/api/health", "/openapi.json", "/"]
ODD_METERS: Final = ["", "%00", "x" * 2000, "fe80::1%25eth0", "'; DROP TABLE reading; --"]


def _dump(path: Path) -> str:
    """A digest of everything the store holds, to show the dashboard changed nothing."""
    with sqlite3.connect(path) as connection:
        return hashlib.sha256("\n".join(connection.iterdump()).encode()).hexdigest()


@pytest.fixture
def stored(tmp_path: Path) -> Iterator[Stored]:
    db = Stored(tmp_path / "hemsnet.db")
    db.add(Series.POWER, NOW, 1000, scale=Decimal(1), arrived=NOW)
    yield db
    db.close()


@pytest.fixture
def no_traceback(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """The server logs no error (a handler's exception is logged with its traceback)."""
    with caplog.at_level(logging.ERROR):
        yield
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


async def _get(db: Path, paths: list[str]) -> list[tuple[int, str, str]]:
    app = build_app(db, DashboardConfig(), lambda: NOW)
    async with TestClient(TestServer(app)) as client:
        answers = []
        for path in paths:
            response = await client.get(path)
            answers.append((response.status, response.content_type, await response.text()))
        return answers


def test_the_cases_cover_every_date_parameter() -> None:
    """A new date or time parameter in the OpenAPI document needs rows here."""
    declared = {
        (path, parameter["name"])
        for path, item in openapi()["paths"].items()
        for operation in item.values()  # get, and the override's post
        for parameter in operation["parameters"]
        if parameter["schema"].get("format") in ("date", "date-time")
    }
    covered = {
        (path, name)
        for path, query in (case.split("?", 1) for case, _, _ in CASES)
        for name in (part.split("=", 1)[0] for part in query.split("&"))
    }
    assert declared <= covered
    assert declared == {
        ("/api/demand", "date"),
        ("/api/energy", "from"),
        ("/api/energy", "to"),
        ("/api/export.csv", "from"),
        ("/api/export.csv", "to"),
    }


@pytest.mark.usefixtures("no_traceback")
def test_boundary_dates_are_bad_requests_never_server_errors(stored: Stored) -> None:
    before = _dump(stored.path)
    answers = asyncio.run(_get(stored.path, [path for path, _, _ in CASES]))
    for (path, status, message), (got, content_type, body) in zip(CASES, answers, strict=True):
        assert got == status, (path, body)
        if message is not None:
            assert content_type == "application/json", path
            assert message in body, (path, body)
            assert "\n" not in body and "Traceback" not in body, path
    assert _dump(stored.path) == before


@pytest.mark.usefixtures("no_traceback")
def test_odd_meter_keys_are_not_found(stored: Stored) -> None:
    paths = [f"{route}?meter={meter}" for route in PLAIN[1:3] for meter in ODD_METERS]
    for status, _, body in asyncio.run(_get(stored.path, paths)):
        assert status == 404
        assert "no meter" in body


@pytest.mark.usefixtures("no_traceback")
def test_readings_at_the_limits_of_datetime_break_no_route(stored: Stored) -> None:
    """A meter whose clock went wrong: readings in years 1 and 9999 are shown as they are
    stored, never the day they point to, and no route fails."""
    at_end = datetime(9999, 12, 31, 23, 30)
    for at in (datetime(1, 1, 1), at_end):
        for series in (Series.ENERGY_NORMAL, Series.DEMAND_NORMAL, Series.REACTIVE_NORMAL):
            stored.add(series, at, 5, arrived=NOW)
    stored.add(Series.MINUTE_ENERGY_NORMAL, datetime(9999, 12, 31, 23, 59), 7, arrived=NOW)
    stored.add(Series.PRESENT_ENERGY_NORMAL, datetime(9999, 12, 31, 23, 59, 59), 7, arrived=NOW)
    for series in (Series.POWER, Series.MAX_DEMAND_NORMAL):
        stored.add(series, datetime(9999, 12, 31, 23, 59, 59), 7, scale=Decimal(1), arrived=NOW)
    paths = [
        *PLAIN,
        "/api/demand",
        "/api/energy",
        "/api/health",
        f"{EXPORT}from=2026-11-20&to=2026-11-21",
    ]
    answers = asyncio.run(_get(stored.path, paths))
    for path, (status, _, body) in zip(paths, answers, strict=True):
        assert status == 200, (path, body)
    now, demand = answers[1][2], answers[5][2]
    assert '"at": "9999-12-31T23:59:59"' in now  # what the store holds
    assert '"date": "2026-11-20"' in demand  # the dashboard's today, not the year 9999
    assert '"forecast": null' in demand


READERS: Final = 200
SILENT: Final = 20  # streams whose client never reads
TORN: Final = 20  # streams whose client resets the connection
READINGS: Final = 3


async def _powers(content: aiohttp.StreamReader, count: int) -> list[int]:
    """The power of the next ``count`` ``now`` events of a stream."""
    powers: list[int] = []
    event = None
    while len(powers) < count:
        line = (await content.readline()).decode()
        if line.startswith("event: "):
            event = line.removeprefix("event: ").strip()
        elif line.startswith("data: ") and event == "now":
            powers.append(json.loads(line.removeprefix("data: "))["power_w"])
    return powers


def _silent(port: int) -> socket.socket:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
    sock.connect(("127.0.0.1", port))
    sock.sendall(b"GET /api/stream HTTP/1.1\r\nHost: x\r\n\r\n")
    return sock


def _reset(sock: socket.socket) -> None:
    """Close with a reset, as a client that crashed or lost its network."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


@pytest.mark.usefixtures("no_traceback")
def test_many_streams_odd_clients_and_the_cap(stored: Stored) -> None:
    """240 streams at the cap of 240: 200 that read, 20 that never do, 20 reset; then 5 over
    the cap; three new readings written meanwhile, and the page's requests."""
    cap = READERS + SILENT + TORN
    app = build_app(stored.path, DashboardConfig(max_streams=cap), lambda: NOW)

    async def scenario() -> str:
        async with (
            TestServer(app) as server,
            aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session,
        ):
            url = str(server.make_url("/api/stream"))
            readers = await asyncio.gather(*(session.get(url) for _ in range(READERS)))
            assert {r.status for r in readers} == {200}
            firsts = await asyncio.wait_for(
                asyncio.gather(*(_powers(r.content, 1) for r in readers)), 30
            )
            assert firsts == [[1000]] * READERS
            assert server.port is not None
            silent = [_silent(server.port) for _ in range(SILENT)]
            torn = [_silent(server.port) for _ in range(TORN)]
            page = await session.get(server.make_url("/api/now"))  # the page still answers
            assert page.status == 200
            over = [await session.get(url) for _ in range(5)]
            for refused in over:
                assert refused.status == 503
                assert refused.headers["Retry-After"] == str(RETRY_AFTER)
                body = await refused.text()
                assert "\n" not in body
                assert json.loads(body)["error"].startswith(f"{cap} event streams are open")
            for sock in torn:
                _reset(sock)
            for i in range(1, READINGS + 1):
                at = NOW + timedelta(seconds=10 * i)
                stored.add(Series.POWER, at, 1000 + i, scale=Decimal(1), arrived=at)
                got = await asyncio.wait_for(
                    asyncio.gather(*(_powers(r.content, 1) for r in readers)), 30
                )
                assert got == [[1000 + i]] * READERS  # each reading reaches every reader, once
                demand = await session.get(server.make_url("/api/demand"))
                assert demand.status == 200
            written = _dump(stored.path)
            for response in readers:
                response.close()
            for sock in silent:
                sock.close()
            return written

    written = asyncio.run(scenario())
    assert _dump(stored.path) == written  # the dashboard wrote nothing
