"""The one runner (hemsnet.aio.runner): it pumps any engine over any link, on one timer.

A scripted engine on an in-memory link, with a clock 1000 times faster than real time, so
that seconds of engine time pass in milliseconds; every wait is on an event with a deadline.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Hashable, Sequence
from datetime import datetime, timedelta

import pytest

from hemsnet.aio.clock import ScaledClock
from hemsnet.aio.runner import EngineRunner
from hemsnet.aio.udp import Address
from hemsnet.echonet.engine import Discard, FrameDiscarded
from hemsnet.echonet.send import Send
from tests.unit.aio.memory_link import Endpoint, Segment

T0 = datetime(2026, 11, 21, 10, 0)
SPEED = 1000.0
DEADLINE = 5.0  # s of real time


class Scripted:
    """An engine that does what each test sets up, and notes when it was called."""

    def __init__(self) -> None:
        self.wakeup = T0 + timedelta(days=1)
        self.due: datetime | None = None  # the wake-up last acted on
        self.answers: list[Send] = []  # what receive returns
        self.events: list[FrameDiscarded] = []
        self.advanced: list[datetime] = []
        self.announced = 0
        self.fail_on: bytes | None = None

    def announce(self, now: datetime) -> list[Send]:
        self.announced += 1
        return [Send(b"hello")]

    def receive(self, data: bytes, source: Hashable, now: datetime) -> list[Send]:
        if data == self.fail_on:
            raise RuntimeError("a bug")
        self.events.append(FrameDiscarded(source, Discard.MALFORMED, "probe", data))
        answers, self.answers = self.answers, []
        return answers

    def advance(self, now: datetime) -> list[Send]:
        self.advanced.append(now)
        if now >= self.wakeup:  # done what was due: nothing more planned
            self.due, self.wakeup = self.wakeup, now + timedelta(days=1)
        return []

    def next_wakeup(self) -> datetime:
        return self.wakeup

    def take_events(self) -> list[FrameDiscarded]:
        events, self.events = self.events, []
        return events


class Peer:
    """The other end of the link: the time at which each datagram reached it."""

    def __init__(self, endpoint: Endpoint, clock: ScaledClock) -> None:
        self.arrived: list[tuple[bytes, datetime]] = []
        self.got = asyncio.Event()
        endpoint.set_handler(self._on)
        endpoint.start()
        self._clock = clock

    def _on(self, data: bytes, source: Address) -> None:
        self.arrived.append((data, self._clock.now()))
        self.got.set()


async def _until(event: asyncio.Event) -> None:
    await asyncio.wait_for(event.wait(), DEADLINE)


def _setup() -> tuple[Scripted, EngineRunner[FrameDiscarded], Endpoint, ScaledClock]:
    segment = Segment()
    clock = ScaledClock(T0, SPEED)
    engine = Scripted()
    runner = EngineRunner(engine, segment.endpoint("fe80::1"), clock)
    return engine, runner, segment.endpoint("fe80::2"), clock


def test_a_send_with_a_time_leaves_then_not_before() -> None:
    async def scenario() -> None:
        engine, runner, other, clock = _setup()
        peer = Peer(other, clock)
        stop = asyncio.Event()
        running = asyncio.create_task(runner.run(stop))
        await _until(peer.got)  # the announcement
        peer.got.clear()
        at = clock.now() + timedelta(seconds=20)
        engine.answers = [Send(b"later", other.address, at)]
        other.send(b"ask", Address("fe80::1", 3610, 9))
        await _until(peer.got)
        stop.set()
        await running
        ((data, arrived),) = peer.arrived[1:]
        assert data == b"later" and arrived >= at

    asyncio.run(scenario())


def test_the_timer_follows_the_engines_next_wakeup_after_every_input() -> None:
    async def scenario() -> None:
        engine, runner, other, clock = _setup()
        woken = asyncio.Event()
        runner.on_events = lambda events, now: None
        original = engine.advance

        def advance(now: datetime) -> list[Send]:
            sends = original(now)
            if len(engine.advanced) > 1:
                woken.set()
            return sends

        engine.advance = advance  # type: ignore[method-assign]
        stop = asyncio.Event()
        peer = Peer(other, clock)
        running = asyncio.create_task(runner.run(stop))
        await _until(peer.got)
        # A datagram makes the engine want to wake sooner than the day it said at first.
        engine.wakeup = clock.now() + timedelta(seconds=30)
        other.send(b"ask", Address("fe80::1", 3610, 9))
        await _until(woken)
        stop.set()
        await running
        assert engine.due is not None
        assert engine.advanced[1] >= engine.due  # not before the time it asked for
        assert len(engine.advanced) == 2  # once

    asyncio.run(scenario())


def test_the_announcement_is_asked_again_until_it_leaves() -> None:
    async def scenario() -> None:
        engine, runner, _, _ = _setup()
        link = runner.link
        assert isinstance(link, Endpoint)
        refusals = iter([False, False])
        sent = link.send_multicast
        up = asyncio.Event()

        def flaky(data: bytes, *, ipv4: bool = True) -> bool:
            if next(refusals, True):
                up.set()
                return sent(data, ipv4=ipv4)
            return False  # the interface is still coming up

        link.send_multicast = flaky  # type: ignore[method-assign]
        stop = asyncio.Event()
        running = asyncio.create_task(runner.run(stop))
        await _until(up)
        stop.set()
        await running
        assert engine.announced == 3
        assert len(engine.advanced) == 1  # then the engine began

    asyncio.run(scenario())


def test_discards_are_logged_and_handed_on_and_a_failing_engine_keeps_serving(
    caplog: pytest.LogCaptureFixture,
) -> None:
    seen: list[FrameDiscarded] = []

    async def scenario() -> None:
        engine, runner, other, clock = _setup()
        handed = asyncio.Event()

        def on_events(events: Sequence[FrameDiscarded], now: datetime) -> None:
            seen.extend(events)
            if len(seen) == 1:
                handed.set()

        runner.on_events = on_events
        engine.fail_on = b"bug"
        stop = asyncio.Event()
        peer = Peer(other, clock)
        running = asyncio.create_task(runner.run(stop))
        await _until(peer.got)  # it serves
        me = Address("fe80::1", 3610, 9)
        other.send(b"bug", me)
        other.send(b"fine", me)
        await _until(handed)
        stop.set()
        await running

    with caplog.at_level(logging.INFO, logger="hemsnet.aio.runner"):
        asyncio.run(scenario())
    assert [event.data for event in seen] == [b"fine"]
    messages = [record.getMessage() for record in caplog.records]
    assert any("the engine failed on a datagram" in m and "627567" in m for m in messages)
    assert any(m.startswith("malformed: dropped a datagram from") for m in messages)


def test_close_cancels_the_sends_still_waiting() -> None:
    async def scenario() -> None:
        _, runner, other, clock = _setup()
        peer = Peer(other, clock)
        stop = asyncio.Event()
        running = asyncio.create_task(runner.run(stop))
        await _until(peer.got)
        runner.dispatch([Send(b"too late", other.address, clock.now() + timedelta(hours=1))])
        stop.set()
        await running
        assert [data for data, _ in peer.arrived] == [b"hello"]
        assert runner.link.closed  # type: ignore[attr-defined]

    asyncio.run(scenario())
