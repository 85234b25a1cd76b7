"""A crash loses nothing acknowledged: SIGKILL a writer at random moments, then check."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from hemsnet.metering.series import MINUTE, Series
from hemsnet.store import Store
from tests.unit.store.builders import T0

# Records batches of one-minute readings (reading n has raw n, at T0 + n minutes) and prints
# the last n of a batch as soon as record() has returned: that is the acknowledgement.
WRITER = """
import sys
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from hemsnet.metering.series import Series, Source
from hemsnet.store import Store
from hemsnet.store.model import Reading

start = datetime.fromisoformat(sys.argv[3])
store = Store.open(Path(sys.argv[1]))
meter_id = store.meter("crash", "fe80::1", start)
batch, n = int(sys.argv[2]), 0
while True:
    store.record(
        Reading(meter_id, Series.MINUTE_ENERGY_NORMAL, start + timedelta(minutes=i), i,
                Decimal(i) / 10, Source.POLL, start)
        for i in range(n, n + batch)
    )
    n += batch
    print(n - 1, flush=True)
"""


@pytest.mark.parametrize("seed", range(5))
def test_every_acknowledged_reading_survives_a_kill(tmp_path: Path, seed: int) -> None:
    draw = random.Random(seed)
    path = tmp_path / "hems.db"
    batch, wanted = draw.choice((1, 7, 50)), draw.randint(1, 60)
    acknowledged: list[int] = []
    with subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), str(batch), T0.isoformat()],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as writer:
        assert writer.stdout is not None and writer.stderr is not None
        for line in writer.stdout:  # the writer goes on writing while we read
            acknowledged.append(int(line))
            if len(acknowledged) == wanted:
                break
        os.kill(writer.pid, signal.SIGKILL)
        # What it printed before it died was acknowledged too (some of it is in our buffer).
        acknowledged += [int(line) for line in writer.stdout.read().splitlines()]
        errors = writer.stderr.read()
    assert writer.returncode == -signal.SIGKILL, errors
    assert len(acknowledged) >= wanted, errors
    last = acknowledged[-1]

    with Store.open(path) as store:
        (meter,) = store.meters()
        stored = store.readings(meter.id, Series.MINUTE_ENERGY_NORMAL, T0, T0 + MINUTE * (last + 1))
        assert [(r.raw, r.value) for r in stored] == [(n, Decimal(n) / 10) for n in range(last + 1)]
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
