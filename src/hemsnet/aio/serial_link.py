"""A SKSTACK IP dongle on a serial port as the Route B link: the one async serial link.

:class:`SerialLink` is a :class:`~hemsnet.aio.udp.DatagramLink`, so the one runner
(:class:`~hemsnet.aio.runner.EngineRunner`) runs the unchanged controller engine over it as over
UDP. Underneath, a :class:`~hemsnet.skstack.driver.SkStackDriver` does the dongle's work: it
scans, joins the meter's PAN (PANA), sends datagrams with ``SKSENDTO`` and hands on what comes
as ``ERXUDP``. The serial port is opened with pyserial-asyncio-fast. The driver's timers run in
real time, whatever the speed of the controller's clock: they wait for a device.

A dongle that goes away (unplugged: the port reports an error or end of file) is waited for,
its path looked at every second, and driven again from the start when it is back; the PAN
found before is kept, so no scan is needed again. What a person needs to know (the dongle's
answers, the scan, the session, refusals, the radio's limit) comes as :class:`LinkNotice`
lines with a hint, through ``notice``.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from ipaddress import IPv6Address
from typing import Final

import serial_asyncio_fast

from hemsnet.aio.clock import ScaledClock
from hemsnet.aio.udp import ECHONET_PORT, Address, DatagramHandler, Interface
from hemsnet.skstack.driver import DriverSettings, KnownPan, RouteBCredentials, SkStackDriver
from hemsnet.skstack.events import (
    DatagramArrived,
    DongleEvent,
    DongleNoise,
    DongleReady,
    DongleSilent,
    Joined,
    Joining,
    JoinRefused,
    NoMeterFound,
    PanFound,
    RadioLimited,
    Scanning,
    SendFailed,
    SessionLost,
    Waiting,
)
from hemsnet.skstack.protocol import PanDescription

__all__ = ["BAUD_RATE", "LinkNotice", "SerialLink", "describe_event"]

log = logging.getLogger(__name__)

BAUD_RATE: Final = 115_200  # what the dongles ship with
_RETURN_POLL: Final = 1.0  # s between looks for a dongle that went away
_NOISE_SHOWN: Final = 3  # noise lines reported per connection; the rest at -v
_SEND_FAILURES_SHOWN: Final = 10  # every tenth failed send is reported


@dataclass(frozen=True, slots=True)
class LinkNotice:
    """A line for the person running the controller, and whether it is bad news."""

    text: str
    trouble: bool = False


Notice = Callable[[LinkNotice], None]


class SerialLink:
    """The Route B link through a SKSTACK IP dongle at ``path``."""

    def __init__(
        self,
        path: str,
        credentials: RouteBCredentials,
        *,
        pan: KnownPan | None = None,
        baud_rate: int = BAUD_RATE,
        settings: DriverSettings | None = None,
        notice: Notice | None = None,
        on_pan: Callable[[PanDescription], None] | None = None,
    ) -> None:
        self.path = path
        self.port = ECHONET_PORT
        self.iface: Interface | None = None
        self.baud_rate = baud_rate
        self.pan = pan
        self.settings = settings
        self.notice = notice
        self.on_pan = on_pan
        self._credentials = credentials
        self._clock = ScaledClock(datetime.now(), 1.0)  # real time: a device is waited for
        self._handler: DatagramHandler | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._transport: serial_asyncio_fast.SerialTransport | None = None
        self._driver: SkStackDriver | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._closed = False
        self._noise = 0
        self._send_failures = 0
        self._opening: asyncio.Task[None] | None = None

    @property
    def driver(self) -> SkStackDriver | None:
        return self._driver

    # --- DatagramLink ------------------------------------------------------------------------

    def set_handler(self, handler: DatagramHandler) -> None:
        self._handler = handler

    def start(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self._loop = loop or asyncio.get_running_loop()
        self._opening = self._loop.create_task(self._open(first=True))

    def close(self) -> None:
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()
        if self._opening is not None:
            self._opening.cancel()
        if self._transport is not None:
            self._transport.close()
            self._transport = None

    def send(self, data: bytes, addr: Address) -> bool:
        driver = self._driver
        if driver is None:
            return False
        try:
            to = IPv6Address(addr.host)
        except ValueError:
            return False
        taken = driver.send(data, to, addr.port)
        if taken:
            self._write(driver.flush(self._clock.now()))
        return taken

    def send_multicast(self, data: bytes, *, ipv4: bool = True) -> bool:
        driver = self._driver
        if driver is None:
            return False
        taken = driver.send(data, None)
        if taken:
            self._write(driver.flush(self._clock.now()))
        return taken

    # --- inside: the port ----------------------------------------------------------------------

    async def _open(self, *, first: bool) -> None:
        """Open the port, waiting for it to come back when it went away."""
        assert self._loop is not None
        announced = False
        while not self._closed:
            try:
                transport, _ = await serial_asyncio_fast.create_serial_connection(
                    self._loop, lambda: _Protocol(self), self.path, baudrate=self.baud_rate
                )
            except OSError as exc:
                if not announced:
                    announced = True
                    self._say(_open_failure(self.path, exc, first=first), trouble=True)
                await asyncio.sleep(_RETURN_POLL)
                continue
            self._transport = transport
            if not first:
                self._say(f"the dongle on {self.path} is back: driving it from the start")
            self._begin()
            return

    def _begin(self) -> None:
        now = self._clock.now()
        self._noise = 0
        pan = self._driver.pan if self._driver is not None else self.pan
        self._driver = SkStackDriver(self._credentials, now=now, pan=pan, settings=self.settings)
        self._write(self._driver.start(now))
        self._after()

    def _lost(self, exc: Exception | None) -> None:
        """The port closed under us: unplugged, or the device reset."""
        self._transport = None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._driver = None
        if self._closed or self._loop is None:
            return
        reason = f" ({exc})" if exc is not None else ""
        self._say(
            f"the dongle on {self.path} went away{reason}: unplugged? Waiting for it to come "
            "back; the controller goes on and fetches what it misses",
            trouble=True,
        )
        self._opening = self._loop.create_task(self._open(first=False))

    def _received(self, data: bytes) -> None:
        driver = self._driver
        if driver is None:
            return
        self._write(driver.receive(data, self._clock.now()))
        self._after()

    def _on_timer(self) -> None:
        self._timer = None
        driver = self._driver
        if driver is None:
            return
        self._write(driver.advance(self._clock.now()))
        self._after()

    def _after(self) -> None:
        """Hand on the driver's events and re-arm its timer."""
        driver = self._driver
        loop = self._loop
        if driver is None or loop is None:
            return
        for event in driver.take_events():
            self._event(event)
        if self._driver is not driver:
            return
        if self._timer is not None:
            self._timer.cancel()
        delay = self._clock.delay_until(driver.next_wakeup())
        self._timer = loop.call_later(max(delay, 0.0), self._on_timer)

    def _write(self, data: bytes) -> None:
        if data and self._transport is not None:
            self._transport.write(data)

    def _event(self, event: DongleEvent) -> None:
        if isinstance(event, DatagramArrived):
            handler = self._handler
            if handler is not None:
                handler(event.data, Address(str(event.sender), event.port))
            return
        if isinstance(event, PanFound):
            self.pan = KnownPan.of(event.pan)
            if self.on_pan is not None:
                self.on_pan(event.pan)
        if isinstance(event, DongleNoise):
            self._noise += 1
            if self._noise > _NOISE_SHOWN:
                log.info("dongle noise: %r", event.line)
                return
        if isinstance(event, SendFailed):
            self._send_failures += 1
            if self._send_failures % _SEND_FAILURES_SHOWN != 1:
                log.info("a send failed: %s", event.why)
                return
        text = describe_event(event, self.path)
        if text is not None:
            self._say(text, trouble=_TROUBLE.get(type(event), False))

    def _say(self, text: str, *, trouble: bool = False) -> None:
        log.info("%s", text)
        if self.notice is not None:
            self.notice(LinkNotice(text, trouble))


class _Protocol(asyncio.Protocol):
    def __init__(self, link: SerialLink) -> None:
        self.link = link

    def data_received(self, data: bytes) -> None:
        self.link._received(data)

    def connection_lost(self, exc: Exception | None) -> None:
        self.link._lost(exc)


_TROUBLE: Final[dict[type, bool]] = {
    DongleSilent: True,
    DongleNoise: True,
    NoMeterFound: True,
    JoinRefused: True,
    SessionLost: True,
    SendFailed: True,
    RadioLimited: True,
}


def describe_event(event: DongleEvent, path: str) -> str | None:
    """One line, with a hint where the user can do something; ``None``: nothing to say."""
    if isinstance(event, DongleReady):
        return f"dongle on {path}: SKSTACK IP {event.version}, address {_short(event.address)}"
    if isinstance(event, Scanning):
        seconds = 28 * 0.0096 * (2**event.duration + 1)
        return f"scanning every channel for the meter (duration {event.duration}, {seconds:.0f} s)"
    if isinstance(event, PanFound):
        pan = event.pan
        return (
            f"the meter's PAN: channel {pan.channel} (0x{pan.channel:02X}), PAN ID "
            f"0x{pan.pan_id:04X}, MAC {pan.mac}; kept in the store, so a restart skips the scan"
        )
    if isinstance(event, NoMeterFound):
        return (
            "no Route B meter answered a scan of every channel (durations "
            f"{event.durations[0]}..{event.durations[-1]}). Hint: the utility starts the meter's "
            "Route B service when it sends the ID and password; the ID must be this meter's; "
            "move the dongle nearer the meter, or give --channel, --pan-id and --meter-mac"
        )
    if isinstance(event, Joining):
        return f"authenticating with the meter at {event.address} (PANA)"
    if isinstance(event, Joined):
        if event.renewed:
            return None
        return f"PANA session with the meter at {event.address} established"
    if isinstance(event, JoinRefused):
        return (
            f"the meter at {event.address} refused the PANA authentication (EVENT 24). Hint: "
            "check the Route B ID (32 characters) and password (12) against the utility's "
            "letter, in the files given; a meter out of reach gives this too"
        )
    if isinstance(event, SessionLost):
        return f"{event.reason}: joining again"
    if isinstance(event, Waiting):
        seconds = (event.until - datetime.now()).total_seconds()
        return f"trying again in {max(seconds, 0):.0f} s ({event.why})"
    if isinstance(event, DongleSilent):
        return (
            f"the dongle on {path} did not answer {event.command}. Hint: is it a SKSTACK IP "
            "dongle (ROHM BP35A1, BP35C0, BP35C2; Tessera RL7023)? Is the baud rate "
            f"{BAUD_RATE} (--baud)? Does another program hold the port?"
        )
    if isinstance(event, DongleNoise):
        return (
            f"the dongle on {path} wrote what is not SKSTACK IP: {event.line[:60]!r}. "
            "Hint: check the baud rate (--baud)"
        )
    if isinstance(event, SendFailed):
        return f"a datagram to {_short(event.to)} did not leave ({event.why}): the radio is weak"
    if isinstance(event, RadioLimited):
        if event.on:
            return (
                "the radio spent its transmission time for the hour (ARIB STD-T108, EVENT 32): "
                "nothing leaves until it lifts. Hint: a lower request rate ([requests] pace)"
            )
        return "the radio may send again (EVENT 33)"
    return None


def _short(address: str) -> str:
    try:
        return str(IPv6Address(address))
    except ValueError:
        return address


def _open_failure(path: str, exc: OSError, *, first: bool) -> str:
    if isinstance(exc, PermissionError) or "ermission" in str(exc):
        return (
            f"cannot open {path}: permission denied. Hint: add the user to the 'dialout' group "
            "or give the dongle a udev rule (README, Connect a real meter); waiting for it"
        )
    if not os.path.exists(path):
        what = "is not there" if first else "is still gone"
        return f"the dongle {path} {what}: plugged in? Waiting for it"
    return f"cannot open {path}: {exc}; waiting for it"
