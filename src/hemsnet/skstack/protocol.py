"""The SKSTACK IP command set as it appears on the serial line: lines, events, error codes.

A host writes commands ending in CRLF (``SKSENDTO`` instead ends in its binary data, no CRLF)
and reads CRLF-terminated lines: ``OK`` or ``FAIL ERxx`` close a command, ``E...`` lines carry
its answer (``EVER``, ``EINFO``, ``ESREG``), ``EVENT NN ADDR ...`` report what the stack did,
``EPANDESC`` and its indented ``Key:Value`` lines describe a PAN found by a scan, and ``ERXUDP``
carries a received UDP datagram, in hexadecimal text or as raw bytes (``WOPT``) [BP35A1
command reference 4.1-4.8, 7; read through public clients, docs/skstack.md].

Firmware differs in a few fields: the single-hop firmware of the BP35A1 and RL7023 Stick-D/IPS
writes ``EVENT NN ADDR [PARAM]`` and ``ERXUDP SENDER DEST RPORT LPORT SENDERLLA SECURED DATALEN
DATA``; the dual-stack firmware of the BP35C0/BP35C2 and Stick-D/DSS adds the radio interface
(``SIDE``) after the address of an event, and a link quality and ``SIDE`` to ``ERXUDP``.
:class:`LineReader` reads both: ``DATALEN`` is the first four-digit field after the sender's
MAC address.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from enum import IntEnum
from types import MappingProxyType
from typing import Final

__all__ = [
    "ECHONET_LITE_PORT",
    "ERROR_CODES",
    "PANA_PORT",
    "CommandLine",
    "CommandReader",
    "Event",
    "EventNumber",
    "Fail",
    "LineReader",
    "Ok",
    "Output",
    "PanDescription",
    "Reply",
    "RxUdp",
    "Text",
    "full_address",
    "link_local",
]

ECHONET_LITE_PORT: Final = 0x0E1A  # 3610
PANA_PORT: Final = 0x02CC  # 716: the PANA authentication's own datagrams


class EventNumber(IntEnum):
    """``EVENT NN``: what the stack reports [BP35A1 command reference 4.8]."""

    NEIGHBOR_SOLICITATION = 0x01
    NEIGHBOR_ADVERTISEMENT = 0x02
    ECHO_REQUEST = 0x05
    ENERGY_SCAN_DONE = 0x1F
    BEACON = 0x20  # an EPANDESC follows
    UDP_SENT = 0x21  # PARAM 00 sent, 01 failed, 02 a neighbour solicitation went first
    ACTIVE_SCAN_DONE = 0x22
    PANA_FAILED = 0x24  # authentication refused or timed out: wrong ID or password
    PANA_JOINED = 0x25  # the session is up (again, after a re-authentication)
    PANA_TERMINATION_REQUESTED = 0x26  # the peer (the meter) ended the session
    PANA_TERMINATED = 0x27  # our SKTERM completed
    PANA_TERMINATION_TIMED_OUT = 0x28
    PANA_EXPIRED = 0x29  # the session's lifetime ran out, re-authentication failed
    TX_LIMITED = 0x32  # the radio hit its transmission-time limit [ARIB STD-T108]
    TX_LIMIT_LIFTED = 0x33


#: ``FAIL ERxx`` [BP35A1 command reference 7]; ER01-ER03, ER07 and ER08 are reserved.
ERROR_CODES: Final = MappingProxyType(
    {
        "ER04": "the command is not supported",
        "ER05": "wrong number of arguments",
        "ER06": "an argument is out of range or badly formed",
        "ER09": "a UART input error",
        "ER10": "the command was taken but failed",
    }
)


@dataclass(frozen=True, slots=True)
class Ok:
    """``OK`` closing a command, with what follows it on the line (``ROPT``: ``OK 01``)."""

    rest: str = ""


@dataclass(frozen=True, slots=True)
class Fail:
    """``FAIL ERxx`` closing a command."""

    code: str

    @property
    def meaning(self) -> str:
        return ERROR_CODES.get(self.code, "an unknown error")


@dataclass(frozen=True, slots=True)
class Event:
    """``EVENT NN SENDER ...``; ``rest`` is what follows the sender (SIDE and PARAM)."""

    number: int
    sender: str
    rest: tuple[str, ...] = ()

    @property
    def param(self) -> int | None:
        """PARAM of EVENT 21 (the last field); ``None`` for the others."""
        if self.number != EventNumber.UDP_SENT or not self.rest:
            return None
        try:
            return int(self.rest[-1], 16)
        except ValueError:
            return None


@dataclass(frozen=True, slots=True)
class RxUdp:
    """``ERXUDP``: a UDP datagram the dongle received."""

    sender: str
    dest: str
    rport: int
    lport: int
    sender_mac: str
    secured: bool
    data: bytes
    side: int | None = None  # dual-stack firmware: the radio it came on (0: B route)


@dataclass(frozen=True, slots=True)
class PanDescription:
    """``EPANDESC``: a PAN a scan found [BP35A1 command reference 4.5]."""

    channel: int
    channel_page: int
    pan_id: int
    mac: str  # 16 hexadecimal digits
    lqi: int
    pair_id: str | None = None  # SKSCAN 2 only


@dataclass(frozen=True, slots=True)
class Reply:
    """An answer line of a command: ``EVER 1.2.10``, ``EINFO ...``, ``ESREG 21``."""

    keyword: str
    fields: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Text:
    """Any other line: a command's echo, SKLL64's address, noise."""

    text: str


Output = Ok | Fail | Event | RxUdp | PanDescription | Reply | Text

_REPLIES: Final = frozenset({"EVER", "EAPPVER", "EINFO", "ESREG", "EPORT", "EADDR", "ENEIGHBOR"})
_HEX: Final = frozenset(b"0123456789ABCDEFabcdef")
_PAN_KEYS: Final = {
    "Channel": "channel",
    "Channel Page": "channel_page",
    "Pan ID": "pan_id",
    "Addr": "mac",
    "LQI": "lqi",
    "PairID": "pair_id",
}
_ERXUDP: Final = b"ERXUDP "
_SENDER_FIELDS: Final = 5  # SENDER DEST RPORT LPORT SENDERLLA, before the optional ones
_MAX_FIELDS: Final = 10
_MAX_LINE: Final = 4096  # a line longer than this is noise: it is cut and dropped


def _is_hex(data: bytes) -> bool:
    return bool(data) and all(byte in _HEX for byte in data)


def _line_end(buffer: bytes | bytearray, at: int) -> int:
    """The length of the line ending at ``at`` (CRLF or LF), 0 if there is none yet, -1 if
    something else follows."""
    if buffer[at : at + 2] == b"\r\n":
        return 2
    if buffer[at : at + 1] == b"\n":
        return 1
    if len(buffer) - at < 2 and buffer[at:] in (b"", b"\r"):
        return 0
    return -1


class LineReader:
    """Splits what a dongle writes into :data:`Output` items, as bytes arrive.

    ``hex_data`` is how ``ERXUDP`` carries its data: ``True`` hexadecimal text, ``False`` raw
    bytes (``WOPT 00``), ``None`` whichever the bytes show (raw data starts with a byte that is
    no hexadecimal digit: 0x10 for ECHONET Lite, 0x00 for PANA).
    """

    def __init__(self) -> None:
        self.hex_data: bool | None = None
        self._buffer = bytearray()
        self._pan: dict[str, str] | None = None  # the EPANDESC block being read

    def feed(self, data: bytes) -> list[Output]:
        self._buffer += data
        found: list[Output] = []
        while True:
            item = self._next()
            if item is None:
                break
            found += item
        return found

    def _next(self) -> list[Output] | None:
        buffer = self._buffer
        if buffer.startswith(_ERXUDP):
            parsed = self._erxudp()
            if parsed is not None:
                return [*self._close_pan(), parsed]
            if len(buffer) <= _MAX_LINE:
                return None
        elif _ERXUDP.startswith(bytes(buffer[: len(_ERXUDP)])) and b"\n" not in buffer:
            return None  # may be the start of an ERXUDP
        end = buffer.find(b"\n")
        if end < 0:
            if len(buffer) > _MAX_LINE:
                text = bytes(buffer).decode("latin-1")
                buffer.clear()
                return [Text(text)]
            return None
        raw = bytes(buffer[:end]).rstrip(b"\r")
        del buffer[: end + 1]
        return self._line(raw.decode("latin-1"))

    def _line(self, line: str) -> list[Output]:
        if self._pan is not None:
            key, colon, value = line.strip().partition(":")
            if line.startswith("  ") and colon and key in _PAN_KEYS:
                self._pan[_PAN_KEYS[key]] = value.strip()
                return []
            found = self._close_pan()
        else:
            found = []
        if line == "EPANDESC":
            self._pan = {}
            return found
        if not line:
            return found
        return [*found, _parse_line(line)]

    def _close_pan(self) -> list[Output]:
        fields, self._pan = self._pan, None
        if fields is None:
            return []
        try:
            return [
                PanDescription(
                    channel=int(fields["channel"], 16),
                    channel_page=int(fields["channel_page"], 16),
                    pan_id=int(fields["pan_id"], 16),
                    mac=fields["mac"].upper(),
                    lqi=int(fields["lqi"], 16),
                    pair_id=fields.get("pair_id"),
                )
            ]
        except (KeyError, ValueError):
            return [Text("EPANDESC " + " ".join(f"{k}:{v}" for k, v in fields.items()))]

    def _erxudp(self) -> Output | None:
        """The ERXUDP at the head of the buffer (consumed), ``None`` while it is incomplete; a
        malformed one comes back as :class:`Text` of its line."""
        buffer = self._buffer
        pos = len(_ERXUDP)
        fields: list[bytes] = []
        length: int | None = None
        while length is None:
            space = buffer.find(b" ", pos)
            newline = buffer.find(b"\n", pos)
            if newline >= 0 and (space < 0 or newline < space):
                return self._malformed()
            if space < 0:
                return None
            field = bytes(buffer[pos:space])
            pos = space + 1
            if len(fields) >= _SENDER_FIELDS and len(field) == 4 and _is_hex(field):
                length = int(field, 16)
            else:
                fields.append(field)
            if len(fields) > _MAX_FIELDS:
                return self._malformed()
        data = self._data(pos, length)
        if data is None:
            return None
        if isinstance(data, int):
            return self._malformed()
        payload, end = data
        del buffer[:end]
        return _received(fields, payload) or Text("ERXUDP " + payload.hex())

    def _data(self, pos: int, length: int) -> tuple[bytes, int] | int | None:
        """The data at ``pos`` and the end of its line, ``None`` while incomplete, ``-1`` when
        it does not fit ``length``."""
        buffer = self._buffer
        if self.hex_data is not False:
            chunk = bytes(buffer[pos : pos + 2 * length])
            if _is_hex(chunk) or not chunk:
                if len(chunk) < 2 * length:
                    return None
                ending = _line_end(buffer, pos + 2 * length)
                if ending > 0:
                    return bytes.fromhex(chunk.decode("ascii")), pos + 2 * length + ending
                if ending == 0:
                    return None
            if self.hex_data:
                return -1
        if len(buffer) < pos + length:
            return None
        ending = _line_end(buffer, pos + length)
        if ending > 0:
            return bytes(buffer[pos : pos + length]), pos + length + ending
        return None if ending == 0 else -1

    def _malformed(self) -> Output:
        buffer = self._buffer
        end = buffer.find(b"\n")
        raw = bytes(buffer if end < 0 else buffer[:end]).rstrip(b"\r")
        del buffer[: len(buffer) if end < 0 else end + 1]
        return Text(raw.decode("latin-1"))


def _received(fields: list[bytes], data: bytes) -> RxUdp | None:
    if len(fields) < _SENDER_FIELDS + 1:
        return None
    try:
        text = [field.decode("ascii") for field in fields]
        sender, dest = text[0], text[1]
        ipaddress.IPv6Address(sender)
        ipaddress.IPv6Address(dest)
        rport, lport = int(text[2], 16), int(text[3], 16)
    except (UnicodeDecodeError, ValueError):
        return None
    # SECURED is the first one-character field after the MAC (a link quality has two); a
    # dual-stack firmware ends them with SIDE.
    optional = text[_SENDER_FIELDS:]
    secured = next((field for field in optional if len(field) == 1), "0")
    side = int(optional[-1], 16) if len(optional) > 1 and len(optional[-1]) == 1 else None
    return RxUdp(sender, dest, rport, lport, text[4].upper(), secured == "1", data, side)


def _parse_line(line: str) -> Output:
    words = line.split()
    head = words[0]
    if head == "OK":
        return Ok(" ".join(words[1:]))
    if head == "FAIL" and len(words) == 2:
        return Fail(words[1])
    if head == "EVENT" and len(words) >= 3:
        try:
            number = int(words[1], 16)
            ipaddress.IPv6Address(words[2])
        except ValueError:
            return Text(line)
        return Event(number, words[2], tuple(words[3:]))
    if head in _REPLIES:
        return Reply(head, tuple(words[1:]))
    return Text(line)


def full_address(address: ipaddress.IPv6Address) -> str:
    """The form SKSTACK writes and takes: eight groups of four upper-case digits."""
    return ":".join(f"{group:04X}" for group in _groups(address))


def _groups(address: ipaddress.IPv6Address) -> list[int]:
    packed = address.packed
    return [int.from_bytes(packed[i : i + 2], "big") for i in range(0, 16, 2)]


def link_local(mac: str) -> ipaddress.IPv6Address:
    """The link-local address of a 64-bit MAC address (what ``SKLL64`` answers): fe80:: and
    the MAC with its universal/local bit flipped [RFC 4944]."""
    raw = bytearray(bytes.fromhex(mac))
    if len(raw) != 8:
        raise ValueError(f"{mac!r} is not a 64-bit MAC address")
    raw[0] ^= 0x02
    return ipaddress.IPv6Address(b"\xfe\x80" + bytes(6) + bytes(raw))


@dataclass(frozen=True, slots=True)
class CommandLine:
    """A command a host wrote: its words, and for ``SKSENDTO`` the data that followed."""

    words: tuple[str, ...]
    data: bytes | None = None

    @property
    def text(self) -> str:
        return " ".join(self.words)


_SKSENDTO: Final = b"SKSENDTO "
_SENDTO_PORT_FIELD: Final = 2  # HANDLE IPADDR PORT, then SEC [SIDE] DATALEN


class CommandReader:
    """Splits what a host writes into commands, the dongle's side of :class:`LineReader`.

    ``SKSENDTO`` is followed by DATALEN raw bytes and no CRLF; DATALEN is the first
    four-digit field after the port. Empty lines are skipped.
    """

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[CommandLine]:
        self._buffer += data
        found: list[CommandLine] = []
        while True:
            command = self._next()
            if command is None:
                return found
            if command.words:
                found.append(command)

    def _next(self) -> CommandLine | None:
        buffer = self._buffer
        if buffer.startswith(_SKSENDTO):
            return self._sendto()
        end = buffer.find(b"\n")
        if end < 0:
            if len(buffer) > _MAX_LINE:
                buffer.clear()
                return CommandLine(("?",))  # noise: answered with FAIL ER09
            return None
        raw = bytes(buffer[:end]).rstrip(b"\r")
        del buffer[: end + 1]
        return CommandLine(tuple(raw.decode("latin-1").split()))

    def _sendto(self) -> CommandLine | None:
        buffer = self._buffer
        pos = len(_SKSENDTO)
        words = ["SKSENDTO"]
        while True:
            space = buffer.find(b" ", pos)
            newline = buffer.find(b"\n", pos)
            if newline >= 0 and (space < 0 or newline < space):
                raw = bytes(buffer[:newline]).rstrip(b"\r")
                del buffer[: newline + 1]
                return CommandLine(tuple(raw.decode("latin-1").split()))  # no data: malformed
            if space < 0:
                return None
            word = bytes(buffer[pos:space]).decode("latin-1")
            pos = space + 1
            words.append(word)
            if len(words) > _SENDTO_PORT_FIELD + 2 and len(word) == 4 and _is_hex(word.encode()):
                length = int(word, 16)
                if len(buffer) < pos + length:
                    return None
                data = bytes(buffer[pos : pos + length])
                del buffer[: pos + length]
                return CommandLine(tuple(words), data)
            if len(words) > _MAX_FIELDS:
                del buffer[:pos]
                return CommandLine(tuple(words))
