"""``hemsnet meter`` in one namespace, the core's client in another, over IPv6 link-local."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from hemsnet.aio.client import EchonetClient
from hemsnet.aio.udp import Address
from hemsnet.devices.registry import decode_property
from hemsnet.echonet.eoj import Eoj
from hemsnet.echonet.frame import Frame
from hemsnet.echonet.instance_list import decode_instance_list
from hemsnet.echonet.propmap import decode_property_map
from hemsnet.errors import RequestRefused, ResponseTimeout
from hemsnet.testbed.netns import Link, Namespaces
from tests.integration.nodes import client_on

pytestmark = pytest.mark.netns

METER = Eoj(0x02, 0x8F, 0x01)
PROBE_TIMEOUT = 0.3


class Frames:
    """Frames a client hears, with a way to wait for the next one that matches."""

    def __init__(self, client: EchonetClient) -> None:
        self.heard: list[Frame] = []
        self._changed = asyncio.Event()
        client.add_notification_listener(self._on_frame)

    def _on_frame(self, frame: Frame, source: Address) -> None:
        self.heard.append(frame)
        self._changed.set()

    async def wait_for(self, match: Callable[[Frame], bool], seconds: float = 20) -> Frame:
        async def scan() -> Frame:
            seen = 0
            while True:
                for frame in self.heard[seen:]:
                    if match(frame):
                        return frame
                seen = len(self.heard)
                self._changed.clear()
                await self._changed.wait()

        return await asyncio.wait_for(scan(), seconds)


def epc_is(epc: int, edt: bytes | None = None) -> Callable[[Frame], bool]:
    def match(frame: Frame) -> bool:
        return any(p.epc == epc and (edt is None or p.edt == edt) for p in frame.properties)

    return match


@asynccontextmanager
async def meter_process(link: Link, *args: str) -> AsyncIterator[asyncio.subprocess.Process]:
    proc = await asyncio.create_subprocess_exec(
        "ip", "netns", "exec", link.netns, sys.executable, "-m", "hemsnet", "meter",
        "--iface", link.iface, *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        yield proc
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def until_answering(client: EchonetClient, meter: Address) -> None:
    """Probe the meter until it answers (it is starting in another process)."""
    for _ in range(100):
        try:
            await client.get(meter, METER, [0x80], timeout=PROBE_TIMEOUT)
            return
        except ResponseTimeout:
            continue
    raise AssertionError("the meter never answered")


def meter_address(client: EchonetClient, meter_end: Link) -> Address:
    iface = client.transport.iface
    assert iface is not None
    return Address(meter_end.address, scope_id=iface.index)


def value(epc: int, edt: bytes) -> Any:
    return decode_property(0x028F, epc, edt).value


def test_discovery_attributes_history_and_notifications(topology: Namespaces) -> None:
    meter_end, ctl_end = topology.link(topology.namespace("meter"), topology.namespace("ctl"))

    async def scenario() -> None:
        async with client_on(ctl_end) as client:
            peer = meter_address(client, meter_end)
            frames = Frames(client)
            # From midnight two days ago: E1 = 1 is complete even if meter time (600x)
            # passes midnight during the test.
            first = datetime.now().date() - timedelta(days=2)
            start = datetime(first.year, first.month, first.day)
            async with meter_process(
                meter_end, "--start", start.isoformat(), "--speed", "600", "--seed", "3"
            ) as proc:
                assert proc.stdout is not None
                banner = (await proc.stdout.readline()).decode()
                assert "028F01" in banner and meter_end.iface in banner
                assert meter_end.address in banner
                # Start-up: the instance list, multicast [AIF 3.1.1]
                announced = await frames.wait_for(epc_is(0xD5))
                assert decode_instance_list(announced.properties[0].edt).instances == (METER,)
                # The AIF search: Get 0x80 to 0x028F00 by multicast [AIF 3.1.2]
                hits = await client.search(0x028F, window=2.0, expect=1)
                assert [(h.address.host, h.eoj) for h in hits] == [(meter_end.address, METER)]
                # Attributes [AIF 3.1.3, 3.1.4]
                attrs = await client.get(peer, METER, [0x82, 0x9D, 0x9E, 0x9F])
                assert str(value(0x82, attrs[0x82])) == "Release R"
                assert decode_property_map(attrs[0x9E]) == {0x81, 0xE1, 0xEF}
                assert 0xED in decode_property_map(attrs[0x9F])
                meter_attrs = await client.get(
                    peer, METER, [0xC0, 0xD3, 0xD4, 0xE0, 0xE5, 0xE6, 0xC4, 0xC5, 0x8D, 0xC7]
                )
                assert value(0xE5, meter_attrs[0xE5]) == 8
                # A day of history: yesterday has its 48 slots [AIF 3.3.3]
                await client.set(peer, METER, {0xE1: b"\x01"})
                history = value(0xE7, (await client.get(peer, METER, [0xE7]))[0xE7])
                assert history.day == 1
                assert None not in history.slots
                # Scheduled notification at 600x: a half-hour passes every 3 s [AIF 3.2.1]
                scheduled = await frames.wait_for(epc_is(0xE3))
                assert [p.epc for p in scheduled.properties] == [0xE3, 0xC3, 0xCB]
                proc.send_signal(signal.SIGTERM)
                assert await asyncio.wait_for(proc.wait(), 10) == 0

    asyncio.run(scenario())


def test_a_fault_window_over_real_udp(topology: Namespaces) -> None:
    meter_end, ctl_end = topology.link(topology.namespace("meter"), topology.namespace("ctl"))

    async def scenario() -> None:
        async with client_on(ctl_end) as client:
            peer = meter_address(client, meter_end)
            frames = Frames(client)
            now = datetime.now().replace(microsecond=0)
            window = f"{(now - timedelta(minutes=1)).isoformat()}+4"
            async with meter_process(meter_end, "--fault", window, "--speed", "60"):
                await frames.wait_for(epc_is(0x88, b"\x41"))  # the meter starts in fault
                await until_answering(client, peer)
                with pytest.raises(RequestRefused):
                    await client.get(peer, METER, [0xE2])
                await frames.wait_for(epc_is(0x88, b"\x42"))  # recovered [AIF 3.4.1]
                answer = await client.get(peer, METER, [0xE2, 0x88])
                assert answer[0x88] == b"\x42"

    asyncio.run(scenario())


def test_state_survives_a_restart(topology: Namespaces, tmp_path: Path) -> None:
    meter_end, ctl_end = topology.link(topology.namespace("meter"), topology.namespace("ctl"))
    state = tmp_path / "meter.json"
    start = (datetime.now() - timedelta(days=2)).replace(microsecond=0).isoformat()

    async def read(client: EchonetClient, peer: Address) -> tuple[Any, Any]:
        await until_answering(client, peer)
        await client.set(peer, METER, {0xE1: b"\x02"})
        history = (await client.get(peer, METER, [0xE7]))[0xE7]
        present = (await client.get(peer, METER, [0xE2]))[0xE2]
        return value(0xE7, history), value(0xE2, present)

    async def scenario() -> None:
        async with client_on(ctl_end) as client:
            peer = meter_address(client, meter_end)
            args = ("--state", str(state), "--start", start)
            async with meter_process(meter_end, *args) as proc:
                before, present_before = await read(client, peer)
                proc.send_signal(signal.SIGTERM)
                assert await asyncio.wait_for(proc.wait(), 10) == 0
            assert state.exists()
            async with meter_process(meter_end, *args):
                after, present_after = await read(client, peer)
            assert after == before  # the day before yesterday, unchanged
            assert present_after.normal >= present_before.normal

    asyncio.run(scenario())


def test_bad_configuration_is_one_clear_line(topology: Namespaces, tmp_path: Path) -> None:
    meter_end, _ = topology.link(topology.namespace("meter"), topology.namespace("ctl"))
    config = tmp_path / "meter.toml"
    config.write_text("[meter]\nenergy_unit = 0.5\n")

    async def scenario() -> None:
        for args in (["--config", str(config)], ["--speed", "0"], ["--start", "tomorrow"]):
            async with meter_process(meter_end, *args) as proc:
                _, err = await asyncio.wait_for(proc.communicate(), 30)
                assert proc.returncode == 2
                text = err.decode()
                assert "Traceback" not in text and text.strip(), args

    asyncio.run(scenario())


def test_ipv4_lets_ipv4_only_tools_read_the_meter(topology: Namespaces) -> None:
    meter_end, ctl_end = topology.link(
        topology.namespace("meter"), topology.namespace("ctl"), ipv4=True
    )

    async def scenario() -> None:
        async with client_on(ctl_end, ipv4=True) as client:
            meter = Address(meter_end.ipv4)
            async with meter_process(meter_end, "--ipv4"):
                await until_answering(client, meter)
                answer = await client.get(meter, METER, [0x80, 0xE2, 0xD3])
                assert answer[0x80] == b"\x30"
                assert value(0xE2, answer[0xE2]).normal is not None

    asyncio.run(scenario())
