"""Opening a store: migrations, durability settings, and the files it refuses."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from hemsnet.errors import ConfigError
from hemsnet.metering.series import HALF_HOUR, Series
from hemsnet.store import Store, schema
from tests.unit.store.builders import T0, add_meter, reading
from tests.unit.test_architecture import SOURCES, imported_names

TABLES = {"meter", "reading", "attribute", "gap", "fault", "request_count"}
TABLES |= {"appliance", "appliance_reading", "request_hour", "wisun_pan"}
TABLES |= {"wire_event", "register_restart"}
TABLES |= {"control_action", "control_override", "dr_event"}
TABLES |= {"outbox", "outbox_state", "sqlite_sequence"}


def _tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as db:
        return {
            name for (name,) in db.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")
        }


def _user_version(path: Path) -> int:
    with sqlite3.connect(path) as db:
        (found,) = db.execute("PRAGMA user_version").fetchone()
    return int(found)


def test_a_new_file_gets_the_whole_schema_and_its_version(tmp_path: Path) -> None:
    path = tmp_path / "hems.db"
    Store.open(path).close()
    assert _tables(path) == TABLES
    assert _user_version(path) == len(schema.MIGRATIONS)


def test_reopening_keeps_the_data_and_migrates_nothing_again(tmp_path: Path) -> None:
    path = tmp_path / "hems.db"
    with Store.open(path) as store:
        meter_id = add_meter(store)
        store.record([reading(meter_id, 123456)])
    with Store.open(path) as store:
        (stored,) = store.readings(meter_id, Series.ENERGY_NORMAL, T0, T0 + HALF_HOUR)
        assert stored.raw == 123456
        assert [m.key for m in store.meters()] == ["00000001"]
    assert _user_version(path) == len(schema.MIGRATIONS)


def test_migrations_apply_in_order_from_the_stored_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "hems.db"
    Store.open(path).close()
    later = "CREATE TABLE note (text TEXT NOT NULL) STRICT;"
    monkeypatch.setattr(schema, "MIGRATIONS", (*schema.MIGRATIONS, later))
    Store.open(path).close()
    assert _tables(path) == TABLES | {"note"}
    assert _user_version(path) == len(schema.MIGRATIONS)


def test_a_failing_migration_leaves_the_previous_version_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "hems.db"
    Store.open(path).close()
    broken = "CREATE TABLE note (text TEXT) STRICT; INSERT INTO missing VALUES (1);"
    monkeypatch.setattr(schema, "MIGRATIONS", (*schema.MIGRATIONS, broken))
    with pytest.raises(ConfigError, match="no such table: missing"):
        Store.open(path)
    assert _tables(path) == TABLES  # the CREATE before the failure was rolled back
    assert _user_version(path) == len(schema.MIGRATIONS) - 1
    # migrate() itself leaves the connection usable, with no transaction left open.
    with sqlite3.connect(path, isolation_level=None) as db:
        with pytest.raises(sqlite3.OperationalError):
            schema.migrate(db)
        assert not db.in_transaction
        assert schema.version(db) == len(schema.MIGRATIONS) - 1


def test_a_database_from_a_newer_hemsnet_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "hems.db"
    newer = len(schema.MIGRATIONS) + 1
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {newer}")
    with pytest.raises(ConfigError, match=f"schema version {newer}, newer than"):
        Store.open(path)
    assert _tables(path) == set()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("delete",)


def test_a_file_that_is_not_sqlite_is_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("readings, written by hand\n" * 40)
    with pytest.raises(ConfigError, match=r"notes\.txt is not a SQLite database"):
        Store.open(path)
    assert path.read_text() == "readings, written by hand\n" * 40


def test_a_path_that_cannot_be_opened_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"cannot open the database .*absent"):
        Store.open(tmp_path / "absent" / "hems.db")


def test_durability_settings(tmp_path: Path) -> None:
    path = tmp_path / "hems.db"
    with Store.open(path) as store:
        db = store._db  # the settings of the store's own connection are what matter
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert db.execute("PRAGMA synchronous").fetchone() == (2,)  # FULL
        assert db.execute("PRAGMA foreign_keys").fetchone() == (1,)
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)  # kept in the file


def test_the_store_does_not_import_asyncio() -> None:
    stored = [source for source in SOURCES if source.package == "store"]
    assert stored
    for source in stored:
        assert "asyncio" not in {name.split(".")[0] for name in imported_names(source)}
