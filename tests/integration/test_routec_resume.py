"""The Route C uplink of a real process (tests/integration/routec_home.py: the store and the
uplink) over TLS to the real broker of tests/broker.py, SIGKILLed in the middle: the broker
says it went offline (the last will), the watermark on disk is what the provider acknowledged,
and the restarted home resends from there until every seq has arrived."""

from __future__ import annotations

import asyncio
import json
import queue
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import aiomqtt

from tests.broker import ROUTEC_USERS, ProviderBroker, provider_broker

__all__ = ["provider_broker"]  # the fixture, used by name

TOTAL: Final = 3000
BATCH: Final = 100
WINDOW: Final = 4
ACKED_BEFORE_KILL: Final = 5  # batches
WITHIN: Final = 30.0  # s for each phase (two process starts and 3,000 records)
ROOT: Final = Path(__file__).parent.parent.parent
TOPIC: Final = "hemsnet/v1/home/h1/{}"


@dataclass
class Home:
    """The process and the lines it prints (read on a thread, so its pipe never fills)."""

    proc: subprocess.Popen[str]
    lines: queue.Queue[str] = field(default_factory=queue.Queue)

    @classmethod
    def start(cls, db: Path, config: Path) -> Home:
        command = [sys.executable, "-m", "tests.integration.routec_home", str(db), str(config)]
        proc = subprocess.Popen([*command, str(TOTAL)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
        home = cls(proc)
        threading.Thread(target=home._read, daemon=True).start()
        return home

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip())

    async def line_with(self, words: str) -> str:
        deadline = time.monotonic() + WITHIN
        while True:
            left = max(deadline - time.monotonic(), 0.0)
            try:
                line = await asyncio.to_thread(self.lines.get, True, left)
            except queue.Empty:
                raise AssertionError(f"the home did not say {words!r}") from None
            if words in line:
                return line

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def payload(message: aiomqtt.Message) -> Any:
    assert isinstance(message.payload, bytes)
    return json.loads(message.payload)


def watermark(db: Path) -> int:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as read:
        (acked,) = read.execute("SELECT acked FROM outbox_state").fetchone()
    return int(acked)


def test_after_a_sigkill_the_home_resumes_from_its_watermark_and_nothing_is_missing(
    provider_broker: ProviderBroker, tmp_path: Path
) -> None:
    db, config, password = tmp_path / "home.db", tmp_path / "home.toml", tmp_path / "password"
    password.write_text(ROUTEC_USERS["h1"] + "\n")
    config.write_text(
        f'[routec]\nurl = "{provider_broker.url}"\nhome = "h1"\npassword_file = "{password}"\n'
        f'ca_file = "{provider_broker.ca}"\nbatch_size = {BATCH}\nwindow = {WINDOW}\n'
        "ack_timeout = 5.0\n"
    )
    before: set[int] = set()
    after: set[int] = set()

    async def batches(provider: aiomqtt.Client) -> aiomqtt.Message:
        async with asyncio.timeout(WITHIN):
            async for message in provider.messages:
                return message
        raise AssertionError("the subscription ended")

    async def ack(provider: aiomqtt.Client, batch: dict[str, int]) -> None:
        answer = {"v": 1, "first": batch["first"], "last": batch["last"]}
        await provider.publish(TOPIC.format("down/ack"), json.dumps(answer), qos=1)

    homes: list[Home] = []

    async def main() -> tuple[int, int, int]:
        async with provider_broker.client("provider", ROUTEC_USERS["provider"]) as provider:
            await provider.subscribe(TOPIC.format("up/#"), qos=1)
            home = Home.start(db, config)
            homes.append(home)
            # Acknowledge the first five batches, then nothing: once the ninth is sent, the
            # fifth's ack has moved the watermark on disk (the window holds four).
            firsts: list[int] = []
            acked_up_to = 0
            while len(firsts) < ACKED_BEFORE_KILL + WINDOW:
                message = await batches(provider)
                if message.topic.value != TOPIC.format("up/batch"):
                    continue
                batch = payload(message)
                before.update(r["seq"] for r in batch["records"])
                if batch["first"] not in firsts:
                    firsts.append(batch["first"])
                    if len(firsts) <= ACKED_BEFORE_KILL:
                        await ack(provider, batch)
                        acked_up_to = batch["last"]
            home.proc.send_signal(signal.SIGKILL)
            home.proc.wait()
            while (message := await batches(provider)).topic.value != TOPIC.format("up/state"):
                pass
            assert payload(message)["state"] == "offline"
            kept = watermark(db)
            # Restarted: everything after the watermark comes again, and is acknowledged.
            home = Home.start(db, config)
            homes.append(home)
            first_again = 0
            while not set(range(kept + 1, TOTAL + 1)) <= after:
                message = await batches(provider)
                if message.topic.value == TOPIC.format("up/batch"):
                    batch = payload(message)
                    first_again = first_again or batch["first"]
                    after.update(r["seq"] for r in batch["records"])
                    await ack(provider, batch)
            await home.line_with("uplink: caught up")
            home.proc.send_signal(signal.SIGTERM)
            assert home.proc.wait(WITHIN) == 0
            return acked_up_to, kept, first_again

    try:
        acked_up_to, kept, first_again = asyncio.run(main())
    finally:
        for home in homes:
            home.kill()
    assert kept == acked_up_to > 0  # what was acknowledged, durably, and nothing more
    assert first_again == kept + 1
    assert before | after == set(range(1, TOTAL + 1))  # none missing
    assert watermark(db) == TOTAL
