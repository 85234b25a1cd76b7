"""What the SKSTACK driver reports: datagrams for the controller, and what a person running it
needs to know about the dongle, the radio and the meter's PANA session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from ipaddress import IPv6Address

from hemsnet.skstack.protocol import PanDescription

__all__ = [
    "DatagramArrived",
    "DongleEvent",
    "DongleNoise",
    "DongleReady",
    "DongleSilent",
    "JoinRefused",
    "Joined",
    "Joining",
    "NoMeterFound",
    "PanFound",
    "RadioLimited",
    "Scanning",
    "SendFailed",
    "SessionLost",
    "Waiting",
]


@dataclass(frozen=True, slots=True)
class DongleReady:
    """The dongle answered and took the settings: its firmware and its own address."""

    version: str
    address: str


@dataclass(frozen=True, slots=True)
class DongleSilent:
    """The dongle did not answer ``command`` in time, however often it was asked."""

    command: str


@dataclass(frozen=True, slots=True)
class DongleNoise:
    """A line that is no SKSTACK IP output (a wrong baud rate, another device)."""

    line: str


@dataclass(frozen=True, slots=True)
class Scanning:
    """An active scan of every channel, ``duration`` the SKSCAN exponent."""

    duration: int


@dataclass(frozen=True, slots=True)
class PanFound:
    """The meter's PAN: to keep, so that a restart skips the scan."""

    pan: PanDescription


@dataclass(frozen=True, slots=True)
class NoMeterFound:
    """Scans of every duration found no meter."""

    durations: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Joining:
    """PANA authentication with the meter has begun (SKJOIN)."""

    address: IPv6Address


@dataclass(frozen=True, slots=True)
class Joined:
    """The PANA session is up (EVENT 25); ``renewed`` when it was re-authenticated."""

    address: IPv6Address
    renewed: bool = False


@dataclass(frozen=True, slots=True)
class JoinRefused:
    """PANA authentication failed (EVENT 24): a wrong Route B ID or password, or no answer."""

    address: IPv6Address


@dataclass(frozen=True, slots=True)
class SessionLost:
    """The PANA session is over: ``reason`` in words, ``event`` the EVENT number (or 0)."""

    reason: str
    event: int


@dataclass(frozen=True, slots=True)
class Waiting:
    """Nothing is tried before ``until``: a back-off after ``why``."""

    until: datetime
    why: str


@dataclass(frozen=True, slots=True)
class DatagramArrived:
    """An ECHONET Lite datagram from ``sender``, port ``port``."""

    sender: IPv6Address
    port: int
    data: bytes


@dataclass(frozen=True, slots=True)
class SendFailed:
    """A datagram did not leave: EVENT 21 with PARAM 01, or FAIL on SKSENDTO."""

    to: str
    why: str


@dataclass(frozen=True, slots=True)
class RadioLimited:
    """The radio hit (``on``) or left its transmission-time limit [ARIB STD-T108]."""

    on: bool


DongleEvent = (
    DongleReady
    | DongleSilent
    | DongleNoise
    | Scanning
    | PanFound
    | NoMeterFound
    | Joining
    | Joined
    | JoinRefused
    | SessionLost
    | Waiting
    | DatagramArrived
    | SendFailed
    | RadioLimited
)
