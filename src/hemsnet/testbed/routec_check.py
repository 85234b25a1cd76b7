"""Is Route C working, and only for the controller? Look in the provider's database, and knock
on the broker's port from the meter and the appliances.

The controller's readings reaching the provider's PostgreSQL prove the whole of Route C: the
outbox, MQTT over TLS with the home's password through the home gateway, the provider service
and its commit [G.9958 I.1(3)]. The knocks prove the gateway keeps everyone else away from the
broker: from every component of the home but the controller and the routers (the meter
[6.4.2(2), 6.4.3(2)], the HEMS-managed appliances (H13), the non-HEMS ones) a TCP connection
to it must not open; from the controller it must (H17).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Final

from hemsnet.testbed.netns import inside
from hemsnet.testbed.routec_path import BROKER_PORT

if TYPE_CHECKING:
    import psycopg

__all__ = ["ProviderData", "knock", "wait_for_provider_data"]

_POLL: Final = 0.25
_KNOCK_TIMEOUT: Final = 1.0  # s: a dropped SYN gets no answer, a refused one at once


class ProviderData:
    """What the provider's database holds of one home so far."""

    def __init__(self, home: str, *, appliances: bool) -> None:
        self.home = home
        self.appliances = appliances  # whether appliance readings are expected too
        self.readings = 0
        self.appliance_readings = 0
        self.latest: datetime | None = None
        self.error = ""  # why the database could not be read (the last time it was tried)

    @property
    def complete(self) -> bool:
        return self.readings > 0 and (self.appliance_readings > 0 or not self.appliances)

    def report(self) -> str:
        what = f"{self.readings} readings and {self.appliance_readings} appliance readings"
        where = f"of home {self.home} in the provider's database"
        if self.complete:
            assert self.latest is not None
            return f"Route C: {what} {where} (latest received at {self.latest:%H:%M:%S})"
        because = f" ({self.error})" if self.error else ""
        return f"Route C: only {what} {where}{because}"


def wait_for_provider_data(url: str, data: ProviderData, seconds: float) -> ProviderData:
    """Poll the provider's database until the home's data is there or ``seconds`` passed."""
    import psycopg  # the provider's extra: only a testbed with the real provider gets here

    deadline = time.monotonic() + seconds
    while True:
        try:
            with psycopg.connect(url, connect_timeout=5) as connection:
                _look(connection, data)
                data.error = ""
        except psycopg.Error as exc:  # not migrated yet, or the server is away
            data.error = str(exc).strip().splitlines()[0]
        if data.complete or time.monotonic() > deadline:
            return data
        time.sleep(_POLL)  # polling the database for the condition


def _look(connection: psycopg.Connection[tuple[object, ...]], data: ProviderData) -> None:
    row = connection.execute(
        "SELECT (SELECT count(*) FROM reading WHERE home = %(home)s),"
        " (SELECT count(*) FROM appliance_reading WHERE home = %(home)s),"
        " greatest((SELECT max(received_at) FROM reading WHERE home = %(home)s),"
        " (SELECT max(received_at) FROM appliance_reading WHERE home = %(home)s))",
        {"home": data.home},
    ).fetchone()
    assert row is not None
    readings, appliance_readings, latest = row
    assert isinstance(readings, int) and isinstance(appliance_readings, int)
    assert latest is None or isinstance(latest, datetime)
    data.readings, data.appliance_readings = readings, appliance_readings
    data.latest = None if latest is None else latest.astimezone()


def knock(namespaces: Mapping[str, str], address: str) -> dict[str, bool]:
    """For each component (name -> namespace): whether a TCP connection to the broker's port
    at ``address`` opened from there."""
    sockets = {}
    for component, namespace in namespaces.items():
        with inside(namespace):
            sockets[component] = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        sockets[component].setblocking(False)

    async def all_at_once() -> dict[str, bool]:
        results = await asyncio.gather(*(_connect(s, address) for s in sockets.values()))
        return dict(zip(sockets, results, strict=True))

    try:
        return asyncio.run(all_at_once())
    finally:
        for sock in sockets.values():
            sock.close()


async def _connect(sock: socket.socket, address: str) -> bool:
    loop = asyncio.get_running_loop()
    with contextlib.suppress(OSError, TimeoutError):
        await asyncio.wait_for(loop.sock_connect(sock, (address, BROKER_PORT)), _KNOCK_TIMEOUT)
        return True
    return False
