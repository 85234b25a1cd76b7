"""The host side of a SKSTACK IP dongle: from a serial line to the meter's datagrams, sans I/O.

:class:`SkStackDriver` keeps the stream contract (:mod:`hemsnet.skstack.stream`): bytes read
from the dongle and ``now`` in; the bytes to write, events (:mod:`hemsnet.skstack.events`) and
the next wake-up out. One command is in flight at a time; each ends with ``OK`` or ``FAIL ERxx``
(``SKLL64`` with the address alone, ``SKSCAN`` with EVENT 22, ``SKJOIN`` with EVENT 25 or 24)
or its timeout. Echoed commands are recognised and skipped.

The session [BP35A1 command reference 3; docs/skstack.md]:

1. a CRLF ends whatever a previous process left half-written; ``SKRESET``; ``SKSREG SFE 0``
   (no echo); ``SKVER``; ``ROPT`` and, where it reads raw data, ``WOPT 01`` (hexadecimal
   ``ERXUDP``; a firmware without them answers ``FAIL ER04`` and is taken to write hex);
   ``SKINFO``; ``SKSETPWD C``, ``SKSETRBID`` with the Route B credentials (never logged);
2. the meter's PAN: given (``--channel``, ``--pan-id``, ``--meter-mac``, or kept from an
   earlier scan), else ``SKSCAN 2 FFFFFFFF d`` with d = 4, 5, ... 8 until a PAN answers;
3. ``SKSREG S2`` (channel), ``SKSREG S3`` (PAN ID), ``SKLL64`` (the meter's address), ``SKJOIN``;
   EVENT 25 is the session, EVENT 24 a refusal;
4. joined: ECHONET Lite datagrams go out with ``SKSENDTO`` (encrypted) and come in as ``ERXUDP``
   on port 3610. EVENT 26 (the meter ended the session), 29 (it expired) or 24 (re-authentication
   refused) end the session: the driver joins again at once, then after a doubling back-off; after
   two refusals with a known PAN it scans again.

Time is an input; nothing here reads a clock or touches the serial port.
"""

from __future__ import annotations

import ipaddress
import logging
from collections import deque
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum
from ipaddress import IPv6Address
from typing import Final

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
from hemsnet.skstack.protocol import (
    ECHONET_LITE_PORT,
    Event,
    EventNumber,
    Fail,
    LineReader,
    Ok,
    Output,
    PanDescription,
    Reply,
    RxUdp,
    Text,
    full_address,
    link_local,
)

__all__ = ["DriverSettings", "KnownPan", "RouteBCredentials", "SkStackDriver"]

log = logging.getLogger(__name__)

_ROUTE_B_ID_LENGTH: Final = 32
_PASSWORD_LENGTH: Final = 12
_MULTICAST: Final = IPv6Address("ff02::1")
_SEND_QUEUE: Final = 8
_COMMAND_TRIES: Final = 3  # a command that gets no answer is written again this often
_REFUSALS_BEFORE_SCAN: Final = 2  # a known PAN refused this often is looked for again
_FAR: Final = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class RouteBCredentials:
    """The Route B ID (32 characters) and password (12) the utility sends; never shown."""

    route_b_id: str = field(repr=False)
    password: str = field(repr=False)

    def __post_init__(self) -> None:
        for name, value, size in (
            ("Route B ID", self.route_b_id, _ROUTE_B_ID_LENGTH),
            ("Route B password", self.password, _PASSWORD_LENGTH),
        ):
            if len(value) != size or not value.isascii() or not value.isalnum():
                raise ValueError(f"the {name} is {size} letters and digits, not {len(value)}")

    @property
    def pair_id(self) -> str:
        """What an SKSCAN 2 beacon carries: the last eight characters of the ID."""
        return self.route_b_id[-8:].upper()


@dataclass(frozen=True, slots=True)
class KnownPan:
    """The meter's PAN when known without a scan: from the command line or an earlier scan."""

    channel: int
    pan_id: int
    mac: str  # 16 hexadecimal digits

    @classmethod
    def of(cls, pan: PanDescription) -> KnownPan:
        return cls(pan.channel, pan.pan_id, pan.mac)


@dataclass(frozen=True, slots=True)
class DriverSettings:
    """How hard the driver tries; seconds of the caller's clock."""

    scan_durations: tuple[int, ...] = (4, 5, 6, 7, 8)
    command_timeout: float = 5.0  # a dongle answers a command in milliseconds
    join_timeout: float = 120.0  # PANA over a lossy radio takes its retransmissions
    retry_base: float = 5.0  # back-off after a failure, doubling...
    retry_max: float = 600.0  # ...up to ten minutes


class _Kind(Enum):
    SIMPLE = "simple"  # OK or FAIL
    LL64 = "ll64"  # the address alone, or FAIL
    SCAN = "scan"  # OK, then EVENT 22
    JOIN = "join"  # OK, then EVENT 25 or 24
    SENDTO = "sendto"  # OK or FAIL (EVENT 21 comes on its own)


@dataclass(slots=True)
class _Command:
    write: bytes
    kind: _Kind = _Kind.SIMPLE
    timeout: float = 0.0  # 0: the settings' command timeout
    shown: str = ""  # for the log: the credentials are never written there


@dataclass(slots=True)
class _Result:
    done: bool  # closed by OK (or its EVENT), not FAIL or the timer
    fail: str | None = None
    outputs: list[Output] = field(default_factory=list)

    def reply(self, keyword: str) -> tuple[str, ...] | None:
        for output in self.outputs:
            if isinstance(output, Reply) and output.keyword == keyword:
                return output.fields
        return None


@dataclass(frozen=True, slots=True)
class _Wait:
    until: datetime | None  # None: until woken (the session ends)


_Step = _Command | _Wait
_Session = Generator[_Step, _Result | None, None]


@dataclass(slots=True)
class _InFlight:
    command: _Command
    deadline: datetime
    echo: str
    result: _Result
    opened: bool = False  # SCAN, JOIN: its OK came, the event closes it
    send: bool = False  # a datagram's SKSENDTO, not a step of the session


class _Broken(Exception):
    """A step the session cannot go on from: back off and begin again."""


class SkStackDriver:
    """Drives one SKSTACK IP dongle to the meter and carries the meter's datagrams."""

    def __init__(
        self,
        credentials: RouteBCredentials,
        *,
        now: datetime,
        pan: KnownPan | None = None,
        settings: DriverSettings | None = None,
    ) -> None:
        self.settings = settings or DriverSettings()
        self.now = now
        self.pan = pan
        self.meter: IPv6Address | None = None  # the meter's address, once authenticated
        self.joined = False
        self.limited = False  # the radio's transmission-time limit
        self.dual: bool | None = None  # dual-stack firmware: SIDE fields; learnt from output
        self._credentials = credentials
        self._reader = LineReader()
        self._events: list[DongleEvent] = []
        self._queue: deque[tuple[bytes, IPv6Address, int]] = deque(maxlen=_SEND_QUEUE)
        self._flight: _InFlight | None = None
        self._session: _Session = self._run()
        self._step: _Step | None = None
        self._result: _Result | None = None
        self._woken = False

    # --- the stream contract (hemsnet.skstack.stream) -------------------------------------

    def start(self, now: datetime) -> bytes:
        """The port is open: a CRLF ends a command a previous process left half-written, then
        the session begins."""
        self.now = now
        return b"\r\n" + self._pump()

    def receive(self, data: bytes, now: datetime) -> bytes:
        self.now = now
        for output in self._reader.feed(data):
            self._take(output)
        return self._pump()

    def advance(self, now: datetime) -> bytes:
        self.now = now
        flight = self._flight
        if flight is not None and now >= flight.deadline:
            self._flight = None
            log.info("no answer to %s in time", flight.command.shown)
            if flight.send:
                self._events.append(SendFailed(flight.echo, "the dongle did not answer"))
            else:
                self._result = flight.result  # done stays False: timed out
        return self._pump()

    def next_wakeup(self) -> datetime:
        wakes = [self.now + _FAR]
        if self._flight is not None:
            wakes.append(self._flight.deadline)
        step = self._step
        if isinstance(step, _Wait) and step.until is not None:
            wakes.append(step.until)
        return min(wakes)

    def take_events(self) -> Sequence[DongleEvent]:
        if not self._events:
            return ()
        events, self._events = self._events, []
        return events

    # --- datagrams ------------------------------------------------------------------------

    def send(self, data: bytes, to: IPv6Address | None, port: int = ECHONET_LITE_PORT) -> bool:
        """Queue a datagram for ``to`` (``None``: every node); whether it was taken. Nothing is
        taken while there is no session or the radio is at its limit."""
        if not self.joined or self.limited or len(self._queue) >= _SEND_QUEUE:
            return False
        self._queue.append((data, to or _MULTICAST, port))
        return True

    def flush(self, now: datetime) -> bytes:
        """What to write now that a datagram may have been queued."""
        self.now = now
        return self._pump()

    # --- inside: the one command in flight --------------------------------------------------

    def _pump(self) -> bytes:
        out = b""
        while self._flight is None:
            step = self._next_step()
            if isinstance(step, _Command):
                out += self._write(step)
                continue
            if self.joined and self._queue and not self.limited:
                out += self._write(self._sendto(*self._queue.popleft()), send=True)
                continue
            break
        return out

    def _next_step(self) -> _Step | None:
        """The session's current step, resumed when what it waited for happened."""
        step = self._step
        if isinstance(step, _Wait):
            due = step.until is not None and self.now >= step.until
            if not (due or self._woken):
                return step
        elif isinstance(step, _Command) and self._result is None:
            return None  # in flight
        self._woken = False
        result, self._result = self._result, None
        self._step = self._session.send(result)
        return self._step

    def _write(self, command: _Command, *, send: bool = False) -> bytes:
        timeout = command.timeout or self.settings.command_timeout
        echo = command.write.split(b"\r\n")[0].decode("latin-1")
        if command.kind is _Kind.SENDTO:
            echo = echo[: echo.rfind(" ")] if send else echo
        self._flight = _InFlight(
            command, self.now + timedelta(seconds=timeout), echo, _Result(False), send=send
        )
        log.debug("-> %s", command.shown)
        return command.write

    def _sendto(self, data: bytes, to: IPv6Address, port: int) -> _Command:
        side = " 0" if self.dual else ""  # the B-route radio of a dual-stack dongle
        head = f"SKSENDTO 1 {full_address(to)} {port:04X} 1{side} {len(data):04X} "
        return _Command(head.encode("ascii") + data, _Kind.SENDTO, shown=f"SKSENDTO to {to}")

    def _close(self, *, done: bool, fail: str | None = None) -> None:
        flight = self._flight
        assert flight is not None
        self._flight = None
        flight.result.done = done
        flight.result.fail = fail
        if flight.send:
            if fail == "ER05" and self.dual is None:
                self.dual = True  # its SKSENDTO wants SIDE: a dual-stack firmware
            if fail is not None:
                self._events.append(SendFailed(flight.echo.split(" ")[2], f"FAIL {fail}"))
            return
        self._result = flight.result

    # --- inside: what the dongle writes ------------------------------------------------------

    def _take(self, output: Output) -> None:
        flight = self._flight
        if isinstance(output, RxUdp):
            self._received(output)
            return
        if isinstance(output, Event):
            self._learn_dialect(len(output.rest), output.number == EventNumber.UDP_SENT)
            if flight is not None and flight.opened and self._closes(flight, output):
                return
            self._event(output)
            return
        if flight is None:
            if isinstance(output, Text) and not output.text.startswith("SK"):
                self._noise(output.text)
            return
        if isinstance(output, Ok):
            if flight.command.kind in (_Kind.SCAN, _Kind.JOIN):
                flight.opened = True
                flight.result.outputs.append(output)
            else:
                flight.result.outputs.append(output)
                self._close(done=True)
        elif isinstance(output, Fail):
            self._close(done=False, fail=output.code)
        elif isinstance(output, Text):
            self._text(flight, output.text)
        else:
            flight.result.outputs.append(output)

    def _text(self, flight: _InFlight, text: str) -> None:
        if text == flight.echo or text.startswith(("SK", "ROPT", "WOPT")):
            return  # an echo: SKSREG SFE 0 ends them
        if flight.command.kind is _Kind.LL64:
            try:
                ipaddress.IPv6Address(text.strip())
            except ValueError:
                pass
            else:
                flight.result.outputs.append(Text(text.strip()))
                self._close(done=True)
                return
        self._noise(text)

    def _closes(self, flight: _InFlight, event: Event) -> bool:
        """Whether ``event`` ends the SCAN or JOIN in flight."""
        kind = flight.command.kind
        if kind is _Kind.SCAN and event.number == EventNumber.ACTIVE_SCAN_DONE:
            self._close(done=True)
            return True
        if kind is _Kind.JOIN and event.number in (
            EventNumber.PANA_JOINED,
            EventNumber.PANA_FAILED,
        ):
            self._close(done=event.number == EventNumber.PANA_JOINED)
            return True
        return False

    def _event(self, event: Event) -> None:
        number = event.number
        if number == EventNumber.UDP_SENT and event.param == 1:
            self._events.append(SendFailed(event.sender, "EVENT 21 01: the radio sent nothing"))
        elif number == EventNumber.PANA_JOINED and self.joined:
            self._events.append(Joined(ipaddress.IPv6Address(event.sender), renewed=True))
        elif number in _SESSION_ENDS and self.joined:
            self._lost(_SESSION_ENDS[number], number)
        elif number == EventNumber.TX_LIMITED:
            self.limited = True
            self._queue.clear()
            self._events.append(RadioLimited(on=True))
        elif number == EventNumber.TX_LIMIT_LIFTED:
            self.limited = False
            self._events.append(RadioLimited(on=False))

    def _received(self, datagram: RxUdp) -> None:
        if self.dual is None:
            self.dual = datagram.side is not None
        if datagram.lport != ECHONET_LITE_PORT:
            return  # PANA (716) and the like: the stack's own business
        if not self.joined:
            return
        try:
            sender = ipaddress.IPv6Address(datagram.sender)
        except ValueError:
            return
        self._events.append(DatagramArrived(sender, datagram.rport, datagram.data))

    def _learn_dialect(self, fields: int, udp_sent: bool) -> None:
        """Events after the address: PARAM for EVENT 21, and SIDE on dual-stack firmware."""
        if self.dual is None and fields:
            self.dual = fields > (1 if udp_sent else 0)

    def _noise(self, line: str) -> None:
        self._events.append(DongleNoise(line))

    def _lost(self, reason: str, number: int) -> None:
        self.joined = False
        self._queue.clear()
        self._events.append(SessionLost(reason, number))
        self._woken = True

    # --- the session --------------------------------------------------------------------------

    def _run(self) -> _Session:
        failures = 0
        refused = 0
        while True:
            try:
                yield from self._initialise()
                pan = self.pan
                if pan is None or refused >= _REFUSALS_BEFORE_SCAN:
                    pan = yield from self._scan()
                    refused = 0
                joined = yield from self._join(pan)
            except _Broken as broken:
                failures += 1
                yield from self._back_off(failures, str(broken))
                continue
            if not joined:
                refused += 1
                failures += 1
                yield from self._back_off(failures, "the meter refused the session")
                continue
            failures = 0
            refused = 0
            yield _Wait(None)  # joined: until the session ends
            yield from self._back_off(1, "the session ended")

    def _back_off(self, failures: int, why: str) -> Generator[_Step, _Result | None, None]:
        settings = self.settings
        if failures <= 1 and why == "the session ended":
            return  # the first re-join goes at once
        delay = min(settings.retry_base * 2 ** max(failures - 1, 0), settings.retry_max)
        until = self.now + timedelta(seconds=delay)
        self._events.append(Waiting(until, why))
        yield _Wait(until)

    def _initialise(self) -> Generator[_Step, _Result | None, None]:
        yield from self._ask("SKRESET")
        yield from self._ask("SKSREG SFE 0")  # no echo from here on
        version = yield from self._ask("SKVER")
        options = yield from self._ask("ROPT", required=False)
        if options.done:
            flags = _option_flags(options)
            self._reader.hex_data = bool(flags & 1)
            if not flags & 1:
                yield from self._ask(f"WOPT {flags | 1:02X}")
                self._reader.hex_data = True
        else:
            self._reader.hex_data = None  # no ROPT: hexadecimal, or whatever the data show
        info = yield from self._ask("SKINFO")
        credentials = self._credentials
        password = credentials.password
        yield from self._ask(
            f"SKSETPWD {len(password):X} {password}", shown="SKSETPWD (the password)"
        )
        yield from self._ask(f"SKSETRBID {credentials.route_b_id}", shown="SKSETRBID (the ID)")
        ever = version.reply("EVER") or ("?",)
        einfo = info.reply("EINFO") or ("?",)
        self._events.append(DongleReady(" ".join(ever), einfo[0]))

    def _ask(
        self, text: str, *, shown: str = "", required: bool = True
    ) -> Generator[_Step, _Result | None, _Result]:
        """Write ``text`` until the dongle answers; ``_Broken`` when it never does, or refuses
        a ``required`` command."""
        command = _Command((text + "\r\n").encode("ascii"), shown=shown or text)
        for _ in range(_COMMAND_TRIES):
            result = yield command
            assert result is not None
            if result.done or result.fail is not None:
                if result.fail is not None and required:
                    raise _Broken(f"the dongle refused {command.shown} (FAIL {result.fail})")
                return result
        self._events.append(DongleSilent(command.shown))
        raise _Broken(f"the dongle did not answer {command.shown}")

    def _scan(self) -> Generator[_Step, _Result | None, KnownPan]:
        """SKSCAN 2 of every channel at growing durations until the meter's PAN answers."""
        durations = self.settings.scan_durations
        for duration in durations:
            self._events.append(Scanning(duration))
            result = yield from self._scan_once(duration)
            pans = [o for o in result.outputs if isinstance(o, PanDescription)]
            if pans:
                pan = max(pans, key=lambda p: p.lqi)  # the strongest, if several answer
                self._events.append(PanFound(pan))
                self.pan = KnownPan.of(pan)
                return self.pan
        self._events.append(NoMeterFound(durations))
        raise _Broken("no meter answered the scan")

    def _scan_once(self, duration: int) -> Generator[_Step, _Result | None, _Result]:
        side = " 0" if self.dual else ""
        seconds = _scan_seconds(duration) + self.settings.command_timeout
        for _ in range(2):  # a dual-stack firmware wants SIDE: FAIL ER05 the first time
            text = f"SKSCAN 2 FFFFFFFF {duration:X}{side}"
            command = _Command((text + "\r\n").encode("ascii"), _Kind.SCAN, seconds, text)
            result = yield command
            assert result is not None
            if result.fail == "ER05" and not side:
                self.dual, side = True, " 0"
                continue
            if result.fail is not None:
                raise _Broken(f"the dongle refused {text} (FAIL {result.fail})")
            if not result.done:
                self._events.append(DongleSilent(text))
                raise _Broken("the scan did not end")
            return result
        raise _Broken("the dongle refused SKSCAN")

    def _join(self, pan: KnownPan) -> Generator[_Step, _Result | None, bool]:
        yield from self._ask(f"SKSREG S2 {pan.channel:X}")
        yield from self._ask(f"SKSREG S3 {pan.pan_id:X}")
        address = link_local(pan.mac)
        command = _Command(f"SKLL64 {pan.mac}\r\n".encode("ascii"), _Kind.LL64, shown="SKLL64")
        result = yield command
        assert result is not None
        for output in result.outputs if result.done else ():
            if isinstance(output, Text):
                address = ipaddress.IPv6Address(output.text)
        self._events.append(Joining(address))
        text = f"SKJOIN {full_address(address)}"
        result = yield _Command(
            (text + "\r\n").encode("ascii"), _Kind.JOIN, self.settings.join_timeout, text
        )
        assert result is not None
        if result.fail is not None:
            raise _Broken(f"the dongle refused SKJOIN (FAIL {result.fail})")
        if not result.done:
            self._events.append(JoinRefused(address))
            return False
        self.meter = address
        self.joined = True
        self._events.append(Joined(address))
        return True


_SESSION_ENDS: Final[dict[int, str]] = {
    EventNumber.PANA_TERMINATION_REQUESTED: "the meter ended the PANA session (EVENT 26)",
    EventNumber.PANA_EXPIRED: "the PANA session expired (EVENT 29)",
    EventNumber.PANA_FAILED: "the meter refused the re-authentication (EVENT 24)",
    EventNumber.PANA_TERMINATED: "the PANA session was ended (EVENT 27)",
    EventNumber.PANA_TERMINATION_TIMED_OUT: "the PANA session was ended (EVENT 28)",
}


def _option_flags(result: _Result) -> int:
    for output in result.outputs:
        if isinstance(output, Ok) and output.rest:
            try:
                return int(output.rest.split()[0], 16)
            except ValueError:
                return 1
    return 1


def _scan_seconds(duration: int) -> float:
    """How long SKSCAN takes over the 28 channels: 9.6 ms x (2**d + 1) each."""
    return 28 * 0.0096 * float(2**duration + 1)
