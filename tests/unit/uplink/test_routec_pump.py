"""The Route C pump in virtual time over a real SQLite store: a lost batch sent again, a week
of WAN outage with the backlog bounded and the loss told, a restart, progress lines."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from hemsnet.store import Store
from hemsnet.store.outbox import Outbox
from hemsnet.uplink.config import Broker
from hemsnet.uplink.routec_config import RouteCConfig
from hemsnet.uplink.routec_pump import Pump
from tests.unit.store.builders import ARRIVED, T0, reading

HOUR = 3600.0
WEEK = 7 * 24 * HOUR
STAMP = "2026-12-04T10:00:00"
CONFIG = RouteCConfig(
    Broker("provider", 8883, True, "h1", "pw"),
    "h1",
    batch_size=100,
    window=4,
    ack_timeout=30.0,
    max_backlog=2000,
)


@dataclass
class Provider:
    """Plays the provider: takes each batch, acknowledges it at the next tick (unless told to
    lose one), and keeps what arrived."""

    seqs: set[int] = field(default_factory=set)
    records: list[dict[str, Any]] = field(default_factory=list)
    batches: int = 0
    lose: int = 0  # batches to take without acknowledging (a worker dies holding them)

    def take(self, payloads: list[bytes]) -> list[bytes]:
        acks = []
        for payload in payloads:
            batch = json.loads(payload)
            assert batch["home"] == "h1" and batch["v"] == 1
            assert [r["seq"] for r in batch["records"]] == sorted(
                r["seq"] for r in batch["records"]
            )
            self.batches += 1
            if self.lose:
                self.lose -= 1
                continue
            for record in batch["records"]:
                if record["seq"] not in self.seqs:
                    self.seqs.add(record["seq"])
                    self.records.append(record)
            ack = {"v": 1, "first": batch["first"], "last": batch["last"]}
            acks.append(json.dumps(ack).encode())
        return acks


@dataclass
class Home:
    store: Store
    outbox: Outbox
    meter: int
    lines: list[tuple[float, str]] = field(default_factory=list)
    stored: int = 0

    def pump(self) -> Pump:
        return Pump(self.outbox, CONFIG, self.report)

    def report(self, line: str) -> None:
        self.lines.append((self.now, line))

    now: float = 0.0

    def readings(self, count: int) -> None:
        """``count`` more half-hourly energy readings (one record each)."""
        half = timedelta(minutes=30)
        self.store.record(
            [reading(self.meter, n, T0 + n * half) for n in range(self.stored, self.stored + count)]
        )
        self.stored += count


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Home]:
    with Store.open(tmp_path / "hems.db") as store, Outbox.open(store.path) as outbox:
        outbox.enable(True)
        yield Home(store, outbox, store.meter("m", "fe80::1", ARRIVED))


def run(home: Home, pump: Pump, provider: Provider, until: float, step: float, **kw: int) -> None:
    acks: list[bytes] = []
    while home.now < until:
        acks = provider.take(pump.tick(home.now, STAMP, acks=acks, **kw))
        home.now += step
    pump.tick(home.now, STAMP, acks=acks, **kw)


def test_a_batch_the_provider_lost_is_sent_again_after_the_ack_timeout(home: Home) -> None:
    pump, provider = home.pump(), Provider(lose=1)
    home.readings(150)
    run(home, pump, provider, 29.0, 1.0, connection=1)
    assert (provider.batches, len(provider.seqs), pump.resent) == (2, 50, 0)
    run(home, pump, provider, 31.0, 1.0, connection=1)
    assert (provider.batches, len(provider.seqs), pump.resent) == (3, 150, 1)
    assert home.outbox.watermark() == 150 and home.outbox.backlog() == 0


def test_a_week_without_wan_keeps_the_backlog_bounded_and_loses_only_what_it_says(
    home: Home,
) -> None:
    pump, provider = home.pump(), Provider()
    home.readings(60)
    run(home, pump, provider, 60.0, 1.0, connection=1)  # an hour's worth, sent and acked
    assert home.outbox.watermark() == 60 and provider.seqs == set(range(1, 61))
    highest = 0
    while home.now < WEEK:  # the WAN is away: 60 records an hour, a week long (10,080)
        home.readings(60)
        home.now += HOUR
        assert pump.tick(home.now, STAMP, connection=0) == []
        highest = max(highest, home.outbox.backlog())
    assert highest <= CONFIG.max_backlog
    pump = home.pump()  # and the controller restarted meanwhile: the window is gone
    run(home, pump, provider, home.now + 120.0, 20.0, connection=2)
    assert home.outbox.backlog() == 0 and not pump.window.batches
    last = home.outbox.watermark()
    dropped = [r for r in provider.records if r["kind"] == "dropped"]
    lost = set(range(1, last + 1)) - provider.seqs
    assert lost and sum(r["count"] for r in dropped) == len(lost)
    assert all(any(d["first"] <= s <= d["last"] for d in dropped) for s in lost)
    assert len(dropped) == len([line for _, line in home.lines if "dropped the" in line])
    # What was kept is the newest: the last 1,800 readings of the week all arrived.
    readings = sorted(r["raw"] for r in provider.records if r["kind"] == "reading")
    assert readings[-1800:] == list(range(home.stored - 1800, home.stored))
    progress = [(t, line) for t, line in home.lines if "records to send" in line]
    assert len(progress) == 2  # 2,000 records at 400 per tick, a tick every 20 s
    assert progress[1][0] - progress[0][0] >= 60.0
    assert home.lines[-1][1] == f"uplink: caught up (acknowledged up to seq {last})"


def test_nothing_is_sent_while_offline_and_a_new_connection_resends_what_waits(
    home: Home,
) -> None:
    pump, provider = home.pump(), Provider(lose=4)
    home.readings(400)
    run(home, pump, provider, 5.0, 1.0, connection=1)  # the four batches vanish unacked
    assert provider.batches == 4
    run(home, pump, provider, 500.0, 1.0, connection=0)
    assert provider.batches == 4  # no timeouts counted while offline
    run(home, pump, provider, 529.0, 1.0, connection=2)
    assert provider.batches == 4  # the link sends what it held; the timers start again
    run(home, pump, provider, 531.0, 1.0, connection=2)
    assert provider.batches == 8 and provider.seqs == set(range(1, 401))


def test_bad_acks_are_one_log_line_each_and_change_nothing(
    home: Home, caplog: pytest.LogCaptureFixture
) -> None:
    pump = home.pump()
    home.readings(10)
    (batch,) = pump.tick(0.0, STAMP, connection=1)
    bad = [b"{", b'{"v":1,"first":1,"last":99}', b'{"v":1,"first":2,"last":10}']
    assert pump.tick(1.0, STAMP, connection=1, acks=bad) == []
    assert [r.getMessage() for r in caplog.records] == [
        "uplink: ack ignored: not JSON",
        "uplink: ack ignored: acknowledges up to 99, beyond the 10 sent",
        "uplink: ack ignored: range 2..10 holds no whole batch in flight",
    ]
    assert home.outbox.watermark() == 0 and json.loads(batch)["last"] == 10


def test_a_watermark_the_disk_refused_is_written_at_the_next_tick(
    home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    pump, provider = home.pump(), Provider()
    home.readings(10)
    acks = provider.take(pump.tick(0.0, STAMP, connection=1))
    real = home.outbox.acknowledge

    def full_disk(upto: int) -> None:
        monkeypatch.setattr(home.outbox, "acknowledge", real)
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(home.outbox, "acknowledge", full_disk)
    with pytest.raises(sqlite3.OperationalError):
        pump.tick(1.0, STAMP, connection=1, acks=acks)
    assert home.outbox.watermark() == 0
    assert pump.tick(2.0, STAMP, connection=1) == []
    assert home.outbox.watermark() == 10 and home.outbox.backlog() == 0


def test_no_ack_is_overdue_while_the_link_is_still_sending(home: Home) -> None:
    pump, provider = home.pump(), Provider(lose=1)
    home.readings(10)
    provider.take(pump.tick(0.0, STAMP, connection=1))
    assert pump.tick(100.0, STAMP, connection=1, link_busy=True) == []  # a slow WAN
    assert pump.tick(129.0, STAMP, connection=1) == []
    assert len(pump.tick(130.0, STAMP, connection=1)) == 1 and pump.resent == 1
