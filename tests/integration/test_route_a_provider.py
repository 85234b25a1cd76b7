"""The provider's side of Route A against a real PostgreSQL and the head-end's API over real
HTTP: the importer is idempotent and resumable, consent governs what arrives, and the
reconciliation finds what differs between Route A and Route B (A8-A10)."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest

from hemsnet.cli.main import main
from hemsnet.devices.lv_meter import LV_METER_CLASS
from hemsnet.routea.headend.api import build_app
from hemsnet.routea.headend.config import ProviderToken
from hemsnet.routea.headend.store import MdmsStore, StoredReading
from hemsnet.routea.provider_side.config import MeterLink, ProviderRouteA
from hemsnet.routea.provider_side.importer import import_route_a, prepare
from hemsnet.routea.provider_side.reconcile import reconcile
from hemsnet.web.app import bind, serve
from hemsnet.web.config import Listen
from tests.postgres import postgres, postgres_server  # noqa: F401 - fixtures

TOKEN = "acme-" + "t" * 40
T0 = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
DAY = datetime(2026, 12, 3)
LINK = MeterLink("h1", "UM-1", "fe80::1")
#: Route B's table, exactly as the provider service creates it (docs/route-c.md).
READING_DDL = """
CREATE TABLE reading (
  home text NOT NULL, meter text NOT NULL, series text NOT NULL, measured_at timestamp NOT NULL,
  raw bigint, value numeric, void boolean NOT NULL, source text NOT NULL,
  seq bigint NOT NULL, received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (home, meter, series, measured_at)
) PARTITION BY RANGE (measured_at);
CREATE TABLE reading_default PARTITION OF reading DEFAULT;
"""


def half_hour(i: int) -> datetime:
    return DAY + timedelta(minutes=30 * i)


def energy(i: int, series: str) -> Decimal:
    return Decimal(1000 + 7 * i) / 10 if series == "energy_normal" else Decimal(i) / 10


def stored(half_hours: range) -> list[StoredReading]:
    return [
        StoredReading(series, half_hour(i), int(energy(i, series) * 10), energy(i, series))
        for i in half_hours
        for series in ("energy_normal", "energy_reverse")
    ]


@contextmanager
def headend_api(db: Path) -> Iterator[str]:
    """The head-end's API on 127.0.0.1 in a thread of its own, with its own connection to the
    MDMS file (the importer under test blocks the calling thread)."""
    started = threading.Event()
    control: dict[str, Any] = {}

    async def run() -> None:
        store = MdmsStore(db)
        sock = bind(Listen("127.0.0.1", 0))
        control["url"] = f"http://127.0.0.1:{sock.getsockname()[1]}"
        control["loop"], control["stop"] = asyncio.get_running_loop(), asyncio.Event()
        started.set()
        try:
            await serve(build_app(store, [ProviderToken("acme", TOKEN)]), sock, control["stop"])
        finally:
            store.close()

    thread = threading.Thread(target=asyncio.run, args=(run(),), daemon=True)
    thread.start()
    assert started.wait(10)
    try:
        yield control["url"]
    finally:
        control["loop"].call_soon_threadsafe(control["stop"].set)
        thread.join(10)


def route_a_rows(connection: psycopg.Connection[Any]) -> list[tuple[Any, ...]]:
    return connection.execute(
        "SELECT home, meter, measured_at, energy_normal, energy_reverse, received_at "
        "FROM route_a_reading ORDER BY measured_at"
    ).fetchall()


def test_the_importer_is_idempotent_and_consent_decides_what_arrives(
    postgres: str,  # noqa: F811 - the fixture
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db = tmp_path / "headend.db"
    with MdmsStore(db) as mdms:
        mdms.register_meters([("UM-1", LV_METER_CLASS), ("UM-2", LV_METER_CLASS)])
        mdms.add_readings("UM-1", stored(range(6)), T0)
        mdms.add_readings("UM-2", stored(range(6)), T0)  # no consent: never leaves
        mdms.grant("UM-1", "h1", "acme", "customer h1", T0)
    with headend_api(db) as url, psycopg.connect(postgres, autocommit=True) as pg:
        config = ProviderRouteA(url, TOKEN, postgres, Decimal(0), (LINK,))
        [first] = import_route_a(pg, config)
        assert (first.meter, first.home, first.fetched, first.stored) == ("UM-1", "h1", 12, 6)
        rows = route_a_rows(pg)
        assert [(r[2], r[3], r[4]) for r in rows] == [
            (half_hour(i), energy(i, "energy_normal"), energy(i, "energy_reverse"))
            for i in range(6)
        ]
        [again] = import_route_a(pg, config)  # nothing new: the cursor held
        assert (again.fetched, again.stored) == (0, 0)
        pg.execute("DELETE FROM route_a_cursor")  # a cursor lost: everything again, no change
        [replay] = import_route_a(pg, config)
        assert (replay.fetched, replay.stored) == (12, 0)
        assert route_a_rows(pg) == rows
        with MdmsStore(db) as mdms:
            mdms.add_readings("UM-1", stored(range(6, 7)), T0)
        config_file = tmp_path / "route-a.toml"
        (tmp_path / "acme.token").write_text(TOKEN)
        config_file.write_text(f'[headend]\nurl = "{url}"\ntoken_file = "acme.token"\n')
        assert main(["route-a", "import", "--config", str(config_file), "--db-url", postgres]) == 0
        assert "UM-1 (home h1): 2 readings fetched, 1 half-hours stored" in capsys.readouterr().out
        with MdmsStore(db) as mdms:
            mdms.revoke("UM-1", "acme", "customer h1", T0)
            mdms.add_readings("UM-1", stored(range(7, 8)), T0)
        assert import_route_a(pg, config) == []  # revoked: nothing more arrives
        assert len(route_a_rows(pg)) == 7  # what was shared stays (A5)
        assert (
            pg.execute("SELECT count(*) FROM route_a_reading WHERE meter = 'UM-2'").fetchone()[0]
            == 0
        )


def test_reconciliation_finds_disagreements_and_half_hours_one_route_lacks(
    postgres: str,  # noqa: F811 - the fixture
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with psycopg.connect(postgres, autocommit=True) as pg:
        pg.execute(READING_DDL)
        prepare(pg, [LINK])
        for i in range(6):  # Route A: 00:00 .. 02:30, no reverse energy at 00:30
            reverse = None if i == 1 else energy(i, "energy_reverse")
            pg.execute(
                "INSERT INTO route_a_reading (home, meter, measured_at, energy_normal, "
                "energy_reverse) VALUES ('h1', 'UM-1', %s, %s, %s)",
                (half_hour(i), energy(i, "energy_normal"), reverse),
            )
        route_b = []
        for i in range(8):  # Route B: 00:00 .. 03:30, but not 02:00
            for series in ("energy_normal", "energy_reverse"):
                value = energy(i, series)
                void = i == 3 and series == "energy_reverse"  # the meter had no data
                if i == 2 and series == "energy_normal":
                    value += Decimal("0.1")  # the planted disagreement
                if i != 4:
                    route_b.append((half_hour(i), series, None if void else value, void))
        with pg.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO reading (home, meter, series, measured_at, raw, value, void, "
                "source, seq) VALUES ('h1', 'fe80::1', %s, %s, NULL, %s, %s, 'history', 1)",
                [(series, at, value, void) for at, series, value, void in route_b],
            )
        [result] = reconcile(pg)
        assert (result.start, result.end) == (half_hour(0), half_hour(5))  # the common span
        assert [(m.measured_at, m.series, m.route_a, m.route_b) for m in result.disagreements] == [
            (half_hour(2), "energy_normal", Decimal("101.4"), Decimal("101.5"))
        ]
        assert [(m.measured_at, m.series) for m in result.route_a_only] == [
            (half_hour(3), "energy_reverse"),
            (half_hour(4), "energy_normal"),
            (half_hour(4), "energy_reverse"),
        ]
        assert [(m.measured_at, m.series) for m in result.route_b_only] == [
            (half_hour(1), "energy_reverse")
        ]
        assert result.compared == 12 - 3 - 1  # both routes have it
        assert reconcile(pg, tolerance=Decimal("0.1"))[0].disagreements == []
    (tmp_path / "acme.token").write_text(TOKEN)
    config = tmp_path / "route-a.toml"
    config.write_text(
        '[headend]\nurl = "http://127.0.0.1:1"\ntoken_file = "acme.token"\n\n'
        '[[meter]]\nhome = "h1"\nmeter = "UM-1"\nroute_b = "fe80::1"\n'
    )
    argv = ["route-a", "reconcile", "--config", str(config), "--db-url", postgres, "--json"]
    assert main(argv) == 0
    report = json.loads(capsys.readouterr().out)
    [meter] = report["meters"]
    assert meter["disagreements"] == [
        {"measured_at": "2026-12-03T01:00:00", "series": "energy_normal",
         "route_a": "101.4", "route_b": "101.5"}
    ]  # fmt: skip
    assert len(meter["route_a_only"]) == 3 and len(meter["route_b_only"]) == 1


def test_the_provider_commands_fail_in_one_line(
    postgres: str,  # noqa: F811 - the fixture
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "acme.token").write_text(TOKEN)
    config = tmp_path / "route-a.toml"
    config.write_text('[headend]\nurl = "http://127.0.0.1:1"\ntoken_file = "acme.token"\n')
    cases = [
        (["import", "--db-url", postgres], 1, "cannot reach the head-end"),
        (["reconcile", "--db-url", postgres], 2, "no Route B table 'reading'"),
        (["reconcile", "--db-url", "postgresql://nobody@127.0.0.1:1/x"], 1, "cannot connect"),
        (["reconcile"], 2, "give --db-url"),
        (["reconcile", "--db-url", postgres, "--tolerance", "-1"], 2, "0 or more kWh"),
    ]
    for argv, code, error in cases:
        assert main(["route-a", argv[0], "--config", str(config), *argv[1:]]) == code, argv
        err = capsys.readouterr().err
        assert error in err and len(err.strip().splitlines()) == 1, err
        assert TOKEN not in err
