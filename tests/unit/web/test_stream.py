"""The event streams' hub: one poller for every stream, the cap, and clients that do not read.

The hub runs in a real aiohttp server on a free port with a reader the test controls (it counts
its calls); real TCP clients connect to it, a few hundred at a time, and some never read.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from hemsnet.metering.series import Series
from hemsnet.web.app import build_app
from hemsnet.web.config import DashboardConfig
from hemsnet.web.security import guard
from hemsnet.web.stream import RETRY_AFTER, Snapshot, StreamHub, StreamLimits
from tests.unit.web.stored import Stored

NOW = datetime(2026, 11, 20, 12, 0)
DEADLINE = 20.0  # s any awaited event may take on a busy machine
LINK = {"state": "up", "last_answer_at": None, "last_notification_at": None}
FAST = StreamLimits(max_streams=1000, poll=0.02)


@dataclass
class Meter:
    """What the reader serves: the power now, and every call it answered."""

    power: int = 1000
    filler: str = ""  # makes each ``now`` event this much longer
    reads: list[frozenset[str | None]] = field(default_factory=list)
    every_read_changes: bool = False

    def read(self, now: datetime, keys: Collection[str | None]) -> dict[str | None, Snapshot]:
        self.reads.append(frozenset(keys))
        if self.every_read_changes:
            self.power += 1
        return {
            key: Snapshot(
                {"meter": key, "power_w": self.power, "filler": self.filler},
                None,
                {**LINK, "in_fault": False},
            )
            for key in keys
        }


@dataclass
class Served:
    hub: StreamHub
    url: str
    ended: asyncio.Queue[None]  # one item each time a stream's handler returns


@asynccontextmanager
async def hub_server(meter: Meter, limits: StreamLimits) -> AsyncIterator[Served]:
    hub = StreamHub(meter.read, lambda: NOW, limits)
    ended: asyncio.Queue[None] = asyncio.Queue()

    async def handler(request: web.Request) -> web.StreamResponse:
        try:
            return await hub.serve(request, request.query.get("meter"))
        finally:
            ended.put_nowait(None)

    async def on_shutdown(app: web.Application) -> None:
        hub.close()

    app = web.Application(middlewares=[guard("")])
    app.router.add_get("/stream", handler)
    app.on_shutdown.append(on_shutdown)
    async with TestServer(app) as server:
        yield Served(hub, str(server.make_url("/stream")), ended)


async def next_event(content: aiohttp.StreamReader) -> tuple[str, Any]:
    """The next event of a stream: its name and data (comments skipped)."""
    name = None
    while True:
        line = (await content.readline()).decode()
        if not line:
            raise ConnectionError("the stream ended")
        if line.startswith("event: "):
            name = line.removeprefix("event: ").strip()
        elif line.startswith("data: ") and name is not None:
            return name, json.loads(line.removeprefix("data: "))


def never_reading_client(url: str) -> socket.socket:
    """A stream opened by a client that never reads it, with the smallest receive window."""
    parsed = aiohttp.client.URL(url)
    assert parsed.host is not None and parsed.port is not None
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
    sock.connect((parsed.host, parsed.port))
    sock.sendall(f"GET {parsed.path_qs} HTTP/1.1\r\nHost: {parsed.host}\r\n\r\n".encode())
    return sock


def test_many_streams_share_one_poller() -> None:
    """300 streams: one read per poll serves them all; a change reaches each once."""
    meter = Meter()

    async def scenario() -> None:
        async with (
            hub_server(meter, FAST) as served,
            aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session,
        ):
            responses = await asyncio.gather(*(session.get(served.url) for _ in range(300)))
            firsts = await asyncio.wait_for(
                asyncio.gather(*(next_event(r.content) for r in responses)), DEADLINE
            )
            assert {name for name, _ in firsts} == {"now"}
            assert {data["power_w"] for _, data in firsts} == {1000}
            for response in responses:  # then forecast and health, at once on connect
                assert [(await next_event(response.content))[0] for _ in range(2)] == [
                    "forecast",
                    "health",
                ]
            assert served.hub.open_streams == 300
            reads_before = len(meter.reads)
            meter.power = 2345
            changed = await asyncio.wait_for(
                asyncio.gather(*(next_event(r.content) for r in responses)), DEADLINE
            )
            assert all(
                event == ("now", {"meter": None, "power_w": 2345, "filler": ""})
                for event in changed
            )
            # Each poll read the one meter for every stream at once.
            assert set(meter.reads) == {frozenset({None})}
            assert len(meter.reads) - reads_before < 300
            for response in responses:
                response.close()
            for _ in responses:
                await asyncio.wait_for(served.ended.get(), DEADLINE)
            assert served.hub.open_streams == 0

    asyncio.run(scenario())


def test_each_meter_asked_for_is_read_once_per_poll() -> None:
    meter = Meter()

    async def scenario() -> None:
        async with hub_server(meter, FAST) as served, aiohttp.ClientSession() as session:
            streams = [await session.get(f"{served.url}?meter={key}") for key in "aabbb"]
            for key, stream in zip("aabbb", streams, strict=True):
                name, data = await asyncio.wait_for(next_event(stream.content), DEADLINE)
                assert (name, data["meter"]) == ("now", key)
            for stream in streams:
                stream.close()

    asyncio.run(scenario())
    assert frozenset("ab") in meter.reads
    assert all(keys <= frozenset("ab") for keys in meter.reads)


def test_a_quiet_stream_gets_keep_alive_comments() -> None:
    meter = Meter()

    async def scenario() -> None:
        limits = StreamLimits(poll=0.02, keep_alive=0.1)
        async with hub_server(meter, limits) as served, aiohttp.ClientSession() as session:
            stream = await session.get(served.url)
            for name in ("now", "forecast", "health"):
                assert (await asyncio.wait_for(next_event(stream.content), DEADLINE))[0] == name
            lines = [await asyncio.wait_for(stream.content.readline(), DEADLINE) for _ in "123"]
            # The end of the health event, then nothing changed: only the comment.
            assert lines == [b"\n", b": keep-alive\n", b"\n"]
            stream.close()

    asyncio.run(scenario())


def test_beyond_the_cap_a_503_with_retry_after_until_a_slot_frees() -> None:
    meter = Meter()

    async def scenario() -> None:
        async with (
            hub_server(meter, StreamLimits(max_streams=3, poll=0.02)) as served,
            aiohttp.ClientSession() as session,
        ):
            streams = [await session.get(served.url) for _ in range(3)]
            for stream in streams:
                assert stream.status == 200
            refused = await session.get(served.url)
            assert refused.status == 503
            assert refused.headers["Retry-After"] == str(RETRY_AFTER)
            error = (await refused.json())["error"]
            assert error == (
                "3 event streams are open, as many as this dashboard serves "
                f"(dashboard.max_streams); try again in {RETRY_AFTER} s"
            )
            streams[0].close()
            await asyncio.wait_for(served.ended.get(), DEADLINE)  # the refused one
            await asyncio.wait_for(served.ended.get(), DEADLINE)  # the one that left
            again = await session.get(served.url)
            assert again.status == 200
            for stream in [*streams[1:], again]:
                stream.close()

    asyncio.run(scenario())


def test_a_client_that_stops_reading_is_cut_off_by_the_idle_timeout(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """It takes nothing: once its window is full, the kernel drops the connection after
    ``idle`` s (TCP_USER_TIMEOUT), and the hub frees its slot."""
    meter = Meter(every_read_changes=True, filler="x" * 1000)
    limits = StreamLimits(max_streams=1, poll=0.02, idle=1.0, backlog=1 << 30, write=600)

    async def scenario() -> None:
        async with hub_server(meter, limits) as served, aiohttp.ClientSession() as session:
            silent = never_reading_client(served.url)
            try:
                await asyncio.wait_for(served.ended.get(), DEADLINE)
                assert served.hub.open_streams == 0
                reader = await session.get(served.url)  # its slot is free again
                assert reader.status == 200
                reader.close()
            finally:
                silent.close()

    with caplog.at_level(logging.INFO, logger="hemsnet.web.stream"):
        asyncio.run(scenario())
    assert not any("dropped" in r.getMessage() for r in caplog.records)  # the kernel's doing


@pytest.mark.parametrize(
    ("limits", "size", "why"),
    [
        (StreamLimits(poll=0.02, backlog=4096, write=600), 1000, "bytes it has not taken"),
        (StreamLimits(poll=0.02, backlog=1 << 30, write=0.2), 100_000, "a write not done in 0.2 s"),
    ],
)
def test_a_client_too_slow_for_its_events_is_dropped(
    limits: StreamLimits, size: int, why: str, caplog: pytest.LogCaptureFixture
) -> None:
    """An event of ``size`` bytes at every poll fills the kernel's buffers (the send buffer
    is ``backlog``); then what the client leaves unsent, or a write that does not finish in
    time, drops it."""
    meter = Meter(every_read_changes=True, filler="x" * size)

    async def scenario() -> None:
        async with hub_server(meter, limits) as served:
            silent = never_reading_client(served.url)
            try:
                await asyncio.wait_for(served.ended.get(), DEADLINE)
                assert served.hub.open_streams == 0
            finally:
                silent.close()

    with caplog.at_level(logging.INFO, logger="hemsnet.web.stream"):
        asyncio.run(scenario())
    dropped = [r.getMessage() for r in caplog.records if "dropped" in r.getMessage()]
    assert len(dropped) == 1
    assert dropped[0].startswith("event stream of 127.0.0.1 dropped: ")
    assert why in dropped[0]


def test_the_app_caps_streams_as_configured(tmp_path: Path) -> None:
    """Through build_app on a real store: 50 streams get the new power reading, the 51st a
    503 (dashboard.max_streams = 50)."""
    stored = Stored(tmp_path / "hemsnet.db")
    stored.add(Series.POWER, NOW, 1000, scale=Decimal(1), arrived=NOW)
    app = build_app(stored.path, DashboardConfig(max_streams=50), lambda: NOW)

    async def scenario() -> None:
        async with (
            TestServer(app) as server,
            aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session,
        ):
            url = str(server.make_url("/api/stream"))
            streams = await asyncio.gather(*(session.get(url) for _ in range(50)))
            firsts = await asyncio.wait_for(
                asyncio.gather(*(next_event(s.content) for s in streams)), DEADLINE
            )
            assert {(name, data["power_w"]) for name, data in firsts} == {("now", 1000)}
            refused = await session.get(url)
            assert refused.status == 503
            assert refused.headers["Retry-After"] == str(RETRY_AFTER)
            assert refused.headers["X-Content-Type-Options"] == "nosniff"
            assert "50 event streams are open" in (await refused.json())["error"]
            stored.add(Series.POWER, NOW, 2345, scale=Decimal(1), arrived=NOW)
            # Each stream reads past forecast and health to the new power.
            for stream in streams:
                event = ("", {})
                while event[0] != "now":
                    event = await asyncio.wait_for(next_event(stream.content), DEADLINE)
                assert event[1]["power_w"] == 2345
            for stream in streams:
                stream.close()

    try:
        asyncio.run(scenario())
    finally:
        stored.close()
