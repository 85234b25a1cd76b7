"""The disk fills under a running controller (decision C50): it keeps talking to the meter,
keeps what it cannot write, says so once, and catches up when space returns, losing nothing.

Meter and controller run in two network namespaces at ``--speed 60`` as in
:mod:`tests.integration.test_controller_netns`; the store lives on a tmpfs of a few megabytes
that a file fills to the last byte. The test waits on status lines, never on a delay.
"""

from __future__ import annotations

import asyncio
import errno
import os
import re
import subprocess
from collections.abc import Iterator
from datetime import timedelta
from itertools import pairwise
from pathlib import Path

import pytest

from hemsnet.metering.series import Series
from hemsnet.store import Store
from hemsnet.testbed.netns import Namespaces
from tests.integration.conftest import topology
from tests.integration.test_controller_netns import (
    backfilled,
    controller_args,
    hemsnet,
    meter_args,
    now,
)

pytestmark = pytest.mark.netns
__all__ = ["topology"]  # the fixture, imported for this module's tests

REFUSED = "store refuses writes"
_SENT = re.compile(r"requests (\d+) sent")
POWER_EVERY = timedelta(seconds=20)  # the live plan's tick (C35), controller time


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mount = tmp_path / "disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def fill(folder: Path) -> Path:
    """A file that takes every free byte of ``folder``'s file system."""
    filler = folder / "filler"
    chunk = b"\0" * 65536
    with filler.open("wb", buffering=0) as file:
        while True:
            try:
                file.write(chunk)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
                chunk = chunk[: len(chunk) // 2]
                if not chunk:
                    return filler


def sent(line: str) -> int:
    found = _SENT.search(line)
    return -1 if found is None else int(found.group(1))


def test_a_full_disk_keeps_the_readings_until_space_returns(
    topology: Namespaces, tiny_disk: Path
) -> None:
    meter_end, ctl_end = topology.link(topology.namespace("meter"), topology.namespace("ctl"))
    db = tiny_disk / "hemsnet.db"
    installed = now() - timedelta(hours=6)

    async def scenario() -> str:
        async with (
            hemsnet(meter_end, "meter", *meter_args(installed)),
            hemsnet(ctl_end, "controller", *controller_args(db)) as controller,
        ):
            await controller.wait_for_line(backfilled)
            filler = fill(tiny_disk)
            stuck = await controller.wait_for_line(lambda line: REFUSED in line)
            # still talking to the meter while nothing can be written
            later = await controller.wait_for_line(
                lambda line: REFUSED in line and sent(line) > sent(stuck) + 10
            )
            assert "database or disk is full" in later
            filler.unlink()
            await controller.wait_for_line(
                lambda line: REFUSED not in line and sent(line) > sent(later) + 5
            )
            await controller.wait_for_line(backfilled)
            assert await controller.stop() == 0
            assert controller.proc.stderr is not None
            return (await controller.proc.stderr.read()).decode()

    stderr = asyncio.run(scenario())
    assert "Traceback" not in stderr
    assert stderr.count("the store refuses writes") == 1  # said once, not per write
    assert stderr.count("the store takes writes again") == 1
    with Store.open(db) as store:
        (meter,) = store.meters()
        power = store.readings(meter.id, Series.POWER, installed, now() + timedelta(days=2))
        times = [r.measured_at for r in power]
        holes = [b - a for a, b in pairwise(times) if b - a > 3 * POWER_EVERY]
        assert holes == []  # the readings taken while the disk was full were kept, then written
        latest = store.latest(meter.id, Series.ENERGY_NORMAL)
        assert latest is not None
        first = installed.replace(minute=0, second=0) + timedelta(hours=1)
        assert (
            store.missing_half_hours(meter.id, Series.ENERGY_NORMAL, first, latest.measured_at)
            == []
        )
