"""A real MQTT broker for the tests: Debian's mosquitto on a free port of 127.0.0.1, no
persistence (a restart forgets every retained message), started and stopped by the tests.

Run as root, mosquitto drops to its own ``mosquitto`` user; otherwise it runs as the tester.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import threading
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Final

import aiomqtt
import pytest

MOSQUITTO = Path("/usr/sbin/mosquitto")
STARTED_WITHIN = 10.0  # s for mosquitto to say it is running
WITHIN: Final = 15.0  # s for a message to reach a subscriber (a reconnection's back-off too)

Seen = dict[str, bytes]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Mosquitto:
    """One broker on one port; :meth:`stop` and :meth:`start` again keep the port."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.config = folder / "mosquitto.conf"
        self.config.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
            "log_dest stderr\nlog_type error\nlog_type warning\nlog_type information\n"
        )
        self.proc: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> None:
        proc = subprocess.Popen(
            [str(MOSQUITTO), "-c", str(self.config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        running = threading.Event()
        lines: list[str] = []

        def read() -> None:
            assert proc.stderr is not None
            for line in proc.stderr:
                lines.append(line.rstrip())
                if " running" in line:
                    running.set()

        threading.Thread(target=read, daemon=True).start()
        if not running.wait(STARTED_WITHIN):
            proc.kill()
            raise AssertionError(f"mosquitto did not start: {lines[-5:]}")
        self.proc = proc

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.proc = None


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[Mosquitto]:
    if not MOSQUITTO.exists() or shutil.which(str(MOSQUITTO)) is None:
        pytest.skip(f"needs {MOSQUITTO}: `make sysdeps` installs it (Debian package mosquitto)")
    broker = Mosquitto(tmp_path)
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()


async def watch(
    broker: Mosquitto,
    until: Callable[[Seen], bool],
    *,
    filters: tuple[str, ...] = ("hemsnet/#", "homeassistant/#"),
    then: Callable[[aiomqtt.Client], Awaitable[None]] | None = None,
) -> Seen:
    """Subscribe (retained messages come at once), run ``then``, and collect the latest
    payload of each topic until ``until`` holds; fail after WITHIN seconds."""
    seen: Seen = {}
    async with aiomqtt.Client("127.0.0.1", broker.port) as client:
        for topic_filter in filters:
            await client.subscribe(topic_filter, qos=1)
        if then is not None:
            await then(client)
        try:
            async with asyncio.timeout(WITHIN):
                async for message in client.messages:
                    payload = message.payload
                    assert isinstance(payload, bytes)
                    seen[message.topic.value] = payload
                    if until(seen):
                        return seen
        except TimeoutError:
            pass
    raise AssertionError(f"not seen within {WITHIN} s; got {sorted(seen)}")
