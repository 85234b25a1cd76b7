"""A small real home for the Route C tests: the controller's store and its uplink in one
process, against a real broker.

``python -m tests.integration.routec_home DB CONFIG TOTAL`` stores half-hourly readings, 50 per
transaction, until the store holds TOTAL (so a restarted home goes on where it stopped), while
:class:`~hemsnet.uplink.routec.RouteCUplink` sends them with ``[routec]`` of CONFIG. It runs
until SIGTERM (exit 0) or SIGKILL. Each record is one reading: seq n is reading n.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Final

from hemsnet.aio.services import run_together
from hemsnet.cli.common import run_until_signalled
from hemsnet.metering.series import Series, Source
from hemsnet.store import Store
from hemsnet.store.model import Reading
from hemsnet.tomlconfig import read_toml
from hemsnet.uplink.routec import RouteCUplink
from hemsnet.uplink.routec_config import parse_routec

T0: Final = datetime(2026, 1, 1)
HALF: Final = timedelta(minutes=30)
PER_TRANSACTION: Final = 50


def main(db: Path, config_path: Path, total: int) -> None:
    config = parse_routec(read_toml(config_path), str(config_path))
    store = Store.open(db)
    meter = store.meter("fe80::1", "fe80::1%eth1", T0)
    uplink = RouteCUplink(
        config, db, clock=datetime.now, report=lambda line: print(line, flush=True)
    )

    def store_more(done: int) -> int:
        count = min(PER_TRANSACTION, total - done)
        store.record(
            Reading(meter, Series.ENERGY_NORMAL, T0 + n * HALF, n, Decimal(n), Source.HISTORY, T0)
            for n in range(done, done + count)
        )
        return done + count

    async def produce(stop: asyncio.Event) -> None:
        done = len(store.readings(meter, Series.ENERGY_NORMAL, T0, T0 + total * HALF))
        while done < total and not stop.is_set():
            done = await asyncio.to_thread(store_more, done)
        print(f"routec_home: {done} readings stored", flush=True)
        await stop.wait()

    try:
        run_until_signalled(lambda stop: run_together([uplink.run, produce], stop))
    finally:
        store.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]))
