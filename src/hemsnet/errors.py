"""The whole hemsnet exception tree.

Peer misbehaviour (a malformed datagram, an SNA, a silent node) is reported as an event or as
one of the ``Request*`` exceptions at the client boundary; caller misuse (an invalid frame to
encode, a value out of range, a bad configuration) raises immediately.

::

    HemsnetError
    ├── FrameError            bytes that are not a valid ECHONET Lite frame (decode)
    ├── EncodeError           a frame the caller built cannot be encoded
    ├── InvalidValue          an EDT that does not fit its property's format or range
    ├── ConfigError           a configuration or command-line value that cannot be used
    ├── RequestNotAllowed     a request the discipline forbids sending [AIF 2.4] (caller's)
    └── RequestError          a request to a remote node did not succeed
        ├── RequestRefused    the node answered with an SNA service
        └── ResponseTimeout   no response before the response-wait timer ran out
                              (also a ``TimeoutError``)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

__all__ = [
    "ConfigError",
    "EncodeError",
    "FrameError",
    "HemsnetError",
    "InvalidValue",
    "RequestError",
    "RequestNotAllowed",
    "RequestRefused",
    "ResponseTimeout",
]


class HemsnetError(Exception):
    """Base of every error hemsnet raises on purpose."""


class FrameError(HemsnetError, ValueError):
    """The bytes are not a valid ECHONET Lite frame; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class EncodeError(HemsnetError, ValueError):
    """The caller asked to encode a frame that the protocol cannot carry."""


class InvalidValue(HemsnetError, ValueError):
    """An EDT does not match its property's format or range.

    Carries the EPC and the offending bytes so that a log line or a CLI message can name them.
    """

    def __init__(self, epc: int, edt: bytes, reason: str) -> None:
        super().__init__(f"EPC 0x{epc:02X}: {reason} (EDT {edt.hex(' ').upper() or 'empty'})")
        self.epc = epc
        self.edt = edt
        self.reason = reason


class ConfigError(HemsnetError):
    """A configuration value, file or command-line argument cannot be used."""


class RequestNotAllowed(HemsnetError, ValueError):
    """The caller asked to send a request the request discipline forbids [AIF 2.4]: a second
    one while one is outstanding, too many properties, a history EPC among others, a Set
    value out of range. A programming or user error, never something a peer did."""


class RequestError(HemsnetError):
    """A request to a remote ECHONET Lite node did not succeed."""


class RequestRefused(RequestError):
    """The peer refused: it answered with an SNA ("response not possible") service.

    ``refused`` lists the EPCs the node rejected; ``accepted`` maps the EPCs it did serve to
    their EDT (empty bytes for accepted Set properties) [EL spec §4.2.3].
    """

    def __init__(
        self, esv_name: str, refused: Iterable[int], accepted: Mapping[int, bytes]
    ) -> None:
        self.refused = tuple(refused)
        self.accepted = dict(accepted)
        codes = ", ".join(f"0x{epc:02X}" for epc in self.refused) or "none listed"
        super().__init__(f"{esv_name}: the node refused EPC {codes}")


class ResponseTimeout(RequestError, TimeoutError):
    """No response arrived before the response-wait timer expired [AIF 2.4.2]."""

    def __init__(self, seconds: float, tid: int) -> None:
        super().__init__(f"no response within {seconds:g} s (TID 0x{tid:04X})")
        self.seconds = seconds
        self.tid = tid
