"""Server-sent events (/api/stream): one poller per app, its changes fanned out to every stream.

Events [HTML Living Standard, server-sent events]:

- ``now`` (the /api/now JSON) when the latest power or current reading changes;
- ``forecast`` (FORECAST or ``null``) when it changes;
- ``health`` (LINK) when the link state or the fault flag changes.

All three are sent at once on connect; a ``: keep-alive`` comment goes after 15 s without an
event so proxies and browsers keep an idle connection open.

While a stream is open, one poller reads the store once a second for all of them (one snapshot
per meter asked for, all in one worker-thread call) and encodes each event once. Each stream
keeps the version of each event it has sent and is sent the newer ones: a stream that cannot
keep up is never queued a backlog, it has at most one pending event of each kind, the newest.
The limits (:class:`StreamLimits`, docs/dashboard.md D20-D22): so many streams at once, then
503 with ``Retry-After``; a client that leaves more than ``backlog`` bytes unsent, or whose
write takes longer than ``write``, is dropped; and the kernel drops a connection whose data
has gone unacknowledged for ``idle`` seconds (``TCP_USER_TIMEOUT``: the client stopped reading
or vanished).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from aiohttp import web

from hemsnet.web.common import ApiError

__all__ = ["RETRY_AFTER", "Snapshot", "StreamHub", "StreamLimits"]

RETRY_AFTER: Final = 30  # s a client refused at the cap is asked to wait
_KEEP_ALIVE_COMMENT: Final = b": keep-alive\n\n"
_EVENTS: Final = ("now", "forecast", "health")  # the order of the events sent at connect

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class StreamLimits:
    """How many streams, how often, and how long a client may leave data untaken."""

    max_streams: int = 256  # open at once; beyond, 503
    poll: float = 1.0  # s between reads of the store
    keep_alive: float = 15.0  # s without an event before a comment
    write: float = 10.0  # s one write may take before the client is dropped
    backlog: int = 64 * 1024  # bytes a client may leave unsent, in the kernel and in the process
    idle: float = 60.0  # s sent data may go unacknowledged before the kernel drops it


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What the stream shows at one poll; ``now`` is ``None`` while no meter is stored."""

    now: dict[str, Any] | None
    forecast: dict[str, Any] | None
    link: dict[str, Any]

    def keys(self) -> dict[str, object]:
        """Per event, the part whose change sends it."""
        reading = None if self.now is None else {k: v for k, v in self.now.items() if k != "link"}
        return {
            "now": reading,
            "forecast": self.forecast,
            "health": (self.link["state"], self.link["in_fault"]),
        }

    def data(self) -> dict[str, object]:
        return {"now": self.now, "forecast": self.forecast, "health": self.link}


def _event(name: str, data: object) -> bytes:
    """One SSE event; the JSON has no newline, so it is one ``data:`` line."""
    return f"event: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


@dataclass(slots=True)
class _Latest:
    """One event of one meter as last read: its version (unique in the hub), what sends it,
    its bytes."""

    version: int
    key: object
    chunk: bytes


class _Stream:
    """One open stream: its meter, the event versions it was sent, and its wake-up."""

    __slots__ = ("meter", "ready", "request", "sent")

    def __init__(self, request: web.Request, meter: str | None) -> None:
        self.request = request
        self.meter = meter
        self.sent: dict[str, int] = {}
        self.ready = asyncio.Event()

    @property
    def gone(self) -> bool:
        transport = self.request.transport
        return transport is None or transport.is_closing()


#: Reads the snapshot of each meter key (``None``: the most recently seen meter) at ``now``.
SnapshotReader = Callable[[datetime, Collection[str | None]], dict[str | None, Snapshot]]


class StreamHub:
    """The event streams of one app: one poller, fanned out to every open stream.

    ``read`` runs in a worker thread (it reads the store); the clock is read in the loop.
    """

    def __init__(
        self, read: SnapshotReader, clock: Callable[[], datetime], limits: StreamLimits
    ) -> None:
        self._read = read
        self._clock = clock
        self._limits = limits
        self._streams: set[_Stream] = set()
        self._latest: dict[str | None, dict[str, _Latest]] = {}
        self._version = 0  # of the newest event encoded, for any meter
        self._poller: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._closed = False
        self._failing: str | None = None

    @property
    def open_streams(self) -> int:
        return len(self._streams)

    def close(self) -> None:
        """End every stream and the poller (the server is stopping)."""
        self._closed = True
        self._wake.set()
        for stream in self._streams:
            stream.ready.set()

    async def serve(self, request: web.Request, meter: str | None) -> web.StreamResponse:
        """Answer ``request`` with the event stream until the client leaves or is dropped,
        or the hub closes; 503 beyond ``max_streams``."""
        if self._closed:
            raise ApiError(503, "the dashboard is stopping")
        if len(self._streams) >= self._limits.max_streams:
            raise ApiError(
                503,
                f"{len(self._streams)} event streams are open, as many as this dashboard serves "
                f"(dashboard.max_streams); try again in {RETRY_AFTER} s",
                headers={"Retry-After": str(RETRY_AFTER)},
            )
        stream = _Stream(request, meter)
        self._streams.add(stream)
        try:
            response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
            response.force_close()  # a stream's connection is never reused
            self._limit_socket(request)
            await response.prepare(request)
            if self._poller is None or self._poller.done():
                self._poller = asyncio.create_task(self._poll(), name="hemsnet-dashboard-stream")
            elif meter in self._latest:
                stream.ready.set()  # what the poller read last, at most one poll old
            else:
                self._wake.set()  # a meter not read yet: read it now
            await self._pump(stream, response)
        finally:
            self._streams.discard(stream)
        return response

    def _limit_socket(self, request: web.Request) -> None:
        """The kernel drops the connection when what it sent has gone unacknowledged for
        ``idle`` s, and holds at most about ``backlog`` bytes unsent for it (not the megabytes
        a socket's send buffer grows to by itself)."""
        sock = request.transport.get_extra_info("socket") if request.transport else None
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            timeout_ms = int(self._limits.idle * 1000)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT, timeout_ms)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, self._limits.backlog)

    async def _pump(self, stream: _Stream, response: web.StreamResponse) -> None:
        """Send what is newer than what ``stream`` was sent, whenever it is woken."""
        loop = asyncio.get_running_loop()
        written_at = loop.time()
        while not self._closed and not stream.gone:
            try:
                async with asyncio.timeout(written_at + self._limits.keep_alive - loop.time()):
                    await stream.ready.wait()
            except TimeoutError:
                chunk = _KEEP_ALIVE_COMMENT
            else:
                stream.ready.clear()
                chunk = self._pending(stream)
                if not chunk:
                    continue
            if not await self._send(stream, response, chunk):
                return
            written_at = loop.time()

    def _pending(self, stream: _Stream) -> bytes:
        latest = self._latest.get(stream.meter, {})
        chunks = []
        for name in _EVENTS:
            entry = latest.get(name)
            if entry is not None and stream.sent.get(name) != entry.version:
                chunks.append(entry.chunk)
                stream.sent[name] = entry.version
        return b"".join(chunks)

    async def _send(self, stream: _Stream, response: web.StreamResponse, chunk: bytes) -> bool:
        """Write ``chunk``; ``False`` when the client is gone, or dropped as too slow."""
        transport = stream.request.transport
        if transport is None or transport.is_closing():
            return False
        unsent = transport.get_write_buffer_size()
        if unsent > self._limits.backlog:
            return _drop(stream, transport, f"{unsent} bytes it has not taken")
        try:
            async with asyncio.timeout(self._limits.write):
                await response.write(chunk)
        except ConnectionError:  # the client went away
            return False
        except TimeoutError:
            return _drop(stream, transport, f"a write not done in {self._limits.write:g} s")
        return True

    async def _poll(self) -> None:
        try:
            while self._streams and not self._closed:
                self._wake.clear()
                changed = await self._read_all({stream.meter for stream in self._streams})
                for stream in self._streams:
                    if stream.meter in changed or stream.gone:
                        stream.ready.set()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._limits.poll):
                        await self._wake.wait()
        finally:
            self._latest.clear()  # stale by the time a stream opens again
            for stream in self._streams:
                stream.ready.set()

    async def _read_all(self, meters: set[str | None]) -> set[str | None]:
        """Read the snapshot of each of ``meters``; the meters any event of which changed."""
        try:
            snapshots = await asyncio.to_thread(self._read, self._clock(), meters)
        except Exception as exc:  # the streams live on, the next poll tries again
            if str(exc) != self._failing:
                log.warning("event streams: cannot read the store: %s", exc)
            self._failing = str(exc)
            return set()
        self._failing = None
        self._latest = {meter: self._latest.get(meter, {}) for meter in meters}
        changed = set()
        for meter, snapshot in snapshots.items():
            latest = self._latest[meter]
            data = snapshot.data()
            for name, key in snapshot.keys().items():
                entry = latest.get(name)
                if (name == "now" and key is None) or (entry is not None and entry.key == key):
                    continue  # no meter yet, or no change
                self._version += 1
                latest[name] = _Latest(self._version, key, _event(name, data[name]))
                changed.add(meter)
        return changed


def _drop(stream: _Stream, transport: asyncio.Transport, why: str) -> bool:
    """Close the connection of a client too slow to take its events; ``False``."""
    log.info("event stream of %s dropped: %s", stream.request.remote, why)
    transport.abort()  # what it has not taken is thrown away, its slot freed
    return False
