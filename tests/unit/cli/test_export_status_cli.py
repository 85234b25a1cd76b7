"""``hemsnet export`` and ``hemsnet status``: output, errors and exit codes.

The commands run through the real ``main`` (its error handling and exit codes) with a parser
that registers them, as ``cli/main.py`` will.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from hemsnet.cli import export, main, status
from hemsnet.devices.units import Scale
from hemsnet.metering.gaps import GapStatus
from hemsnet.metering.series import HALF_HOUR, Series
from hemsnet.store import Store
from hemsnet.store.outbox import Outbox
from tests.unit.store.builders import ARRIVED, T0, add_exported_meter, add_meter, reading

Run = Callable[..., tuple[int, str, str]]
KW = Scale(0x02)  # C5: 0.01 kW
CSV = """\
time,energy_normal_kwh,energy_reverse_kwh,demand_normal_kw,demand_reverse_kw
2026-11-14T00:30:00,0.8,,0.16,
2026-11-14T01:00:00,0.7,,0.20,
2026-11-14T01:30:00,0.7,,0.14,
2026-11-14T02:00:00,,,,
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hemsnet")
    parser.add_argument("-v", "--verbose", action="count", default=0)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    export.register(commands)
    status.register(commands)
    return parser


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Run:
    monkeypatch.setattr(main, "build_parser", _parser)

    def invoke(*argv: str) -> tuple[int, str, str]:
        code = main.main([str(arg) for arg in argv])
        out, err = capsys.readouterr()
        return code, out, err

    return invoke


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "hems.db"
    with Store.open(path) as store:
        add_exported_meter(store)
    return path


def _export(db: Path, *extra: str) -> list[str]:
    return [
        "export",
        "--db",
        str(db),
        "--from",
        "2026-11-14T00:00",  # the half-hours ending 00:30 ... 02:00
        "--to",
        "2026-11-14T02:00",
        *extra,
    ]


def test_export_csv_across_a_counter_wrap(run: Run, db: Path) -> None:
    code, out, err = run(
        *_export(db, "--quantity", "energy", "--quantity", "demand", "--format", "csv")
    )
    assert (code, out, err) == (0, CSV, "")


def test_export_json_has_the_same_fields_and_null_for_no_data(run: Run, db: Path) -> None:
    code, out, _ = run(
        *_export(db, "--quantity", "energy", "--quantity", "demand", "--format", "json")
    )
    assert code == 0
    rows = json.loads(out)
    assert rows[0] == {
        "time": "2026-11-14T00:30:00",
        "energy_normal_kwh": "0.8",
        "energy_reverse_kwh": None,
        "demand_normal_kw": "0.16",
        "demand_reverse_kw": None,
    }
    assert [list(row) for row in rows] == [CSV.splitlines()[0].split(",")] * 4
    assert rows[-1] == dict.fromkeys(rows[-1]) | {"time": "2026-11-14T02:00:00"}


def test_export_to_a_file(run: Run, db: Path, tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    argv = _export(db, "--quantity", "energy", "--quantity", "demand", "--format", "csv")
    assert run(*argv, "--output", target) == (0, "", "")
    assert target.read_text() == CSV


def test_export_to_an_unwritable_place_is_one_line(run: Run, db: Path, tmp_path: Path) -> None:
    argv = _export(db, "--quantity", "demand", "--format", "csv", "--output", tmp_path / "no" / "x")
    code, _, err = run(*argv)
    assert code == 2
    assert (
        err == f"hemsnet export: cannot write {tmp_path / 'no' / 'x'}: No such file or directory\n"
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"--quantity": "power"},
            "unknown quantity 'power'; choose from energy, demand, reactive, minute, cumulative",
        ),
        ({"--from": "2026-11-15"}, "--from 2026-11-15 is after --to 2026-11-14T02:00"),
        ({"--to": "noon"}, "--to 'noon' is not an ISO date-time"),
        ({"--from": "2026-11-14T00:00+09:00"}, "the time is local, give no UTC offset"),
    ],
)
def test_export_argument_errors_are_one_line_and_exit_2(
    run: Run, db: Path, change: dict[str, str], message: str
) -> None:
    options = {"--db": str(db), "--from": "2026-11-14", "--to": "2026-11-14T02:00"}
    options |= {"--quantity": "energy", "--format": "csv"} | change
    code, out, err = run("export", *[part for pair in options.items() for part in pair])
    assert (code, out) == (2, "")
    assert err.startswith("hemsnet export: ") and message in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_a_missing_database_is_one_line_and_exit_2(run: Run, tmp_path: Path) -> None:
    missing = tmp_path / "absent.db"
    code, _, err = run(*_export(missing, "--quantity", "energy", "--format", "csv"))
    assert (code, err) == (2, f"hemsnet export: no database at {missing}\n")
    assert not missing.exists()  # a reading command creates nothing
    assert run("status", "--db", missing) == (2, "", f"hemsnet status: no database at {missing}\n")


def test_a_file_that_is_not_a_database_is_named(run: Run, tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not a database\n" * 50)
    code, _, err = run("status", "--db", notes)
    assert code == 2
    assert err.startswith(f"hemsnet status: {notes} is not a SQLite database")


def test_several_meters_need_meter_and_the_error_lists_them(run: Run, db: Path) -> None:
    with Store.open(db) as store:
        add_meter(store, "00000002")
    code, _, err = run(*_export(db, "--quantity", "demand", "--format", "csv"))
    assert code == 2
    assert err == (
        f"hemsnet export: {db} holds several meters, choose one with --meter: 00000001, 00000002\n"
    )
    code, out, _ = run(
        *_export(db, "--quantity", "demand", "--format", "csv", "--meter", "00000001")
    )
    assert (code, out.splitlines()[1]) == (0, "2026-11-14T00:30:00,0.16,")
    code, _, err = run(*_export(db, "--quantity", "demand", "--format", "csv", "--meter", "42"))
    assert (code, err) == (
        2,
        f"hemsnet export: no meter '42' in {db}; the meters are: 00000001, 00000002\n",
    )


def test_energy_without_the_attributes_it_needs_is_an_error(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "hems.db"
    with Store.open(path) as store:
        store.meter("bare", "fe80::1", ARRIVED)
    code, _, err = run(*_export(path, "--quantity", "energy", "--format", "csv"))
    assert code == 2
    assert err == (
        "hemsnet export: energy_normal_kwh needs 0xE5, 0xE6, 0xD3, 0xD4, "
        "never recorded for this meter\n"
    )


def test_export_help_names_every_quantity(run: Run, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        run("export", "--help")
    assert exit_.value.code == 0
    text = capsys.readouterr().out
    for name in ("energy", "demand", "reactive", "minute", "cumulative"):
        assert f"  {name} " in text
    assert "--from ISO" in text and "--output FILE" in text


@pytest.fixture
def busy_db(db: Path) -> Path:
    """The export meter with a gap of each status, faults, counters and an absent EPC."""
    with Store.open(db) as store:
        (meter,) = store.meters()
        store.record([reading(meter.id, 17, T0 + 4 * HALF_HOUR, Series.DEMAND_NORMAL, scale=KW)])
        filled = store.open_gap(meter.id, Series.DEMAND_NORMAL, T0, T0 + 5 * HALF_HOUR, ARRIVED)
        store.open_gap(
            meter.id, Series.ENERGY_NORMAL, T0 + 4 * HALF_HOUR, T0 + 5 * HALF_HOUR, ARRIVED
        )
        lost = store.open_gap(meter.id, Series.ENERGY_REVERSE, T0, T0 + HALF_HOUR, ARRIVED)
        store.record([reading(meter.id, 16, T0, Series.DEMAND_NORMAL, scale=KW)])
        store.close_gap(filled.id, ARRIVED)
        store.mark_unrecoverable(lost.id, ARRIVED)
        store.fault_started(meter.id, T0.replace(hour=5))
        store.fault_ended(meter.id, T0.replace(hour=6))
        store.fault_started(meter.id, T0.replace(hour=7))
        store.count(meter.id, sent=10, answered=8, timed_out=2, foreign_dropped=1)
        for hour, sent in ((9, 180), (10, 362), (11, 175), (12, 40)):
            store.count(meter.id, T0.replace(hour=hour, minute=5), sent=sent)
        store.mark_absent(meter.id, 0xC7, ARRIVED)
        store.mark_absent(meter.id, 0xEB, ARRIVED)
        assert [g.status for g in store.gaps(meter.id)] == [
            GapStatus.FILLED,
            GapStatus.OPEN,
            GapStatus.UNRECOVERABLE,
        ]
    return db


def test_status_text(run: Run, busy_db: Path) -> None:
    code, out, err = run("status", "--db", busy_db)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[:2] == [
        "meter 00000001 at fe80::1%veth0",
        "  seen 2026-11-14T00:03:07.250000 .. 2026-11-14T01:33:07.250000",  # the last arrival,
    ]
    assert (
        "    demand_normal                5 stored    0 void  latest 2026-11-14T02:00:00 0.17 kW"
        in lines
    )
    assert (
        "    energy_normal                4 stored    0 void  latest 2026-11-14T01:30:00 1.2 kWh"
        in lines
    )
    assert "    energy_reverse               0 stored    4 void  no real reading" in lines
    assert "  gaps: 2 open or unrecoverable, 1 filled" in lines
    assert "    open          energy_normal 2026-11-14T02:00:00 .. 2026-11-14T02:30:00" in lines
    assert "    unrecoverable energy_reverse 2026-11-14T00:00:00 .. 2026-11-14T00:30:00" in lines
    assert "  faults: 2" in lines
    assert "    2026-11-14T05:00:00 .. 2026-11-14T06:00:00" in lines
    assert "    2026-11-14T07:00:00 .. (open)" in lines
    assert (
        "  requests: sent 767, answered 8, refused 0, timed_out 2, late_discarded 0, "
        "foreign_dropped 1, malformed 0, unsolicited 0, rejected 0, disputed 0" in lines
    )
    assert (
        "  requests per hour: 175 in the last whole hour (2026-11-14 11:00), at most 362 "
        "(2026-11-14 10:00); one per 10 s is 360" in lines
    )
    assert "    0xD3  Coefficient: 1" in lines
    assert "    0xE5  Number of effective digits for active electric energy: 6 digits" in lines
    assert "    0xE6  Unit for cumulative active electric energy: unit 0.1 kWh" in lines
    assert "    0xC7  absent (Get_SNA)" in lines
    assert "    0xEB  absent (Get_SNA of a mandatory property, asked again daily)" in lines


def test_status_json(run: Run, busy_db: Path) -> None:
    code, out, _ = run("status", "--db", busy_db, "--json")
    assert code == 0
    document = json.loads(out)
    assert document["appliances"] == []
    (meter,) = document["meters"]
    assert (meter["key"], meter["address"]) == ("00000001", "fe80::1%veth0")
    assert meter["series"]["demand_normal"] == {
        "stored": 5,
        "void": 0,
        "latest": {
            "time": "2026-11-14T02:00:00",
            "value": "0.17",
            "unit": "kW",
            "raw": 17,
            "source": "notification",
        },
    }
    assert meter["series"]["energy_reverse"] == {"stored": 0, "void": 4, "latest": None}
    assert meter["gaps"] == {
        "open": [
            {
                "series": "energy_normal",
                "start": "2026-11-14T02:00:00",
                "end": "2026-11-14T02:30:00",
            }
        ],
        "unrecoverable": [
            {
                "series": "energy_reverse",
                "start": "2026-11-14T00:00:00",
                "end": "2026-11-14T00:30:00",
            }
        ],
    }
    assert meter["gaps_filled"] == 1
    assert meter["faults"] == [
        {"start": "2026-11-14T05:00:00", "end": "2026-11-14T06:00:00", "open": False},
        {"start": "2026-11-14T07:00:00", "end": None, "open": True},
    ]
    assert meter["requests_per_hour"][:2] == [
        {"hour": "2026-11-14T09:00:00", "sent": 180},
        {"hour": "2026-11-14T10:00:00", "sent": 362},
    ]
    assert meter["requests"] == {
        "sent": 767,
        "answered": 8,
        "refused": 0,
        "timed_out": 2,
        "late_discarded": 0,
        "foreign_dropped": 1,
        "malformed": 0,
        "unsolicited": 0,
        "rejected": 0,
        "disputed": 0,
    }
    by_epc = {a["epc"]: a for a in meter["attributes"]}
    assert by_epc["0xE6"]["value"] == 1 and by_epc["0xE6"]["text"] == "unit 0.1 kWh"
    assert by_epc["0xD3"]["value"] == 1
    assert meter["absent"] == ["0xC7", "0xEB"]


def test_status_of_an_empty_database(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "hems.db"
    Store.open(path).close()
    assert run("status", "--db", path) == (0, f"no meter is recorded in {path}\n", "")
    routec = {"enabled": False, "acked": 0, "waiting": 0}
    empty = json.dumps({"meters": [], "appliances": [], "routec": routec}, indent=2)
    assert run("status", "--db", path, "--json") == (0, f"{empty}\n", "")
    code, _, err = run(*_export(path, "--quantity", "energy", "--format", "csv"))
    assert (code, err) == (2, f"hemsnet export: no meter is recorded in {path}\n")


def test_status_shows_the_route_c_outbox_once_it_was_on(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "hems.db"
    with Store.open(path) as store, Outbox.open(path) as outbox:
        outbox.enable(True)
        meter = add_meter(store, attributes={})
        store.record([reading(meter, n, T0 + n * timedelta(minutes=30)) for n in range(1500)])
        outbox.acknowledge(400)
    code, out, _ = run("status", "--db", path)
    assert (code, out.splitlines()[-1]) == (
        0,
        "Route C (on): 1,100 records waiting for the provider, acknowledged up to seq 400",
    )
    code, out, _ = run("status", "--db", path, "--json")
    assert json.loads(out)["routec"] == {"enabled": True, "acked": 400, "waiting": 1100}
