"""Server-sent events (/api/stream): the store polled once a second, changes pushed.

Events [HTML Living Standard, server-sent events]:

- ``now`` (the /api/now JSON) when the latest power or current reading changes;
- ``forecast`` (FORECAST or ``null``) when it changes;
- ``health`` (LINK) when the link state or the fault flag changes.

All three are sent at once on connect; a ``: keep-alive`` comment goes every 15 s so proxies
and browsers keep an idle connection open.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from aiohttp import web

from hemsnet.aio.clock import wait_for_stop

__all__ = ["KEEP_ALIVE", "POLL", "Snapshot", "changes", "event", "stream"]

POLL: Final = 1.0  # s between reads of the store
KEEP_ALIVE: Final = 15.0  # s between comments on an idle stream


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


def event(name: str, data: object) -> bytes:
    """One SSE event; the JSON has no newline, so it is one ``data:`` line."""
    return f"event: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


def changes(previous: Snapshot | None, current: Snapshot) -> list[bytes]:
    """The events that tell a client what differs from ``previous`` (all at first)."""
    before = {} if previous is None else previous.keys()
    data = {"now": current.now, "forecast": current.forecast, "health": current.link}
    return [
        event(name, data[name])
        for name, key in current.keys().items()
        if (previous is None or before[name] != key) and not (name == "now" and key is None)
    ]


async def stream(
    request: web.Request,
    snapshot: Callable[[datetime], Snapshot],
    clock: Callable[[], datetime],
    closing: asyncio.Event,
) -> web.StreamResponse:
    """Answer ``request`` with the event stream until the client leaves or ``closing``.

    ``snapshot(now)`` runs in a worker thread (it reads the store); the clock is read here.
    """
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    await response.prepare(request)
    loop = asyncio.get_running_loop()
    previous: Snapshot | None = None
    quiet_since = loop.time()
    try:
        while not closing.is_set():
            current = await asyncio.to_thread(snapshot, clock())
            for chunk in changes(previous, current):
                await response.write(chunk)
                quiet_since = loop.time()
            previous = current
            if loop.time() - quiet_since >= KEEP_ALIVE:
                await response.write(b": keep-alive\n\n")
                quiet_since = loop.time()
            await wait_for_stop(closing, POLL)
    except ConnectionResetError:  # the client went away
        pass
    return response
