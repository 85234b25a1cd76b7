"""A SKSTACK IP dongle joined over the air to a meter engine, sans I/O: the dongle side.

:class:`DongleEmulator` keeps the stream contract (:mod:`hemsnet.skstack.stream`): what the host
writes and ``now`` in; what the dongle answers, the events it reports and the datagrams the
meter sends (``ERXUDP``) out, each at its time. It answers the command set as the public
references describe it (docs/skstack.md): replies, ``OK``/``FAIL ERxx``, the command echo until
``SKSREG SFE 0``, ``ROPT``/``WOPT`` and ERXUDP in raw or hexadecimal data, the EVENT numbers and
their order; and it models what a user meets:

* a scan takes 28 channels x 9.6 ms x (2**d + 1), and a meter whose signal is weak is heard only
  from ``RadioSettings.hearing_duration`` on; SKSCAN 2 is answered only by the meter whose
  pairing ID (the last eight characters of the Route B ID) is the one set;
* PANA authentication against the meter's Route B ID and password: EVENT 25, or EVENT 24;
* the session's lifetime, renewed before its end (EVENT 25 again) or, when re-authentication
  fails, expired (EVENT 29); the meter ending it (EVENT 26, :meth:`DongleEmulator.end_session`);
* radio loss each way and latency; the radio's transmission-time budget [ARIB STD-T108]:
  EVENT 32 when spent, sends failing (EVENT 21 with 01), EVENT 33 when the hour frees it;
* ``SKSENDTO`` datagrams delivered to the meter engine, and its datagrams back as ``ERXUDP``.

Three firmware profiles (:class:`Firmware`): the BP35A1 (single-hop, ROPT/WOPT, raw ERXUDP
data until WOPT 01), the BP35C2 (dual-stack: SIDE in events, SKSCAN, SKSENDTO and ERXUDP, which
also carries the link quality) and the RL7023 Stick-D/IPS (no ROPT/WOPT: FAIL ER04; hex data).
"""

from __future__ import annotations

import heapq
import ipaddress
import itertools
import logging
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum
from ipaddress import IPv6Address
from typing import Final

from hemsnet.echonet.engine import Engine
from hemsnet.echonet.send import Send
from hemsnet.physics.draws import Draws
from hemsnet.skstack.protocol import (
    ECHONET_LITE_PORT,
    PANA_PORT,
    CommandLine,
    CommandReader,
    EventNumber,
    full_address,
    link_local,
)

__all__ = ["DongleEmulator", "DongleNote", "Endpoint", "Firmware", "MeterRadio", "RadioSettings"]

log = logging.getLogger(__name__)

_CHANNEL_MASK_ALL: Final = 0xFFFFFFFF
_CHANNELS: Final = range(33, 61)  # 920 MHz band channels 33-60, 28 of them
_SLOT: Final = 0.0096  # s per channel and duration unit of SKSCAN
_PANA_STEPS: Final = 4  # PANA exchanges a join takes, each a round trip
_TERM_DELAY: Final = timedelta(seconds=0.5)
_RENEW_AT: Final = 0.8  # of the lifetime: when the dongle re-authenticates
_HOUR: Final = timedelta(hours=1)
_OVERHEAD_BYTES: Final = 40  # MAC and 6LoWPAN headers, roughly, over the air
_MULTICAST: Final = IPv6Address("ff02::1")
_PANA_TRIES: Final = 5  # retransmissions of a PANA message before the dongle gives up
_NO_ANSWER: Final = timedelta(seconds=30)  # PANA's wait for a meter that never answers


class Firmware(Enum):
    """Which SKSTACK IP dialect the emulated dongle speaks."""

    BP35A1 = "bp35a1"  # single-hop; ROPT/WOPT; raw ERXUDP data by default
    BP35C2 = "bp35c2"  # dual-stack (B route and HAN): SIDE fields, link quality in ERXUDP
    RL7023 = "rl7023"  # Stick-D/IPS: no ROPT/WOPT, hexadecimal ERXUDP data

    @property
    def dual(self) -> bool:
        return self is Firmware.BP35C2

    @property
    def options(self) -> bool:
        return self is not Firmware.RL7023

    @property
    def version(self) -> str:
        return {"bp35a1": "1.2.10", "bp35c2": "1.5.2", "rl7023": "1.2.8"}[self.value]


@dataclass(frozen=True, slots=True)
class Endpoint:
    """The host, as the meter engine sees it: the dongle's address and UDP port."""

    host: str
    port: int = ECHONET_LITE_PORT

    def __str__(self) -> str:
        return self.host


@dataclass(frozen=True, slots=True)
class MeterRadio:
    """The meter's end of the radio link and what it accepts."""

    route_b_id: str = field(repr=False)
    password: str = field(repr=False)
    mac: str = "001D129012345678"
    channel: int = 0x21
    pan_id: int = 0x8888

    @property
    def address(self) -> IPv6Address:
        return link_local(self.mac)


@dataclass(frozen=True, slots=True)
class RadioSettings:
    """The air between the dongle and the meter; seconds."""

    loss: float = 0.0  # chance each datagram is lost, each way
    latency: float = 0.05  # one way
    hearing_duration: int = 4  # the least SKSCAN duration at which the meter is heard
    session_lifetime: float = 86_400.0
    reauthentication_fails: bool = False  # the session then expires (EVENT 29)
    tx_budget: float = 360.0  # air time per hour [ARIB STD-T108]
    bitrate: float = 100_000.0  # bit/s


@dataclass(frozen=True, slots=True)
class DongleNote:
    """What the dongle did, for the log of ``hemsnet dongle``."""

    text: str


@dataclass(order=True, slots=True)
class _Due:
    at: datetime
    seq: int
    data: bytes = field(compare=False)
    deliver: bytes | None = field(default=None, compare=False)  # a datagram for the meter


class DongleEmulator:
    """The dongle a host drives over the serial line, and the meter it reaches by radio."""

    def __init__(
        self,
        meter: Engine[object],
        radio: MeterRadio,
        *,
        now: datetime,
        firmware: Firmware = Firmware.BP35A1,
        settings: RadioSettings | None = None,
        mac: str = "001D1290ABCDEF01",
        seed: int = 0,
    ) -> None:
        self.meter = meter
        self.radio = radio
        self.firmware = firmware
        self.settings = settings or RadioSettings()
        self.mac = mac
        self.address = link_local(mac)
        self.now = now
        self.echo = True  # SFE: on until SKSREG SFE 0
        self.hex_data = not firmware.options  # WOPT bit 0; the RL7023 writes hex only
        self.channel = 0x21
        self.pan_id = 0xFFFF
        self.route_b_id = ""
        self.password = ""
        self.session = False
        self.joining = False
        self.limited = False
        self.received: list[str] = []  # every command line, for tests (no data, no secrets)
        self._reader = CommandReader()
        self._draws = Draws(seed)
        self._due: list[_Due] = []
        self._seq = itertools.count()
        self._renew_at: datetime | None = None
        self._expires_at: datetime | None = None
        self._join_due: tuple[datetime, bool] | None = None  # when a join ends, and how
        self._air: deque[tuple[datetime, float]] = deque()
        self._notes: list[DongleNote] = []
        self._host = Endpoint(str(self.address))

    # --- the stream contract (hemsnet.skstack.stream) -------------------------------------

    def start(self, now: datetime) -> bytes:
        self.now = now
        return b""

    def receive(self, data: bytes, now: datetime) -> bytes:
        self.now = now
        out = self.advance(now)
        for command in self._reader.feed(data):
            out += self._command(command)
        return out

    def advance(self, now: datetime) -> bytes:
        self.now = now
        out = b""
        self._timers(now)
        for send in self.meter.advance(now) if self.meter.next_wakeup() <= now else []:
            self._from_meter(send)
        while self._due and self._due[0].at <= now:
            due = heapq.heappop(self._due)
            if due.deliver is not None:
                self._to_meter(due.deliver, now)
            out += due.data
        return out

    def next_wakeup(self) -> datetime:
        wakes = [self.meter.next_wakeup()]
        if self._due:
            wakes.append(self._due[0].at)
        join = self._join_due[0] if self._join_due is not None else None
        for at in (self._renew_at, self._expires_at, join):
            if at is not None:
                wakes.append(at)
        if self.limited and self._air:
            wakes.append(self._air[0][0] + _HOUR)
        return min(wakes)

    def take_events(self) -> Sequence[object]:
        events: list[object] = [*self._notes, *self.meter.take_events()]
        self._notes = []
        return events

    # --- what a test or the command line may do -------------------------------------------

    def end_session(self, now: datetime) -> bytes:
        """The meter ends the PANA session: EVENT 26."""
        self.now = now
        if not self.session:
            return b""
        self._close_session()
        self._note("the meter ended the session")
        return self._event(EventNumber.PANA_TERMINATION_REQUESTED, self.radio.address)

    # --- commands ---------------------------------------------------------------------------

    def _command(self, command: CommandLine) -> bytes:
        words = command.words
        name = words[0].upper()
        self.received.append(_shown(command))
        out = (command.text + "\r\n").encode("latin-1") if self.echo else b""
        handler = _COMMANDS.get(name)
        if handler is None:
            return out + b"FAIL ER04\r\n"
        try:
            return out + handler(self, command)
        except _Refused as refused:
            return out + f"FAIL {refused.code}\r\n".encode("ascii")

    def _reset(self, command: CommandLine) -> bytes:
        _arguments(command, 0)
        self._close_session()
        self.channel, self.pan_id = 0x21, 0xFFFF
        return b"OK\r\n"

    def _sreg(self, command: CommandLine) -> bytes:
        register, *value = _arguments(command, 1, 2)
        register = register.upper()
        if register not in ("SFE", "S2", "S3"):
            raise _Refused("ER06")
        if not value:
            current = {"SFE": int(self.echo), "S2": self.channel, "S3": self.pan_id}[register]
            return f"ESREG {current:02X}\r\nOK\r\n".encode("ascii")
        number = _hex(value[0])
        if register == "SFE":
            if number not in (0, 1):
                raise _Refused("ER06")
            self.echo = bool(number)
        elif register == "S2":
            if number not in _CHANNELS:
                raise _Refused("ER06")
            self.channel = number
        else:
            if not 0 <= number <= 0xFFFF:
                raise _Refused("ER06")
            self.pan_id = number
        return b"OK\r\n"

    def _ver(self, command: CommandLine) -> bytes:
        _arguments(command, 0)
        return f"EVER {self.firmware.version}\r\nOK\r\n".encode("ascii")

    def _appver(self, command: CommandLine) -> bytes:
        _arguments(command, 0)
        return b"EAPPVER hemsnet-dongle\r\nOK\r\n"

    def _ropt(self, command: CommandLine) -> bytes:
        if not self.firmware.options:
            raise _Refused("ER04")
        _arguments(command, 0)
        return f"OK {int(self.hex_data):02X}\r\n".encode("ascii")

    def _wopt(self, command: CommandLine) -> bytes:
        if not self.firmware.options:
            raise _Refused("ER04")
        (value,) = _arguments(command, 1)
        self.hex_data = bool(_hex(value) & 1)
        return b"OK\r\n"

    def _info(self, command: CommandLine) -> bytes:
        _arguments(command, 0)
        line = (
            f"EINFO {full_address(self.address)} {self.mac} {self.channel:02X} "
            f"{self.pan_id:04X} FFFE"
        )
        return (line + "\r\nOK\r\n").encode("ascii")

    def _setpwd(self, command: CommandLine) -> bytes:
        size, password = _arguments(command, 2)
        if _hex(size) != len(password) or not 1 <= len(password) <= 32:
            raise _Refused("ER06")
        self.password = password
        return b"OK\r\n"

    def _setrbid(self, command: CommandLine) -> bytes:
        (route_b_id,) = _arguments(command, 1)
        if len(route_b_id) != 32:
            raise _Refused("ER06")
        self.route_b_id = route_b_id
        return b"OK\r\n"

    def _ll64(self, command: CommandLine) -> bytes:
        (mac,) = _arguments(command, 1)
        try:
            address = link_local(mac)
        except ValueError:
            raise _Refused("ER06") from None
        return (full_address(address) + "\r\n").encode("ascii")  # no OK [reference 3.29]

    def _scan(self, command: CommandLine) -> bytes:
        side = 1 if self.firmware.dual else 0
        mode, mask, duration, *_ = _arguments(command, 3 + side)
        if _hex(mode) not in (0, 2, 3) or len(mask) != 8 or not 0 <= _hex(duration) <= 14:
            raise _Refused("ER06")
        seconds = len(_CHANNELS) * _SLOT * (2 ** _hex(duration) + 1)
        end = self.now + timedelta(seconds=seconds)
        radio = self.radio
        heard = (
            _hex(mode) in (2, 3)
            and _hex(duration) >= self.settings.hearing_duration
            and _hex(mask) >> (radio.channel - _CHANNELS[0]) & 1
            and (_hex(mode) == 3 or self.route_b_id[-8:].upper() == radio.route_b_id[-8:].upper())
            and not self._lost()
        )
        if heard:
            at = self.now + (end - self.now) * ((radio.channel - 32) / len(_CHANNELS))
            block = [
                "EPANDESC",
                f"  Channel:{radio.channel:02X}",
                "  Channel Page:09",
                f"  Pan ID:{radio.pan_id:04X}",
                f"  Addr:{radio.mac}",
                "  LQI:8C",
            ]
            if _hex(mode) == 2:
                block.append(f"  PairID:{radio.route_b_id[-8:].upper()}")
            event = self._event_text(EventNumber.BEACON, self.address)
            self._later(at, (event + "\r\n" + "\r\n".join(block) + "\r\n").encode("ascii"))
        self._later(end, self._event(EventNumber.ACTIVE_SCAN_DONE, self.address))
        return b"OK\r\n"

    def _join(self, command: CommandLine) -> bytes:
        (text,) = _arguments(command, 1)
        address = _address(text)
        radio = self.radio
        if self.session or self.joining:
            raise _Refused("ER10")
        self.joining = True
        right_place = (
            address == radio.address
            and self.channel == radio.channel
            and self.pan_id == radio.pan_id
        )
        round_trip = timedelta(seconds=2 * self.settings.latency + 0.1)
        at = self.now + round_trip
        self._later(
            at,
            self._event(EventNumber.UDP_SENT, address, 2)
            + self._event(EventNumber.NEIGHBOR_ADVERTISEMENT, address),
        )
        reached = right_place
        for _ in range(_PANA_STEPS if right_place else 0):
            for _try in range(_PANA_TRIES):  # PANA retransmits what the radio loses
                at += round_trip
                if not (self._lost() or self._lost()):
                    break
            else:
                reached = False
                break
            self._later(at, self._event(EventNumber.UDP_SENT, address, 0) + self._pana())
        if not reached:
            at += _NO_ANSWER
        accepted = (
            reached and self.route_b_id == radio.route_b_id and self.password == radio.password
        )
        self._join_due = (at, accepted)
        return b"OK\r\n"

    def _term(self, command: CommandLine) -> bytes:
        _arguments(command, 0)
        if not self.session:
            raise _Refused("ER10")
        self._close_session()
        ended = self._event(EventNumber.PANA_TERMINATED, self.radio.address)
        self._later(self.now + _TERM_DELAY, ended)
        return b"OK\r\n"

    def _sendto(self, command: CommandLine) -> bytes:
        side = 1 if self.firmware.dual else 0
        handle, text, port, security, *_ = _arguments(command, 5 + side)
        data = command.data
        if data is None or handle not in "123456" or security not in ("0", "1", "2"):
            raise _Refused("ER06")
        address = _address(text)
        if not self.session and security == "1":
            raise _Refused("ER10")  # no key to encrypt with
        if self.limited:
            return self._event(EventNumber.UDP_SENT, address, 1) + b"OK\r\n"
        self._spend(len(data))
        out = self._event(EventNumber.UDP_SENT, address, 0) + b"OK\r\n"
        meant = address in (self.radio.address, _MULTICAST) and _hex(port) == ECHONET_LITE_PORT
        if meant and self.session and not self._lost():
            at = self.now + timedelta(seconds=self.settings.latency)
            heapq.heappush(self._due, _Due(at, next(self._seq), b"", data))
        if self.limited:
            out += self._event(EventNumber.TX_LIMITED, self.address)
        return out

    # --- the session, the radio and the meter -----------------------------------------------

    def _later(self, at: datetime, data: bytes) -> None:
        heapq.heappush(self._due, _Due(at, next(self._seq), data))

    def _timers(self, now: datetime) -> None:
        join = self._join_due
        if join is not None and join[0] <= now:
            self._join_due = None
            self.joining = False
            if join[1]:
                self._open_session(now)
            else:
                self._note("PANA refused: wrong Route B ID or password, or out of reach")
                self._push_now(self._event(EventNumber.PANA_FAILED, self.radio.address))
        if self._renew_at is not None and now >= self._renew_at:
            self._renew_at = None
            if not self.settings.reauthentication_fails:
                self._open_session(now, renewed=True)
        if self._expires_at is not None and now >= self._expires_at:
            self._close_session()
            self._note("the session expired")
            self._push_now(self._event(EventNumber.PANA_EXPIRED, self.radio.address))
        if self.limited:
            self._spend(0)
            if not self.limited:
                self._push_now(self._event(EventNumber.TX_LIMIT_LIFTED, self.address))

    def _open_session(self, now: datetime, *, renewed: bool = False) -> None:
        lifetime = timedelta(seconds=self.settings.session_lifetime)
        self.session = True
        self._renew_at = now + lifetime * _RENEW_AT
        self._expires_at = now + lifetime
        self._note("the session was renewed" if renewed else "PANA session up")
        self._push_now(self._event(EventNumber.PANA_JOINED, self.radio.address))
        if not renewed:  # the meter announces itself to its new controller [AIF 3.1.1]
            for send in self.meter.announce(now):
                self._from_meter(send)

    def _close_session(self) -> None:
        self.session = False
        self.joining = False
        self._join_due = None
        self._renew_at = self._expires_at = None

    def _push_now(self, data: bytes) -> None:
        heapq.heappush(self._due, _Due(self.now, next(self._seq), data))

    def _to_meter(self, data: bytes, at: datetime) -> None:
        for send in self.meter.receive(data, self._host, at):
            self._from_meter(send)

    def _from_meter(self, send: Send) -> None:
        if not self.session or self._lost():
            return
        at = max(send.at or self.now, self.now) + timedelta(seconds=self.settings.latency)
        dest = self.address if send.to is not None else _MULTICAST
        heapq.heappush(self._due, _Due(at, next(self._seq), self._erxudp(send.data, dest)))

    def _erxudp(self, data: bytes, dest: IPv6Address, port: int = ECHONET_LITE_PORT) -> bytes:
        radio = self.radio
        quality = " 8C" if self.firmware.dual else ""
        side = " 0" if self.firmware.dual else ""
        head = (
            f"ERXUDP {full_address(radio.address)} {full_address(dest)} {port:04X} {port:04X} "
            f"{radio.mac}{quality} 1{side} {len(data):04X} "
        )
        body = data.hex().upper().encode("ascii") if self.hex_data else data
        return head.encode("ascii") + body + b"\r\n"

    def _pana(self) -> bytes:
        """A PANA datagram as the host sees it go by (port 716): noise a driver must skip."""
        return self._erxudp(bytes(4) + b"PANA", self.address, PANA_PORT)

    def _event(self, number: int, address: IPv6Address, param: int | None = None) -> bytes:
        return (self._event_text(number, address, param) + "\r\n").encode("ascii")

    def _event_text(self, number: int, address: IPv6Address, param: int | None = None) -> str:
        side = " 0" if self.firmware.dual else ""
        tail = "" if param is None else f" {param:02X}"
        return f"EVENT {number:02X} {full_address(address)}{side}{tail}"

    def _lost(self) -> bool:
        loss = self.settings.loss
        return loss > 0 and self._draws.random() < loss

    def _spend(self, size: int) -> None:
        """Air time of a datagram of ``size`` bytes against the hourly budget [ARIB STD-T108]."""
        now = self.now
        air = self._air
        while air and air[0][0] <= now - _HOUR:
            air.popleft()
        if size:
            air.append((now, (size + _OVERHEAD_BYTES) * 8 / self.settings.bitrate))
        spent = sum(seconds for _, seconds in air)
        if not self.limited and spent >= self.settings.tx_budget:
            self.limited = True
            self._note("the transmission-time budget is spent")
        elif self.limited and spent < self.settings.tx_budget:
            self.limited = False

    def _note(self, text: str) -> None:
        log.info("dongle: %s", text)
        self._notes.append(DongleNote(text))


class _Refused(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _arguments(command: CommandLine, least: int, most: int | None = None) -> list[str]:
    arguments = list(command.words[1:])
    if not least <= len(arguments) <= (least if most is None else most):
        raise _Refused("ER05")
    return arguments


def _hex(text: str) -> int:
    try:
        return int(text, 16)
    except ValueError:
        raise _Refused("ER06") from None


def _address(text: str) -> IPv6Address:
    try:
        return ipaddress.IPv6Address(text)
    except ValueError:
        raise _Refused("ER06") from None


def _shown(command: CommandLine) -> str:
    """A command for a log or a test: never the credentials, never the data."""
    name = command.words[0].upper()
    if name in ("SKSETPWD", "SKSETRBID"):
        return name
    return command.text


_COMMANDS: Final = {
    "SKRESET": DongleEmulator._reset,
    "SKSREG": DongleEmulator._sreg,
    "SKVER": DongleEmulator._ver,
    "SKAPPVER": DongleEmulator._appver,
    "ROPT": DongleEmulator._ropt,
    "WOPT": DongleEmulator._wopt,
    "SKINFO": DongleEmulator._info,
    "SKSETPWD": DongleEmulator._setpwd,
    "SKSETRBID": DongleEmulator._setrbid,
    "SKLL64": DongleEmulator._ll64,
    "SKSCAN": DongleEmulator._scan,
    "SKJOIN": DongleEmulator._join,
    "SKTERM": DongleEmulator._term,
    "SKSENDTO": DongleEmulator._sendto,
}
