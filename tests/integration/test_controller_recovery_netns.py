"""``hemsnet controller`` recovering what it missed: lost datagrams, a crash, a meter restart.

As in :mod:`tests.integration.test_controller_netns`, meter and controller run in two network
namespaces at ``--speed 60`` (a 30-minute slot passes in 30 s, the 40/180 s response-wait
timers in under 3 s), and the tests wait on status lines and process exits, never on a delay.
Datagrams are lost with nftables (``numgen random``), as there is no netem here.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import signal
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from hemsnet.metering.gaps import GapStatus
from hemsnet.metering.series import HALF_HOUR, Series
from hemsnet.store import Store
from hemsnet.testbed.netns import Link, Namespaces, run
from tests.integration.test_controller_netns import (
    backfilled,
    controller_args,
    hemsnet,
    meter_args,
    now,
)

pytestmark = pytest.mark.netns

TABLE = "hnt"  # the nftables table the loss rules live in
LOSS_PERCENT = 20
COMPLETE_SERIES = (
    Series.ENERGY_NORMAL,
    Series.ENERGY_REVERSE,
    Series.DEMAND_NORMAL,
    Series.DEMAND_REVERSE,
)
#: The optional properties of reactive energy and power factor (and 0xC2's unit, 0xC7).
REACTIVE_AND_PF = (0xC2, 0xC7, 0xCA, 0xCB, 0xCC, 0xCD, 0xCE, 0xCF, 0xE4)
_BACKFILL_DONE = re.compile(r"backfill done (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)")
_BACKFILL_AT = re.compile(r"backfill (\d+)/(\d+) days")
_SENT = re.compile(r"requests (\d+) sent")


# --- status lines ----------------------------------------------------------------------------


def backfill_done_at(line: str) -> datetime | None:
    """The controller time of ``backfill done <time>`` in a status line, if it says so."""
    found = _BACKFILL_DONE.search(line)
    return None if found is None else datetime.fromisoformat(found.group(1))


def sent(line: str) -> int:
    found = _SENT.search(line)
    return -1 if found is None else int(found.group(1))


def backfilling(line: str) -> bool:
    """A backfill under way, at least two days into it."""
    found = _BACKFILL_AT.search(line)
    return found is not None and 2 <= int(found.group(1)) < int(found.group(2))


# --- helpers ---------------------------------------------------------------------------------


def floor_half_hour(at: datetime) -> datetime:
    return at.replace(minute=at.minute - at.minute % 30, second=0, microsecond=0)


def drop_incoming(netns: str, percent: int) -> None:
    """Drop ``percent`` % of the ECHONET Lite datagrams arriving in ``netns``, at random."""
    run("nft", "add", "table", "inet", TABLE, netns=netns)
    run("nft", "add", "chain", "inet", TABLE, "in",
        "{ type filter hook input priority 0; }", netns=netns)  # fmt: skip
    run("nft", "add", "rule", "inet", TABLE, "in", "udp", "dport", "3610",
        "numgen", "random", "mod", "100", "<", str(percent), "drop", netns=netns)  # fmt: skip


def stop_dropping(netns: str) -> None:
    run("nft", "delete", "table", "inet", TABLE, netns=netns)


def needs_nft() -> None:
    if shutil.which("nft") is None:
        pytest.skip("needs nftables (nft): make sysdeps installs it")


def write_config(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def hemsnet_json(link: Link, command: str, *args: str) -> Any:
    """``hemsnet <command> --json`` run to completion in ``link``'s namespace."""
    out = run(sys.executable, "-m", "hemsnet", command, "--iface", link.iface, "--json",
              "--timeout", "5", *args, netns=link.netns)  # fmt: skip
    return json.loads(out)


def meter_date(ctl_end: Link, meter: str) -> date:
    """The meter's date, from the time stamp of its 0xE2 (not 0x98: the emulator's 0x98
    stays at the date it started on, ``readings.now.date`` bound once in meter/objects.py)."""
    (row,) = hemsnet_json(ctl_end, "get", meter, "028F01", "E2")
    return datetime.fromisoformat(row["value"]["at"]).date()


def meter_day48(ctl_end: Link, meter: str, day: date) -> dict[datetime, int | None]:
    """The meter's own E7 history of ``day`` (E1 set to that day), by measurement time."""
    for _ in range(3):  # the meter's date may turn over between the requests
        today = meter_date(ctl_end, meter)
        offset = (today - day).days
        hemsnet_json(ctl_end, "set", meter, "028F01", f"E1={offset:02X}")
        (row,) = hemsnet_json(ctl_end, "get", meter, "028F01", "E7")
        if meter_date(ctl_end, meter) == today:
            history = row["value"]
            assert history["day"] == offset
            midnight = datetime.combine(day, datetime.min.time())
            return {midnight + i * HALF_HOUR: raw for i, raw in enumerate(history["slots"])}
    raise AssertionError("the meter's date kept changing")


# --- tests -----------------------------------------------------------------------------------


def test_stored_data_complete_with_random_drops(topology: Namespaces, tmp_path: Path) -> None:
    """With 20 % of the datagrams lost each way, the store still ends up complete, and holds
    what the meter's own history says."""
    needs_nft()
    meter_end, ctl_end = topology.link(topology.namespace("meter"), topology.namespace("ctl"))
    for side in (meter_end, ctl_end):
        drop_incoming(side.netns, LOSS_PERCENT)
    db = tmp_path / "hemsnet.db"
    installed = now() - timedelta(hours=3)
    # Each lost datagram costs a response-wait timer (up to 3 s here), so the controller asks
    # for little besides the 30-minute data: its backfill reaches back to the installation
    # day only (not 99 days of "no data"; one day more if the meter's midnight may pass
    # within the 90 minutes of meter time the test may take), a day is asked again after any
    # number of losses (not left for the next pass, 30 s later) with a short back-off, and
    # the instant and minute polls are off. The meter leaves out its optional reactive
    # properties: two history EPCs fewer per day.
    history_days = ((now() + timedelta(minutes=90)).date() - installed.date()).days
    config = write_config(
        tmp_path / "controller.toml",
        "[polling]\ninstant = 0\nminute = 0\n"
        f"[recovery]\nhistory_days = {history_days}\nminute_history_hours = 0\n"
        "history_retries = 100\nretry_base = 1\nretry_max = 1\n",
    )
    meter_config = write_config(
        tmp_path / "meter.toml",
        "[meter.optional]\n" + "".join(f"0x{epc:02X} = false\n" for epc in REACTIVE_AND_PF),
    )

    async def scenario() -> None:
        async with (
            hemsnet(meter_end, "meter", *meter_args(installed, "--config", str(meter_config))),
            hemsnet(ctl_end, "controller", *controller_args(db, "--config", str(config))) as ctl,
        ):
            await ctl.wait_for_line(backfilled, 90)
            assert await ctl.stop() == 0
            for side in (meter_end, ctl_end):
                stop_dropping(side.netns)
            check_store(db, floor_half_hour(installed), ctl_end, meter_end.address)

    asyncio.run(scenario())


def check_store(db: Path, first: datetime, ctl_end: Link, meter_address: str) -> None:
    """The store is complete from ``first`` (the installation half-hour) to its latest
    reading, and its energy readings are those of the meter's own E7 history."""
    with Store.open(db) as store:
        (meter,) = store.meters()
        assert store.stats(meter.id).timed_out > 0  # datagrams were lost
        assert store.gaps(meter.id, GapStatus.OPEN) == []
        for series in COMPLETE_SERIES:
            latest = store.latest(meter.id, series)
            assert latest is not None, series
            # A demand is the average of the half-hour before: none for the first instant.
            start = first if series.unit == "kWh" else first + HALF_HOUR
            end = latest.measured_at + HALF_HOUR
            assert store.missing_half_hours(meter.id, series, start, end) == [], series
        latest = store.latest(meter.id, Series.ENERGY_NORMAL)
        assert latest is not None
        midnight = datetime.combine(first.date(), datetime.min.time())
        stored = store.readings(
            meter.id, Series.ENERGY_NORMAL, midnight, latest.measured_at + HALF_HOUR
        )
    compared = 0
    for day in sorted({r.measured_at.date() for r in stored}):
        answered = meter_day48(ctl_end, meter_address, day)
        mine = {r.measured_at: r.raw for r in stored if r.measured_at.date() == day}
        assert mine == {at: answered[at] for at in mine}, day
        compared += sum(1 for raw in mine.values() if raw is not None)
    assert compared >= 6


def test_sigkill_in_the_middle_of_a_backfill_then_restart(
    topology: Namespaces, tmp_path: Path
) -> None:
    """A controller killed mid-backfill leaves a consistent store, and its successor on the
    same file fetches only the rest: one meter, every half-hour once, no open gap."""
    meter_end, ctl_end = topology.link(topology.namespace("meter"), topology.namespace("ctl"))
    db = tmp_path / "hemsnet.db"
    installed = now() - timedelta(days=8)
    # Each answer 0.5 s late in meter time (8 ms real): the 8-day backfill takes seconds,
    # long enough to be killed in the middle of it (two days in, of nine).
    meter = meter_args(installed, "--delay", "0.5")
    start = floor_half_hour(installed) + HALF_HOUR

    async def scenario() -> None:
        async with hemsnet(meter_end, "meter", *meter):
            async with hemsnet(ctl_end, "controller", *controller_args(db)) as first:
                await first.wait_for_line(backfilling)
                first.proc.kill()
                assert await first.stop() == -signal.SIGKILL
                assert not any(backfill_done_at(line) for line in first.lines)
                with Store.open(db) as store:  # the oldest days are still to come
                    (row,) = store.meters()
                    first_day = (start, start + timedelta(days=1))
                    assert store.missing_half_hours(row.id, Series.ENERGY_NORMAL, *first_day)
            async with hemsnet(ctl_end, "controller", *controller_args(db)) as second:
                await second.wait_for_line(backfilled)
                assert await second.stop() == 0

    asyncio.run(scenario())
    with Store.open(db) as store:
        (meter_row,) = store.meters()
        assert meter_row.key == meter_end.address
        latest = store.latest(meter_row.id, Series.ENERGY_NORMAL)
        assert latest is not None
        end = latest.measured_at + HALF_HOUR
        readings = store.readings(meter_row.id, Series.ENERGY_NORMAL, start, end)
        assert len(readings) == len({r.measured_at for r in readings})
        for series in COMPLETE_SERIES:
            assert store.missing_half_hours(meter_row.id, series, start, end) == [], series
        assert store.gaps(meter_row.id, GapStatus.OPEN) == []


def test_the_meter_restarting(topology: Namespaces, tmp_path: Path) -> None:
    """The meter stops (saving its state) and comes back: the controller notices its new
    0xD5, re-reads its attributes, runs a recovery pass, and the record has no hole."""
    meter_end, ctl_end = topology.link(topology.namespace("meter"), topology.namespace("ctl"))
    db = tmp_path / "hemsnet.db"
    state = tmp_path / "meter.json"
    installed = now() - timedelta(hours=6)
    # The restarted meter reports another production number (0x8D): the controller stores a
    # new version of it only if it re-read the attributes because of the restart (its own
    # refresh is daily).
    renumbered = write_config(
        tmp_path / "meter.toml", '[meter]\nproduction_number = "HEMSNET00002"\n'
    )
    meter = meter_args(installed, "--state", str(state))

    async def scenario() -> None:
        async with hemsnet(ctl_end, "controller", *controller_args(db)) as ctl:
            async with hemsnet(meter_end, "meter", *meter) as before:
                line = await ctl.wait_for_line(backfilled)
                assert await before.stop() == 0
            assert state.exists()
            done_before = backfill_done_at(line)
            sent_before = sent(line)
            assert done_before is not None
            with Store.open(db) as store:
                (row,) = store.meters()

                def recovered(text: str) -> bool:
                    history = store.attribute_history(row.id, 0x8D)
                    done = backfill_done_at(text)
                    return (
                        history[-1].edt == b"HEMSNET00002"
                        and done is not None
                        and done > done_before
                        and done >= history[-1].valid_from.replace(microsecond=0)
                        and sent(text) > sent_before
                        and "gaps 0 open" in text
                    )

                async with hemsnet(meter_end, "meter", *meter, "--config", str(renumbered)):
                    await ctl.wait_for_line(recovered)
                    assert await ctl.stop() == 0

    asyncio.run(scenario())
    start = floor_half_hour(installed) + HALF_HOUR
    with Store.open(db) as store:
        (meter_row,) = store.meters()
        versions = [v.edt for v in store.attribute_history(meter_row.id, 0x8D)]
        assert versions == [b"HEMSNET00001", b"HEMSNET00002"]
        assert store.gaps(meter_row.id, GapStatus.OPEN) == []
        for series in COMPLETE_SERIES:
            latest = store.latest(meter_row.id, series)
            assert latest is not None
            end = latest.measured_at + HALF_HOUR
            assert store.missing_half_hours(meter_row.id, series, start, end) == [], series
