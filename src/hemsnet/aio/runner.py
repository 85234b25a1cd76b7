"""The one runner: pumps any sans-I/O engine (:mod:`hemsnet.echonet.engine`) over any datagram
link, in the time of a :class:`~hemsnet.aio.clock.ScaledClock`.

The model is aioquic's asyncio protocol: one timer, re-armed after every input. Each datagram
goes to :meth:`Engine.receive` with the time it arrived; the timer calls :meth:`Engine.advance`
when :meth:`Engine.next_wakeup` comes. After either, the runner sends what the engine returned
(a :class:`~hemsnet.echonet.send.Send` with ``at`` leaves at that time, for every engine),
hands the engine's events to ``on_events``, logs what a peer sent that the engine discarded,
and re-arms the timer if the next wake-up moved. At start it sends the engine's announcement,
asking for it again until all of it leaves (an interface still coming up cannot send).

Frames are logged at ``-v`` (INFO), one line each way.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Final, Generic, TypeVar

from hemsnet.aio.clock import ScaledClock, wait_for_stop
from hemsnet.aio.udp import Address, DatagramLink
from hemsnet.echonet.engine import Engine, FrameDiscarded
from hemsnet.echonet.frame import Frame, decode_frame
from hemsnet.echonet.send import Send
from hemsnet.errors import FrameError

__all__ = ["EngineRunner", "describe", "describe_datagram"]

log = logging.getLogger(__name__)

E = TypeVar("E")

_RETRY_FIRST: Final = 0.05  # s, then doubling: the interface may still be coming up
_RETRY_MAX: Final = 2.0
# The clock reads time to the millisecond: a timer that fires before it shows the wake-up is
# armed again this much later, rather than at once in a loop.
_EARLY_RETRY: Final = 0.001


def describe(frame: Frame) -> str:
    """One line for the log: ``Get_Res 028F01->05FF01 TID 7 80 E2 D3``."""
    epcs = " ".join(f"{p.epc:02X}" for p in frame.properties + frame.get_properties)
    return f"{frame.esv.symbol} {frame.seoj}->{frame.deoj} TID {frame.tid} {epcs}"


def describe_datagram(data: bytes) -> str:
    """One line for the log, for any datagram: ``malformed (...)`` when it does not decode."""
    try:
        frame = decode_frame(data)
    except FrameError as exc:
        return f"malformed ({exc.reason})"
    if isinstance(frame, Frame):
        return describe(frame)
    return "Format 2 frame"


class EngineRunner(Generic[E]):
    """Runs one engine on one link until stopped."""

    def __init__(
        self,
        engine: Engine[E],
        link: DatagramLink,
        clock: ScaledClock,
        *,
        on_events: Callable[[Sequence[E], datetime], None] | None = None,
    ) -> None:
        self.engine = engine
        self.link = link
        self.clock = clock
        self.on_events = on_events
        # Read once: the check costs more than a datagram on a busy meter.
        self._verbose = log.isEnabledFor(logging.INFO)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._armed_for: datetime | None = None
        self._delayed: set[asyncio.TimerHandle] = set()
        # Bound once: a busy meter answers a datagram in about a microsecond.
        self._receive = engine.receive
        self._take_events = engine.take_events
        self._next_wakeup = engine.next_wakeup
        self._now = clock.now

    @property
    def name(self) -> str:
        return self.link.iface.name if self.link.iface else "the interface"

    async def run(self, stop: asyncio.Event) -> None:
        """Announce, then serve until ``stop`` is set."""
        self.start()
        try:
            await self.announce(stop)
            await stop.wait()
        finally:
            self.close()

    def start(self) -> None:
        """Take datagrams from the link; call from the event loop."""
        self._loop = asyncio.get_running_loop()
        self.link.set_handler(self._on_datagram)
        self.link.start(self._loop)

    async def announce(self, stop: asyncio.Event) -> None:
        """Send the engine's start-up announcement [AIF 3.1.1], asking it again until all of
        it leaves or ``stop`` is set; then let the engine begin (:meth:`Engine.advance`)."""
        delay = _RETRY_FIRST
        while not stop.is_set():
            sends = self.engine.announce(self.clock.now())
            if all([self._transmit(send) for send in sends]):
                break
            log.info("%s cannot send yet; announcing again in %.2f s", self.name, delay)
            await wait_for_stop(stop, delay)
            delay = min(2 * delay, _RETRY_MAX)
        if not stop.is_set():
            self.dispatch(self.engine.advance(self.clock.now()))

    def close(self) -> None:
        """Stop the timer and the delayed sends, and close the link."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for handle in self._delayed:
            handle.cancel()
        self._delayed.clear()
        self.link.close()

    def dispatch(self, sends: list[Send]) -> None:
        """Send what an engine call returned, hand on its events, re-arm the timer; for the
        engine calls the runner does not make itself (a client's request) too."""
        for send in sends:
            if send.at is None:
                self._transmit(send)
            else:
                self._later(send)
        events = self._take_events()
        if events:
            self._hand_on(events)
        if self._next_wakeup() is not self._armed_for:
            self._arm()

    # --- inside ------------------------------------------------------------------------------

    def _on_datagram(self, data: bytes, source: Address) -> None:
        if self._verbose:
            log.info("<- %s %s", source, describe_datagram(data))
        try:
            sends = self._receive(data, source, self._now())
        except Exception:  # an engine bug: say so, and keep serving the other peers
            log.exception("the engine failed on a datagram from %s: %s", source, data.hex())
            sends = []
        # dispatch(sends), inlined: a busy meter answers a datagram in about a microsecond.
        for send in sends:
            if send.at is None:
                self._transmit(send)
            else:
                self._later(send)
        events = self._take_events()
        if events:
            self._hand_on(events)
        if self._next_wakeup() is not self._armed_for:
            self._arm()

    def _on_timer(self) -> None:
        fired_for, self._timer, self._armed_for = self._armed_for, None, None
        now = self.clock.now()
        if fired_for is not None and now < fired_for:
            self._arm(early=True)  # the engine's time has not come: advance when it has
            return
        self.dispatch(self.engine.advance(now))

    def _arm(self, *, early: bool = False) -> None:
        at = self._next_wakeup()
        loop = self._loop
        if at == self._armed_for or loop is None:
            return
        if self._timer is not None:
            self._timer.cancel()
        delay = self.clock.delay_until(at)
        self._armed_for = at
        self._timer = loop.call_later(max(delay, _EARLY_RETRY) if early else delay, self._on_timer)

    def _later(self, send: Send) -> None:
        assert send.at is not None and self._loop is not None

        def leave() -> None:
            self._delayed.discard(handle)
            self._transmit(send)

        handle = self._loop.call_later(self.clock.delay_until(send.at), leave)
        self._delayed.add(handle)

    def _transmit(self, send: Send) -> bool:
        """Send to its peer, or to every node when it has none; whether it left."""
        to = send.to
        if self._verbose:
            log.info("-> %s %s", to or "multicast", describe_datagram(send.data))
        if to is None:
            return self.link.send_multicast(send.data)
        assert isinstance(to, Address)
        return self.link.send(send.data, to)

    def _hand_on(self, events: Sequence[E]) -> None:
        """Log what peers did wrong, then give the events to ``on_events``."""
        for event in events:
            if isinstance(event, FrameDiscarded):
                log.info(
                    "%s: dropped a datagram from %s: %s",
                    event.kind.value,
                    event.source,
                    event.reason,
                )
        if self.on_events is not None:
            self.on_events(events, self._now())
