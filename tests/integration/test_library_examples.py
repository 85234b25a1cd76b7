"""The library's examples (README.md "As a library", docs/library.md) run as written against the
meter emulator over the IPv6 loopback: only the interface and address are the emulator's."""

from __future__ import annotations

import asyncio
import contextlib
import re
import threading
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from hemsnet import SmartMeter
from hemsnet.aio.clock import ScaledClock
from hemsnet.aio.services import meter_service
from hemsnet.aio.udp import Address, UdpTransport, peer_identity
from hemsnet.meter.config import MeterConfig
from hemsnet.meter.engine import MeterEngine
from tests.conftest import REPO

STARTED_WITHIN = 10.0


class Emulator:
    """A 0x028F meter with a few days of history on [::1], in a thread with its own loop."""

    def __init__(self) -> None:
        self.address: Address | None = None
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._serve()), daemon=True)

    async def _serve(self) -> None:
        now = datetime.now().replace(microsecond=0)
        engine = MeterEngine(
            MeterConfig(),
            now=now,
            seed=3,
            installed=now - timedelta(days=4),
            identify=peer_identity,
        )
        link = UdpTransport.loopback()
        self.address = Address("::1", link.port)
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        self._ready.set()
        await meter_service(engine, link, ScaledClock(now, 1.0))(self._stop)

    def __enter__(self) -> Emulator:
        self._thread.start()
        assert self._ready.wait(STARTED_WITHIN)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._loop is not None and self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)


@pytest.fixture
def emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    with Emulator() as meter:
        original = SmartMeter.connect

        @contextlib.asynccontextmanager
        async def connect(iface: str | None = None, **options: object) -> AsyncIterator[SmartMeter]:
            async with original(link=UdpTransport.loopback(), address=meter.address) as found:
                yield found

        monkeypatch.setattr(SmartMeter, "connect", connect)
        yield meter


def examples(path: Path, after: str = "") -> list[str]:
    text = path.read_text()
    text = text[text.index(after) :] if after else text
    return re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)


def run(code: str, capsys: pytest.CaptureFixture[str]) -> list[str]:
    exec(compile(code, "<example>", "exec"), {"__name__": "__example__"})
    return capsys.readouterr().out.splitlines()


NUMBER = r"-?\d+(\.\d+)?"
AT = r"at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d"


def test_the_readme_example(emulator: Emulator, capsys: pytest.CaptureFixture[str]) -> None:
    (code,) = examples(REPO / "README.md", after="### As a library")[:1]
    power, energy, peak = run(code, capsys)
    assert re.fullmatch(rf"{NUMBER} W {AT}", power), power
    assert re.fullmatch(rf"{NUMBER} kWh", energy), energy
    assert Decimal(peak) > 0


def test_the_library_doc_example(emulator: Emulator, capsys: pytest.CaptureFixture[str]) -> None:
    (code,) = examples(REPO / "docs" / "library.md")
    lines = run(code, capsys)
    assert len(lines) == 5
    for line in lines[:3]:
        assert re.fullmatch(rf"\d{{4}}-\d\d-\d\d: peak {NUMBER} kW at \d\d:\d\d", line), line
    assert re.fullmatch(rf"{NUMBER} A {AT} \| {NUMBER} A {AT}", lines[3]), lines[3]
    assert re.fullmatch(rf"{NUMBER} kWh at \d{{4}}-\d\d-\d\d \d\d:[03]0:00", lines[4]), lines[4]
