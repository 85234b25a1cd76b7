"""``hemsnet status`` lists the appliances of the HEMS networks after the meters."""

from __future__ import annotations

import argparse
import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from hemsnet.cli import main, status
from hemsnet.store import Store
from hemsnet.store.model import ApplianceReading
from tests.unit.store.builders import add_meter

SEEN = datetime(2026, 11, 21, 10, 0, 0, 250_000)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hemsnet")
    parser.add_argument("-v", "--verbose", action="count", default=0)
    status.register(parser.add_subparsers(dest="command", required=True))
    return parser


def status_of(
    db: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    *options: str,
) -> list[str]:
    monkeypatch.setattr(main, "build_parser", _parser)
    assert main.main(["status", "--db", str(db), *options]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    return out.splitlines()


def add_appliances(store: Store) -> None:
    battery = store.appliance("fe80::2", "fe80::2", "027D01", SEEN, class_name="Storage battery")
    store.appliance(
        "fe80::2", "fe80::2", "027901", SEEN, class_name="Household solar power generation"
    )
    light = store.appliance("fe80::3", "fe80::3", "029001", SEEN, class_name="General lighting")
    later = SEEN + timedelta(seconds=30)
    store.record_appliance_power(
        [
            ApplianceReading(battery, SEEN, -1200, True, SEEN),
            ApplianceReading(battery, later, -1500, True, later),
        ]
    )
    store.appliance_lost(light)


def test_appliances_follow_the_meters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "hems.db"
    with Store.open(db) as store:
        add_meter(store)
        add_appliances(store)
    lines = status_of(db, monkeypatch, capsys)
    assert lines[0] == "meter 00000001 at fe80::1%veth0"
    start = lines.index("appliances: 3")
    assert lines[start - 1] == ""
    assert lines[start + 1 :] == [
        "  fe80::2  027901  Household solar power generation   reachable    no power read yet",
        "  fe80::2  027D01  Storage battery                    reachable    "
        "-1500 W at 2026-11-21T10:00:30",
        "  fe80::3  029001  General lighting                   unreachable  no power read yet",
    ]


def test_appliances_without_a_meter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "hems.db"
    with Store.open(db) as store:
        add_appliances(store)
    lines = status_of(db, monkeypatch, capsys)
    assert lines[:3] == [f"no meter is recorded in {db}", "", "appliances: 3"]


def test_the_json_lists_the_appliances_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "hems.db"
    with Store.open(db) as store:
        add_meter(store)
        add_appliances(store)
    document = json.loads("\n".join(status_of(db, monkeypatch, capsys, "--json")))
    assert [m["key"] for m in document["meters"]] == ["00000001"]
    battery = next(a for a in document["appliances"] if a["eoj"] == "027D01")
    assert battery == {
        "key": "fe80::2",
        "address": "fe80::2",
        "eoj": "027D01",
        "class": "Storage battery",
        "first_seen": SEEN.isoformat(),
        "last_seen": (SEEN + timedelta(seconds=30)).isoformat(),
        "reachable": True,
        "power_w": -1500,
        "power_at": (SEEN + timedelta(seconds=30)).isoformat(),
    }
    assert [a["reachable"] for a in document["appliances"]] == [True, True, False]
