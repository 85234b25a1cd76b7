"""The database schema as an ordered list of migrations, versioned by ``PRAGMA user_version``.

Migration *n* (1-based) takes a database from version n-1 to n. Each runs in its own
transaction together with the version bump, so a failure leaves the previous version intact.
Migrations are only ever appended: a released one is never edited.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Final

from hemsnet.errors import ConfigError

__all__ = ["MIGRATIONS", "check_version", "migrate", "version"]

_V1: Final = """
CREATE TABLE meter (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    address TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL
) STRICT;

-- One row per (meter, series, measurement time): the last arrival wins [AIF 2.5.1].
CREATE TABLE reading (
    meter_id INTEGER NOT NULL REFERENCES meter (id),
    series TEXT NOT NULL,
    measured_at TEXT NOT NULL,
    raw INTEGER,
    value TEXT,
    void INTEGER NOT NULL CHECK (void IN (0, 1)),
    source TEXT NOT NULL CHECK (source IN ('notification', 'poll', 'history')),
    arrived_at TEXT NOT NULL,
    PRIMARY KEY (meter_id, series, measured_at),
    CHECK ((raw IS NULL) = void AND (value IS NULL) = void)
) STRICT, WITHOUT ROWID;

-- Attribute EDTs as versions; a NULL edt: the meter lacks this optional EPC [AIF 3.1.4(2)].
CREATE TABLE attribute (
    meter_id INTEGER NOT NULL REFERENCES meter (id),
    epc INTEGER NOT NULL CHECK (epc BETWEEN 128 AND 255),
    valid_from TEXT NOT NULL,
    edt BLOB,
    PRIMARY KEY (meter_id, epc, valid_from)
) STRICT, WITHOUT ROWID;

CREATE TABLE gap (
    id INTEGER PRIMARY KEY,
    meter_id INTEGER NOT NULL REFERENCES meter (id),
    series TEXT NOT NULL,
    start_at TEXT NOT NULL,
    end_at TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'filled', 'unrecoverable')),
    opened_at TEXT NOT NULL,
    closed_at TEXT,
    UNIQUE (meter_id, series, start_at, end_at),
    CHECK (start_at < end_at),
    CHECK ((status = 'open') = (closed_at IS NULL))
) STRICT;

CREATE TABLE fault (
    id INTEGER PRIMARY KEY,
    meter_id INTEGER NOT NULL REFERENCES meter (id),
    started_at TEXT NOT NULL,
    ended_at TEXT,
    CHECK (ended_at >= started_at)
) STRICT;
CREATE INDEX fault_by_meter ON fault (meter_id, started_at);
-- A meter is in fault or not: at most one open fault each [AIF 3.4.1].
CREATE UNIQUE INDEX fault_open ON fault (meter_id) WHERE ended_at IS NULL;

CREATE TABLE request_count (
    meter_id INTEGER NOT NULL REFERENCES meter (id),
    counter TEXT NOT NULL,
    n INTEGER NOT NULL CHECK (n >= 0),
    PRIMARY KEY (meter_id, counter)
) STRICT, WITHOUT ROWID;
"""

# The HEMS-managed appliances on the controller's HEMS networks [G.9958 3.2.1.2, 6.4.2]: one
# row per object of a node, named by the node's address without port or scope, as meters are.
_V2: Final = """
CREATE TABLE appliance (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL,
    address TEXT NOT NULL,
    eoj TEXT NOT NULL CHECK (length(eoj) = 6),
    class_name TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    reachable INTEGER NOT NULL CHECK (reachable IN (0, 1)),
    UNIQUE (key, eoj)
) STRICT;

-- One row per answered poll, at the controller time it came; NULL: not given (SNA, no data).
CREATE TABLE appliance_reading (
    appliance_id INTEGER NOT NULL REFERENCES appliance (id),
    measured_at TEXT NOT NULL,
    watts INTEGER,
    operating INTEGER CHECK (operating IN (0, 1)),
    arrived_at TEXT NOT NULL,
    PRIMARY KEY (appliance_id, measured_at)
) STRICT, WITHOUT ROWID;
"""

# Requests sent to each meter per hour of the controller's clock, to show the rate a utility
# meter is asked at [AIF 2.4.1 note]: `hour` is YYYY-MM-DDTHH.
_V3: Final = """
CREATE TABLE request_hour (
    meter_id INTEGER NOT NULL REFERENCES meter (id),
    hour TEXT NOT NULL CHECK (length(hour) = 13),
    sent INTEGER NOT NULL CHECK (sent >= 0),
    PRIMARY KEY (meter_id, hour)
) STRICT, WITHOUT ROWID;
"""

# The meter's Wi-SUN PAN a dongle's scan found, kept so that a restart skips the scan; one
# row. Nothing secret: channel, PAN ID and MAC are what every beacon tells.
_V4: Final = """
CREATE TABLE wisun_pan (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    channel INTEGER NOT NULL CHECK (channel BETWEEN 33 AND 60),
    pan_id INTEGER NOT NULL CHECK (pan_id BETWEEN 0 AND 65535),
    mac TEXT NOT NULL CHECK (length(mac) = 16),
    found_at TEXT NOT NULL
) STRICT;
"""

# The class of each meter: 0x028F (655), the bidirectional high-voltage meter every meter stored
# before was, or the low-voltage 0x0288 (648), whose attributes and readings differ.
_V5: Final = """
ALTER TABLE meter ADD COLUMN class INTEGER NOT NULL DEFAULT 655 CHECK (class IN (655, 648));
"""

# What the controller did not believe, with the frame it came in (hemsnet.controller.vetting,
# docs/threat-model.md), and where a cumulative register restarted: no energy across it.
_V6: Final = """
CREATE TABLE wire_event (
    id INTEGER PRIMARY KEY,
    meter_id INTEGER NOT NULL REFERENCES meter (id),
    at TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('rejected', 'disputed', 'restarted')),
    series TEXT NOT NULL,
    measured_at TEXT NOT NULL,
    reason TEXT NOT NULL,
    frame BLOB NOT NULL
) STRICT;
CREATE INDEX wire_event_by_meter ON wire_event (meter_id, id);

CREATE TABLE register_restart (
    meter_id INTEGER NOT NULL REFERENCES meter (id),
    measured_at TEXT NOT NULL,
    series TEXT NOT NULL,
    PRIMARY KEY (meter_id, measured_at, series)
) STRICT, WITHOUT ROWID;
"""

# Demand control (docs/energy-management.md): every decision with the projection that caused it,
# its command's outcome and the appliance's power before and after; the overrides people set.
_V7: Final = """
CREATE TABLE control_action (
    id INTEGER PRIMARY KEY,
    decided_at TEXT NOT NULL,
    appliance TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('shed', 'restore')),
    step INTEGER NOT NULL CHECK (step >= 0),
    reason TEXT NOT NULL,
    epc INTEGER NOT NULL CHECK (epc BETWEEN 128 AND 255),
    edt BLOB NOT NULL,
    target_kw REAL NOT NULL,
    projected_kw REAL,
    high_kw REAL,
    meter_kw REAL,
    power_before_w INTEGER,
    power_after_w INTEGER,
    measured_at TEXT,
    outcome TEXT NOT NULL DEFAULT 'sent'
        CHECK (outcome IN ('sent', 'accepted', 'retried', 'refused', 'unanswered')),
    outcome_reason TEXT NOT NULL DEFAULT '',
    settled_at TEXT
) STRICT;
CREATE INDEX control_action_by_time ON control_action (decided_at);

CREATE TABLE control_override (
    appliance TEXT PRIMARY KEY,
    paused INTEGER NOT NULL CHECK (paused IN (0, 1)),
    set_at TEXT NOT NULL,
    by TEXT NOT NULL
) STRICT;

-- Demand-response events from the provider's OpenADR VTN: the window (local wall time), the
-- target it sets and whether the customer took part.
CREATE TABLE dr_event (
    event_id TEXT PRIMARY KEY,
    signal TEXT NOT NULL,
    payload REAL NOT NULL,
    target_kw REAL,
    start_at TEXT NOT NULL,
    end_at TEXT NOT NULL,
    opt TEXT NOT NULL CHECK (opt IN ('optIn', 'optOut')),
    received_at TEXT NOT NULL,
    CHECK (start_at <= end_at)
) STRICT;
"""

# Route C (docs/route-c.md): every row the provider should see is queued in the outbox by these
# triggers, in the transaction that stores it, as the JSON record of the contract without its
# seq and kind (the outbox row's own columns). An update queues the row again: the newer record
# supersedes. outbox_state holds the acknowledged watermark, and whether Route C is on: while it
# is off (a controller without [routec]) nothing is queued, so nothing grows unbounded.
_V8: Final = """
CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    body TEXT NOT NULL
) STRICT;

CREATE TABLE outbox_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    acked INTEGER NOT NULL CHECK (acked >= 0),
    enabled INTEGER NOT NULL CHECK (enabled IN (0, 1))
) STRICT;
INSERT INTO outbox_state (id, acked, enabled) VALUES (1, 0, 0);
""" + "".join(
    f"""
CREATE TRIGGER outbox_{table}_{event.lower()} AFTER {event} ON {table}
WHEN (SELECT enabled FROM outbox_state WHERE id = 1) BEGIN
    INSERT INTO outbox (kind, body) VALUES ('{table}', json_object({fields}));
END;
"""
    for table, fields in (
        (
            "reading",
            "'meter', (SELECT key FROM meter WHERE id = NEW.meter_id), 'series', NEW.series, "
            "'at', NEW.measured_at, 'raw', NEW.raw, 'value', NEW.value, "
            "'void', json(iif(NEW.void, 'true', 'false')), 'source', NEW.source",
        ),
        (
            "attribute",
            "'meter', (SELECT key FROM meter WHERE id = NEW.meter_id), 'epc', NEW.epc, "
            "'at', NEW.valid_from, 'edt', iif(NEW.edt IS NULL, NULL, hex(NEW.edt))",
        ),
        (
            "gap",
            "'meter', (SELECT key FROM meter WHERE id = NEW.meter_id), 'series', NEW.series, "
            "'start', NEW.start_at, 'end', NEW.end_at, 'status', NEW.status, "
            "'opened', NEW.opened_at, 'closed', NEW.closed_at",
        ),
        (
            "fault",
            "'meter', (SELECT key FROM meter WHERE id = NEW.meter_id), "
            "'start', NEW.started_at, 'end', NEW.ended_at",
        ),
        (
            "appliance_reading",
            "'appliance', (SELECT key FROM appliance WHERE id = NEW.appliance_id), "
            "'eoj', (SELECT eoj FROM appliance WHERE id = NEW.appliance_id), "
            "'at', NEW.measured_at, 'watts', NEW.watts, "
            "'operating', "
            "iif(NEW.operating IS NULL, NULL, json(iif(NEW.operating, 'true', 'false')))",
        ),
        (
            "control_action",
            "'id', NEW.id, 'at', NEW.decided_at, 'appliance', NEW.appliance, 'action', NEW.kind, "
            "'step', NEW.step, 'outcome', NEW.outcome, 'target_kw', NEW.target_kw, "
            "'projected_kw', NEW.projected_kw, 'power_before_w', NEW.power_before_w, "
            "'power_after_w', NEW.power_after_w",
        ),
    )
    for event in ("INSERT", "UPDATE")
)

#: Every migration, oldest first; the schema version is ``len(MIGRATIONS)``.
MIGRATIONS: Final[tuple[str, ...]] = (_V1, _V2, _V3, _V4, _V5, _V6, _V7, _V8)


def version(connection: sqlite3.Connection) -> int:
    """The schema version of the open database (0 for a new, empty file)."""
    (found,) = connection.execute("PRAGMA user_version").fetchone()
    return int(found)


def check_version(connection: sqlite3.Connection, path: Path) -> None:
    """Refuse a database written by a newer hemsnet, before anything in it is touched."""
    found = version(connection)
    if found > len(MIGRATIONS):
        raise ConfigError(
            f"{path} has schema version {found}, newer than this hemsnet knows "
            f"({len(MIGRATIONS)}): upgrade hemsnet to use it"
        )


def migrate(connection: sqlite3.Connection) -> None:
    """Apply the migrations the database lacks, each in one transaction with its version."""
    for number in range(version(connection) + 1, len(MIGRATIONS) + 1):
        # executescript runs the BEGIN..COMMIT itself; a failing statement stops it mid-way,
        # so the transaction it left open is rolled back here.
        try:
            connection.executescript(
                f"BEGIN IMMEDIATE;\n{MIGRATIONS[number - 1]}\n"
                f"PRAGMA user_version = {number};\nCOMMIT;"
            )
        except BaseException:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise
