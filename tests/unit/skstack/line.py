"""A driver and a dongle emulator on a serial line in memory, in virtual time; a meter engine
behind the dongle, and optionally a controller engine above the driver."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from ipaddress import IPv6Address

from hemsnet.controller import ControllerEngine
from hemsnet.echonet.send import Send
from hemsnet.skstack.driver import SkStackDriver
from hemsnet.skstack.emulator import DongleEmulator
from hemsnet.skstack.events import DatagramArrived, DongleEvent

ID = "0123456789ABCDEF0123456789ABCDEF"
PASSWORD = "ABCDEFGHIJKL"


@dataclass
class Line:
    driver: SkStackDriver
    dongle: DongleEmulator
    now: datetime
    controller: ControllerEngine | None = None
    events: list[DongleEvent] = field(default_factory=list)
    host_wrote: bytearray = field(default_factory=bytearray)
    dongle_wrote: bytearray = field(default_factory=bytearray)
    cut: bool = False  # the dongle unplugged: nothing crosses

    def start(self) -> None:
        self.dongle.start(self.now)
        self._cross(self.driver.start(self.now), b"")
        if self.controller is not None:
            self._controller(self.controller.advance(self.now))

    def run(self, until: datetime) -> None:
        while True:
            wakes = [self.driver.next_wakeup(), self.dongle.next_wakeup()]
            if self.controller is not None:
                wakes.append(self.controller.next_wakeup())
            at = max(min(wakes), self.now)
            if at > until:
                self.now = until
                return
            self.now = at
            self._cross(self.driver.advance(at), self.dongle.advance(at))
            if self.controller is not None and self.controller.next_wakeup() <= at:
                self._controller(self.controller.advance(at))

    def run_for(self, **delta: float) -> None:
        self.run(self.now + timedelta(**delta))

    def run_until(self, done: object, limit: timedelta) -> None:
        deadline = self.now + limit
        while not done():  # type: ignore[operator]
            assert self.now < deadline, "not in time"
            self.run(min(self.now + timedelta(seconds=10), deadline))

    def _cross(self, to_dongle: bytes, to_host: bytes) -> None:
        while to_dongle or to_host:
            if self.cut:
                return
            self.host_wrote += to_dongle
            if to_dongle:
                to_host += self.dongle.receive(to_dongle, self.now)
                to_dongle = b""
            self.dongle_wrote += to_host
            if to_host:
                to_dongle = self.driver.receive(to_host, self.now)
                to_host = b""
                to_dongle += self._events()

    def _events(self) -> bytes:
        out = b""
        for event in self.driver.take_events():
            self.events.append(event)
            if isinstance(event, DatagramArrived) and self.controller is not None:
                sends = self.controller.receive(event.data, event.sender, self.now)
                out += self._controller(sends, cross=False)
        return out

    def _controller(self, sends: list[Send], *, cross: bool = True) -> bytes:
        for send in sends:
            assert send.to is None or isinstance(send.to, IPv6Address)
            self.driver.send(send.data, send.to)
        out = self.driver.flush(self.now)
        if cross:
            self._cross(out, b"")
            return b""
        return out
