"""The provider's connection to PostgreSQL: made (and the schema migrated) when first needed,
made again after the database went away, and one log line per outage, not per attempt."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Final

import psycopg
from psycopg import AsyncConnection
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import TupleRow

from hemsnet.provider.schema import migrate

__all__ = ["Database", "describe"]

log = logging.getLogger(__name__)

_CONNECT_TIMEOUT: Final = 5  # s


def describe(url: str) -> str:
    """Where ``url`` points, for logs: ``host:port/dbname``, never the password."""
    try:
        parts = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "(a database URL that does not parse)"
    host = parts.get("host") or "localhost"
    return f"{host}:{parts.get('port') or 5432}/{parts.get('dbname') or ''}"


class Database:
    """One connection at a time, for one worker."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.name = describe(url)
        self._connection: AsyncConnection[TupleRow] | None = None
        self._down_since: float | None = None
        self.away = asyncio.Event()  # set while an outage lasts

    async def connection(self) -> AsyncConnection[TupleRow]:
        """The open connection, or a new one (migrated); ``psycopg.Error`` when it cannot."""
        if self._connection is not None and not self._connection.broken:
            return self._connection
        await self.close()
        connection = await AsyncConnection.connect(
            self.url, autocommit=True, connect_timeout=_CONNECT_TIMEOUT
        )
        try:
            await migrate(connection)
        except BaseException:
            await connection.close()
            raise
        self._connection = connection
        return connection

    def failed(self, exc: psycopg.Error, holding: int) -> None:
        """Say once per outage that the database is away, and drop the broken connection."""
        if self._down_since is None:
            self._down_since = time.monotonic()
            self.away.set()
            log.warning(
                "database %s unavailable (%s); holding %d message(s) unacknowledged, "
                "retrying with back-off",
                self.name,
                str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__,
                holding,
            )

    def worked(self) -> None:
        if self._down_since is not None:
            log.warning(
                "database %s: back after %.0f s", self.name, time.monotonic() - self._down_since
            )
            self._down_since = None
            self.away.clear()

    async def close(self) -> None:
        if self._connection is not None:
            connection, self._connection = self._connection, None
            with contextlib.suppress(psycopg.Error):  # closing what broke: nothing to save
                await connection.close()
