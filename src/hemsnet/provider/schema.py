"""The provider's PostgreSQL schema as an ordered list of migrations, versioned in the table
``schema_version`` (as :mod:`hemsnet.store.schema` does for a controller's SQLite file).

Migration *n* (1-based) takes a database from version n-1 to n. Every worker migrates at start,
under an advisory lock, in one transaction (PostgreSQL's DDL is transactional): workers that
start together wait for each other, and a failure leaves the previous version intact.
Migrations are only ever appended: a released one is never edited.
"""

from __future__ import annotations

from typing import Final

from psycopg import AsyncConnection
from psycopg.rows import TupleRow

from hemsnet.errors import ConfigError

__all__ = ["MIGRATIONS", "migrate", "version"]

_LOCK: Final = 0x68656D73  # "hems": the advisory lock of schema changes

# Readings and appliance readings are partitioned by month of their measured time; the
# partitions are made on demand (hemsnet.provider.partitions). The reading table is the one
# issue 16 fixes for Route A's reconciliation to read.
_V1: Final = """
CREATE TABLE home (
    home text PRIMARY KEY,
    link_state text CHECK (link_state IN ('online', 'offline')),
    link_since timestamp,
    last_seq bigint NOT NULL DEFAULT 0,
    last_data_at timestamp,
    last_batch_at timestamptz,
    refused bigint NOT NULL DEFAULT 0,
    target_kw numeric,
    first_seen timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE reading (
    home text NOT NULL, meter text NOT NULL, series text NOT NULL, measured_at timestamp NOT NULL,
    raw bigint, value numeric, void boolean NOT NULL, source text NOT NULL,
    seq bigint NOT NULL, received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (home, meter, series, measured_at)
) PARTITION BY RANGE (measured_at);

CREATE TABLE attribute (
    home text NOT NULL, meter text NOT NULL, epc smallint NOT NULL, valid_from timestamp NOT NULL,
    edt bytea,
    seq bigint NOT NULL, received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (home, meter, epc, valid_from)
);

CREATE TABLE gap (
    home text NOT NULL, meter text NOT NULL, series text NOT NULL,
    start_at timestamp NOT NULL, end_at timestamp NOT NULL,
    status text NOT NULL CHECK (status IN ('open', 'filled', 'unrecoverable')),
    opened_at timestamp NOT NULL, closed_at timestamp,
    seq bigint NOT NULL, received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (home, meter, series, start_at, end_at)
);

CREATE TABLE fault (
    home text NOT NULL, meter text NOT NULL, started_at timestamp NOT NULL, ended_at timestamp,
    seq bigint NOT NULL, received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (home, meter, started_at)
);

CREATE TABLE appliance_reading (
    home text NOT NULL, appliance text NOT NULL, eoj text NOT NULL,
    measured_at timestamp NOT NULL, watts integer, operating boolean,
    seq bigint NOT NULL, received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (home, appliance, eoj, measured_at)
) PARTITION BY RANGE (measured_at);

CREATE TABLE control_action (
    home text NOT NULL, action_id bigint NOT NULL, decided_at timestamp NOT NULL,
    appliance text NOT NULL, action text NOT NULL, step integer NOT NULL, outcome text NOT NULL,
    target_kw double precision NOT NULL, projected_kw double precision,
    power_before_w integer, power_after_w integer,
    seq bigint NOT NULL, received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (home, action_id)
);

-- What a home's outbox had to drop (its bounded backlog): the provider knows it will never
-- get those sequence numbers.
CREATE TABLE dropped (
    home text NOT NULL, first_seq bigint NOT NULL, last_seq bigint NOT NULL,
    count bigint NOT NULL, reason text NOT NULL,
    seq bigint NOT NULL, received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (home, first_seq)
);
"""

#: Every migration, oldest first; the schema version is ``len(MIGRATIONS)``.
MIGRATIONS: Final[tuple[str, ...]] = (_V1,)


async def version(connection: AsyncConnection[TupleRow]) -> int:
    """The schema version of the database (0 for a new, empty one)."""
    cursor = await connection.execute("SELECT to_regclass('schema_version') IS NOT NULL")
    found = await cursor.fetchone()
    if found is None or not found[0]:
        return 0
    cursor = await connection.execute("SELECT max(version) FROM schema_version")
    row = await cursor.fetchone()
    return int(row[0]) if row is not None and row[0] is not None else 0


async def migrate(connection: AsyncConnection[TupleRow]) -> int:
    """Bring the database to the newest version; return it. A database newer than this
    hemsnet is a ConfigError (an older worker must not write into a schema it does not know)."""
    async with connection.transaction():
        await connection.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK,))
        await connection.execute("CREATE TABLE IF NOT EXISTS schema_version (version integer)")
        current = await version(connection)
        if current > len(MIGRATIONS):
            raise ConfigError(
                f"the provider database is at schema version {current}, newer than this "
                f"hemsnet's {len(MIGRATIONS)}: upgrade hemsnet"
            )
        for number, script in enumerate(MIGRATIONS[current:], start=current + 1):
            await connection.execute(script.encode())
            await connection.execute("INSERT INTO schema_version VALUES (%s)", (number,))
    return len(MIGRATIONS)
